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

  /** BDAT text: the same content as DATA delivers (line ends repaired, the last line ended), no dots, no terminator. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      // content | wire form in the BDAT chunks
      "''                       | ''",
      "a\\r\\n                  | a\\r\\n",
      "a                        | a\\r\\n",
      ".hidden                  | .hidden\\r\\n",
      "a\\nb                    | a\\r\\nb\\r\\n",
      "a\\rb\\r                 | a\\r\\nb\\r\\n",
      "\\r\\r\\n                | \\r\\n\\r\\n",
      "x\\r                     | x\\r\\n",
      "x\\n                     | x\\r\\n",
  })
  void lineEndingsOnlyRepairsAndEndsTheLastLineWhateverTheSplit(String content, String wire) {
    byte[] input = bytes(unescape(content));
    String expected = unescape(wire);
    for (List<Buffer> chunks : Splits.everyOffset(input)) {
      DotStuffer lines = DotStuffer.lineEndingsOnly();
      Buffer out = Buffer.buffer();
      for (Buffer c : chunks) {
        out.appendBuffer(lines.encode(c));
      }
      out.appendBuffer(lines.finish());
      assertThat(lines.written()).isEqualTo(out.length());
      assertThat(show(out.toString(StandardCharsets.ISO_8859_1))).as(Splits.describe(chunks)).isEqualTo(show(expected));
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

  /**
   * The Buffer API (copying into its own array once a change is needed, growing it), the array API (into
   * the caller's array of maxEncodedLength) and encodeTo (into a ByteBuf) must agree on any input and split. This found the array API
   * writing past a bound of 2n+2 after a chunk that ended with CR.
   */
  @Test
  void theBufferApiAgreesWithTheArrayApiOnRandomContentAndSplits() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(20261204);
    byte[] alphabet = bytes("ab.\r\n");
    for (int round = 0; round < 3000; round++) {
      byte[] input = new byte[random.nextInt(0, 80)];
      for (int k = 0; k < input.length; k++) {
        input[k] = alphabet[random.nextInt(alphabet.length)];
      }
      for (boolean dots : new boolean[] {true, false}) {
        DotStuffer viaBuffers = dots ? new DotStuffer() : DotStuffer.lineEndingsOnly();
        DotStuffer viaArrays = dots ? new DotStuffer() : DotStuffer.lineEndingsOnly();
        DotStuffer direct = dots ? new DotStuffer() : DotStuffer.lineEndingsOnly();
        io.netty.buffer.ByteBuf into = io.netty.buffer.Unpooled.buffer();
        Buffer got = Buffer.buffer();
        Buffer want = Buffer.buffer();
        int at = 0;
        while (at < input.length) {
          int n = random.nextInt(1, input.length - at + 1);
          byte[] part = java.util.Arrays.copyOfRange(input, at, at + n);
          got.appendBuffer(viaBuffers.encode(Buffer.buffer(part)));
          direct.encodeTo(Buffer.buffer(part), into);
          byte[] dst = new byte[DotStuffer.maxEncodedLength(n)];
          want.appendBytes(dst, 0, viaArrays.encode(part, 0, n, dst, 0));
          at += n;
        }
        got.appendBuffer(viaBuffers.finish());
        want.appendBuffer(viaArrays.finish());
        into.writeBytes(((io.vertx.core.internal.buffer.BufferInternal) direct.finish()).getByteBuf());
        assertThat(show(into.toString(StandardCharsets.ISO_8859_1))).as("encodeTo, dots=" + dots)
            .isEqualTo(show(want.toString(StandardCharsets.ISO_8859_1)));
        assertThat(direct.written()).isEqualTo(into.readableBytes());
        assertThat(show(got.toString(StandardCharsets.ISO_8859_1)))
            .as("dots=" + dots + " input=" + show(new String(input, StandardCharsets.ISO_8859_1)))
            .isEqualTo(show(want.toString(StandardCharsets.ISO_8859_1)));
        assertThat(viaBuffers.written()).isEqualTo(got.length());
      }
    }
  }

  static String unescape(String s) {
    return s.replace("\\r", "\r").replace("\\n", "\n");
  }
}
