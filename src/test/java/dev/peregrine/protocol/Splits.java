package dev.peregrine.protocol;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Ways to cut an input into chunks, for decoders that must not care where the network split it. */
final class Splits {

  private Splits() {
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Every way to cut {@code input} in two (including "all in the first" and "all in the second"). */
  static List<List<Buffer>> everyOffset(byte[] input) {
    List<List<Buffer>> out = new ArrayList<>(input.length + 1);
    for (int cut = 0; cut <= input.length; cut++) {
      List<Buffer> chunks = new ArrayList<>(2);
      chunks.add(Buffer.buffer(java.util.Arrays.copyOfRange(input, 0, cut)));
      chunks.add(Buffer.buffer(java.util.Arrays.copyOfRange(input, cut, input.length)));
      out.add(chunks);
    }
    out.add(oneByteEach(input));
    return out;
  }

  static List<Buffer> oneByteEach(byte[] input) {
    List<Buffer> chunks = new ArrayList<>(input.length);
    for (byte b : input) {
      chunks.add(Buffer.buffer(new byte[] {b}));
    }
    return chunks;
  }

  static String describe(List<Buffer> chunks) {
    StringBuilder sb = new StringBuilder("chunks of ");
    for (Buffer b : chunks) {
      sb.append(b.length()).append(' ');
    }
    return sb.toString();
  }
}
