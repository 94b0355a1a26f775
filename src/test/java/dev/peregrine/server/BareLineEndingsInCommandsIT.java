package dev.peregrine.server;

import dev.peregrine.protocol.DataDecoder;
import dev.peregrine.protocol.Reply;
import dev.peregrine.test.Wire;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RFC 5321 §2.3.8: command lines end with CRLF. With {@code bare-line-endings: reject} (the default) a command
 * line with a bare LF or a bare CR is refused like Postfix's {@code smtpd_forbid_bare_newline = reject}: one
 * 550 5.5.2 and the connection closes, nothing after it is read. With {@code allow}, a bare LF ends a line
 * (the lenient reading) and a CR inside a line is left to the parser. Under reject each input is also sent
 * in two writes split at every offset.
 */
class BareLineEndingsInCommandsIT extends ServerFixture {

  /** Input after EHLO; the replies (code and enhanced code) expected under reject, and under allow. */
  static Stream<Arguments> table() {
    return Stream.of(
        Arguments.of("LF alone ends NOOP", "NOOP\nNOOP\r\n", "550 5.5.2 closed", "250 2.0.0 250 2.0.0"),
        Arguments.of("CR alone inside a line", "NOOP\rNOOP\r\n", "550 5.5.2 closed", "500 5.5.2"),
        Arguments.of("CR CR LF", "NOOP\r\r\n", "550 5.5.2 closed", "500 5.5.2"),
        Arguments.of("bare LF after a good line", "NOOP\r\nNOOP\n", "250 2.0.0 550 5.5.2 closed", "250 2.0.0 250 2.0.0"),
        Arguments.of("bare LF in MAIL", "MAIL FROM:<a@x.test>\nRCPT TO:<b@x.test>\r\n", "550 5.5.2 closed",
            "250 2.1.0 250 2.1.5"),
        Arguments.of("LF CR LF", "NOOP\n\r\n", "550 5.5.2 closed", "250 2.0.0 500 5.5.2"));
  }

  private static String dialogue(int port, String input, int split, int expected) throws Exception {
    List<String> got = new ArrayList<>();
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      byte[] bytes = input.getBytes(StandardCharsets.US_ASCII);
      if (split > 0 && split < bytes.length) {
        w.sendBytes(java.util.Arrays.copyOf(bytes, split));
        // Two writes (most often two reads for the server): the line framer must see the ending across them.
        w.sendBytes(java.util.Arrays.copyOfRange(bytes, split, bytes.length));
      } else {
        w.sendBytes(bytes);
      }
      for (int i = 0; i < expected; i++) {
        try {
          Reply r = w.read();
          got.add(r.code() + " " + r.enhanced());
          if (r.code() == 550) {
            break;
          }
        } catch (java.io.IOException e) {
          break;
        }
      }
      if (got.contains("550 5.5.2")) {
        got.add(w.closedByServer() ? "closed" : "open");
      }
    }
    return String.join(" ", got);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void rejectedByDefault(String name, String input, String reject, String allow) throws Exception {
    int port = start(options());
    for (int split = 0; split < input.length(); split++) {
      int expected = reject.split(" ").length / 2;
      assertThat(dialogue(port, input, split, expected)).as("%s, split at %d", name, split).isEqualTo(reject);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void readLenientlyWhenAllowed(String name, String input, String reject, String allow) throws Exception {
    int port = start(options().setBareLineEndings(DataDecoder.Mode.ALLOW));
    int expected = allow.split(" ").length / 2;
    assertThat(dialogue(port, input, 0, expected)).as(name).isEqualTo(allow);
  }
}
