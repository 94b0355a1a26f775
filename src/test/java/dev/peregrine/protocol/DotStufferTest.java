package dev.peregrine.protocol;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.peregrine.protocol.Splits.bytes;
import static org.assertj.core.api.Assertions.assertThat;

class DotStufferTest {

  private static String stuff(List<Buffer> chunks) {
    DotStuffer stuffer = new DotStuffer();
    Buffer out = Buffer.buffer();
    for (Buffer c : chunks) {
      out.appendBuffer(stuffer.encode(c));
    }
    out.appendBuffer(stuffer.finish());
    assertThat(stuffer.written()).isEqualTo(out.length());
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  private static String show(String s) {
    return s.replace("\r", "\\r").replace("\n", "\\n");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      // content | wire form after DATA (\r \n written as escapes)
      "''                       | .\\r\\n",
      "a\\r\\n                  | a\\r\\n.\\r\\n",
      "a                        | a\\r\\n.\\r\\n",
      ".\\r\\n                  | ..\\r\\n.\\r\\n",
      ".hidden\\r\\n            | ..hidden\\r\\n.\\r\\n",
      "a\\r\\n.\\r\\nb\\r\\n    | a\\r\\n..\\r\\nb\\r\\n.\\r\\n",
      "a\\r\\n..\\r\\n          | a\\r\\n...\\r\\n.\\r\\n",
      "a.b\\r\\n                | a.b\\r\\n.\\r\\n",
      "a\\nb\\n                 | a\\r\\nb\\r\\n.\\r\\n",
      "a\\rb\\r                 | a\\r\\nb\\r\\n.\\r\\n",
      "a\\n.\\n                 | a\\r\\n..\\r\\n.\\r\\n",
      "a\\r.\\r                 | a\\r\\n..\\r\\n.\\r\\n",
      "\\r\\n.\\n               | \\r\\n..\\r\\n.\\r\\n",
      "\\n\\n                   | \\r\\n\\r\\n.\\r\\n",
      "\\r\\r\\n                | \\r\\n\\r\\n.\\r\\n",
      "x\\r                     | x\\r\\n.\\r\\n",
  })
  void stuffsNormalisesAndTerminatesWhateverTheSplit(String content, String wire) {
    byte[] input = bytes(unescape(content));
    String expected = unescape(wire);
    for (List<Buffer> chunks : Splits.everyOffset(input)) {
      assertThat(show(stuff(chunks))).as(Splits.describe(chunks)).isEqualTo(show(expected));
    }
  }

  @Test
  void returnsAnUnchangedChunkWithoutCopying() {
    DotStuffer stuffer = new DotStuffer();
    Buffer chunk = Buffer.buffer("Subject: hi\r\n\r\nplain body\r\n");
    assertThat(stuffer.encode(chunk)).isSameAs(chunk);
    Buffer dotted = Buffer.buffer(".dot\r\n");
    assertThat(stuffer.encode(dotted)).isNotSameAs(dotted);
  }

  @Test
  void byteArrayApiMatchesTheBufferApi() {
    byte[] input = bytes("l1\r\n.l2\nl3\r..\r\n\r\nend");
    DotStuffer s = new DotStuffer();
    byte[] dst = new byte[DotStuffer.maxEncodedLength(input.length)];
    int n = s.encode(input, 0, input.length, dst, 0);
    String viaArrays = new String(dst, 0, n, StandardCharsets.ISO_8859_1) + s.finish().toString(StandardCharsets.ISO_8859_1);
    assertThat(viaArrays).isEqualTo(stuff(List.of(Buffer.buffer(input))));
  }

  @Test
  void worstCaseFitsTheAdvertisedBound() {
    byte[] input = bytes("\n.\n.\n.\r.\r.");
    DotStuffer s = new DotStuffer();
    byte[] dst = new byte[DotStuffer.maxEncodedLength(input.length)];
    assertThat(s.encode(input, 0, input.length, dst, 0)).isLessThanOrEqualTo(dst.length);
  }

  static String unescape(String s) {
    return s.replace("\\r", "\r").replace("\\n", "\n");
  }
}
