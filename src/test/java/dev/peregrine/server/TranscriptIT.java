package dev.peregrine.server;

import dev.peregrine.protocol.Reply;
import dev.peregrine.test.Wire;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replays {@code src/test/resources/transcripts/*.txt} against the server: "C:" lines of a group go out in
 * one write (CRLF after each, "\n" inside a line written as a bare LF), then the "S:" lines must come back
 * exactly ('*' matches anything). A "# options: {json}" line sets server options.
 */
class TranscriptIT extends ServerFixture {

  record Group(List<String> client, List<String> server) {
  }

  @ParameterizedTest
  @ValueSource(strings = {"pipelining.txt", "chunking.txt", "errors.txt", "too-many-errors.txt"})
  void replays(String name) throws Exception {
    String text;
    try (InputStream in = getClass().getResourceAsStream("/transcripts/" + name)) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    SmtpServerOptions options = options();
    List<Group> groups = new ArrayList<>();
    List<String> c = new ArrayList<>();
    List<String> s = new ArrayList<>();
    for (String line : text.split("\n", -1)) {
      if (line.startsWith("# options: ")) {
        JsonObject json = options.toJson();
        json.mergeIn(new JsonObject(line.substring("# options: ".length())));
        options = new SmtpServerOptions(json);
      } else if (line.startsWith("C:")) {
        if (!s.isEmpty()) {
          groups.add(new Group(c, s));
          c = new ArrayList<>();
          s = new ArrayList<>();
        }
        c.add(line.length() > 3 ? line.substring(3) : "");
      } else if (line.startsWith("S: ")) {
        s.add(line.substring(3));
      }
    }
    groups.add(new Group(c, s));

    int port = start(options);
    try (Wire w = Wire.connect(port)) {
      for (Group g : groups) {
        if (!g.client().isEmpty()) {
          StringBuilder out = new StringBuilder();
          for (String l : g.client()) {
            // A BDAT chunk runs straight into the next command: "C: abcdQUIT" after "BDAT 4".
            out.append(l.replace("\\n", "\n")).append("\r\n");
          }
          w.send(out.toString());
        }
        List<String> expected = new ArrayList<>(g.server());
        boolean close = expected.remove("<close>");
        List<String> got = new ArrayList<>();
        int replies = (int) expected.stream().filter(l -> l.length() < 4 || l.charAt(3) != '-').count();
        for (int i = 0; i < replies; i++) {
          Reply r = w.read();
          for (String l : r.encode().split("\r\n")) {
            got.add(l);
          }
        }
        assertThat(got).as(name + ": replies to " + g.client()).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
          String pattern = "\\Q" + expected.get(i).replace("*", "\\E.*\\Q") + "\\E";
          assertThat(got.get(i)).as(name + ": reply line " + i + " to " + g.client()).matches(Pattern.compile(pattern));
        }
        if (close) {
          assertThat(w.closedByServer()).as(name + ": server closes").isTrue();
        }
      }
    }
  }
}
