package dev.peregrine.bench;

import io.vertx.core.buffer.Buffer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Deterministic, realistic message content for the DATA codec benchmarks: printable ASCII text in CRLF
 * lines of about 76 octets (72 to 78 plus CRLF), roughly one line in 50 starting with '.', exactly
 * {@code size} octets, always ending with CRLF. Same seed, same bytes, on every run and machine.
 *
 * <p>Also an independent reference dot-stuffer (plain loop, no shared code with the codec) so the
 * benchmarks can check in their setup that the code under test produces the right bytes.
 *
 * <p>{@code java -cp benchmarks.jar dev.peregrine.bench.MessageContent} prints the content statistics.
 */
final class MessageContent {

  /** The chunk size a socket read typically hands over (Netty's adaptive allocator settles near it). */
  static final int CHUNK = 16 * 1024;

  static final long SEED = 0x5eed_2024L;

  private static final String[] WORDS = {
      "the", "of", "and", "to", "a", "in", "is", "it", "you", "that", "he", "was", "for", "on", "are", "with",
      "as", "his", "they", "be", "at", "one", "have", "this", "from", "or", "had", "by", "word", "but",
      "what", "some", "we", "can", "out", "other", "were", "all", "there", "when", "up", "use", "your",
      "how", "said", "an", "each", "she", "which", "do", "their", "time", "if", "will", "way", "about",
      "many", "then", "them", "write", "would", "like", "so", "these", "her", "long", "make", "thing",
      "see", "him", "two", "has", "look", "more", "day", "could", "go", "come", "did", "number", "sound",
      "no", "most", "people", "my", "over", "know", "water", "than", "call", "first", "who", "may", "down",
      "side", "been", "now", "find", "meeting,", "invoice", "2024-06-01", "regards,", "Re:", "(draft)",
      "message.", "report;", "quarterly", "attachment", "https://example.com/x?id=42", "<b>", "</b>",
      "=3D", "$1,250.00", "e-mail", "schedule", "please", "thanks!", "question?", "\"quoted\"",
  };

  private static final String[] DOT_STARTS = {".", "..", "...", ".hidden", ".sig", ".NET", ". "};

  private MessageContent() {
  }

  /** {@code size} octets of content; see the class comment. {@code size} must be at least 2. */
  static byte[] generate(int size) {
    if (size < 2) {
      throw new IllegalArgumentException("size " + size);
    }
    SplittableRandom rnd = new SplittableRandom(SEED);
    byte[] out = new byte[size];
    int w = 0;
    StringBuilder line = new StringBuilder(96);
    while (w < size) {
      line.setLength(0);
      int target = 72 + rnd.nextInt(7);
      if (rnd.nextInt(50) == 0) {
        line.append(DOT_STARTS[rnd.nextInt(DOT_STARTS.length)]);
      }
      while (line.length() < target) {
        if (line.length() > 0 && line.charAt(line.length() - 1) != ' ') {
          line.append(' ');
        }
        line.append(WORDS[rnd.nextInt(WORDS.length)]);
      }
      line.setLength(target);
      // The last line is cut to fit, so the content is exactly size octets and ends with CRLF.
      int room = size - w - 2;
      if (line.length() > room) {
        line.setLength(room);
      }
      byte[] b = line.toString().getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(b, 0, out, w, b.length);
      w += b.length;
      out[w++] = '\r';
      out[w++] = '\n';
    }
    return out;
  }

  /** The wire form of CRLF content: every line-initial '.' doubled, then {@code .CRLF}. */
  static byte[] stuffReference(byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + content.length / 64 + 8);
    boolean lineStart = true;
    for (byte b : content) {
      if (lineStart && b == '.') {
        out.write('.');
      }
      out.write(b);
      lineStart = b == '\n';
    }
    out.write('.');
    out.write('\r');
    out.write('\n');
    return out.toByteArray();
  }

  /**
   * {@code data} cut into {@code chunkSize} pieces, each its own heap Buffer, as Vert.x hands socket reads
   * to a handler (it copies Netty's pooled direct buffers into unpooled heap ones).
   */
  static Buffer[] chunks(byte[] data, int chunkSize) {
    int n = (data.length + chunkSize - 1) / chunkSize;
    Buffer[] out = new Buffer[n];
    for (int i = 0; i < n; i++) {
      int from = i * chunkSize;
      out[i] = Buffer.buffer(Arrays.copyOfRange(data, from, Math.min(data.length, from + chunkSize)));
    }
    return out;
  }

  static int lines(byte[] content) {
    int n = 0;
    for (byte b : content) {
      if (b == '\n') {
        n++;
      }
    }
    return n;
  }

  static int dotLines(byte[] content) {
    int n = content.length > 0 && content[0] == '.' ? 1 : 0;
    for (int i = 0; i + 1 < content.length; i++) {
      if (content[i] == '\n' && content[i + 1] == '.') {
        n++;
      }
    }
    return n;
  }

  /** Chunks of {@code chunkSize} that contain at least one line-initial dot (so the stuffer must copy). */
  static int chunksWithDots(byte[] content, int chunkSize) {
    int n = 0;
    for (int from = 0; from < content.length; from += chunkSize) {
      int to = Math.min(content.length, from + chunkSize);
      for (int i = from; i < to; i++) {
        if (content[i] == '.' && (i == 0 || content[i - 1] == '\n')) {
          n++;
          break;
        }
      }
    }
    return n;
  }

  public static void main(String[] args) {
    int[] sizes = args.length > 0
        ? Arrays.stream(args).mapToInt(Integer::parseInt).toArray()
        : new int[] {1024, 102_400, 10_485_760};
    System.out.printf("%10s %8s %9s %7s %12s %9s%n", "size", "lines", "dotLines", "chunks", "dotChunks", "wire");
    for (int size : sizes) {
      byte[] c = generate(size);
      System.out.printf("%10d %8d %9d %7d %12d %9d%n", size, lines(c), dotLines(c),
          (size + CHUNK - 1) / CHUNK, chunksWithDots(c, CHUNK), stuffReference(c).length);
    }
    System.out.println(new String(generate(1024), StandardCharsets.US_ASCII));
  }
}
