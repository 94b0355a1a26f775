package dev.peregrine.client;

import dev.peregrine.protocol.Reply;
import dev.peregrine.server.Envelope;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.server.SmtpSession;
import dev.peregrine.test.ChunkStream;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same text arrives as the same bytes whether the server offers CHUNKING (BDAT) or not (DATA), from a
 * buffer or from a stream split anywhere: leading dots, 8-bit lines, bare LF, bare CR, no final line end,
 * a CR at the end of a stream chunk. Our own server stores each message; all four ways must agree with one
 * another and with the rule (bare CR or LF made CRLF, the last line ended).
 */
class SameContentOverDataAndBdatIT extends VertxFixture {

  private static final int MESSAGES = 1000;

  /** Content by envelope sender ("<m17@x.test>"), for the run under way. */
  private final Map<String, Buffer> received = new ConcurrentHashMap<>();

  private final SmtpHandler storing = new SmtpHandler() {
    @Override
    public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
      Promise<Reply> done = Promise.promise();
      Buffer all = Buffer.buffer();
      content.handler(all::appendBuffer).exceptionHandler(done::tryFail).endHandler(v -> {
        received.put(envelope.sender().toString(), all);
        done.tryComplete();
      });
      return done.future();
    }
  };

  @Test
  void textArrivesByteIdenticalOverDataAndOverBdatFromBuffersAndSplitStreams() throws Exception {
    SmtpServer server = SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(0), storing);
    server.listen().await(10, TimeUnit.SECONDS);
    SplittableRandom random = new SplittableRandom(17_04);
    List<byte[]> messages = new ArrayList<>(MESSAGES);
    for (int i = 0; i < MESSAGES; i++) {
      messages.add(message(random, i));
    }
    Context context = vertx.getOrCreateContext();
    List<Map<String, Buffer>> runs = new ArrayList<>();
    for (boolean chunking : new boolean[] {false, true}) {
      ClientSession s = SmtpClient.create(vertx, new SmtpClientOptions().setChunking(chunking))
          .connect("127.0.0.1", server.actualPort()).await(20, TimeUnit.SECONDS);
      assertThat(s.capabilities().chunking()).isTrue();
      for (boolean stream : new boolean[] {false, true}) {
        String way = (chunking ? "BDAT" : "DATA") + (stream ? " from a stream" : " from a buffer");
        received.clear();
        List<Future<DeliveryResult>> sent = new ArrayList<>(MESSAGES);
        for (int i = 0; i < MESSAGES; i++) {
          Buffer whole = Buffer.buffer(messages.get(i));
          List<String> to = List.of("r@y.test");
          sent.add(s.send(stream
              ? MailTransaction.of("m" + i + "@x.test", to, new ChunkStream(context, split(random, messages.get(i))))
              : MailTransaction.of("m" + i + "@x.test", to, whole)));
        }
        Future.all(sent).await(60, TimeUnit.SECONDS);
        for (Future<DeliveryResult> f : sent) {
          assertThat(f.result().allDelivered()).as(way).isTrue();
        }
        assertThat(received).as(way).hasSize(MESSAGES);
        runs.add(Map.copyOf(received));
      }
      s.quit().await(10, TimeUnit.SECONDS);
    }
    for (int i = 0; i < MESSAGES; i++) {
      String key = "<m" + i + "@x.test>";
      String expected = show(repaired(messages.get(i)));
      String[] ways = {"DATA from a buffer", "DATA from a stream", "BDAT from a buffer", "BDAT from a stream"};
      for (int w = 0; w < ways.length; w++) {
        assertThat(show(runs.get(w).get(key).getBytes())).as("message %d, %s, given %s", i, ways[w],
            show(messages.get(i))).isEqualTo(expected);
      }
    }
  }

  /** Lines of every awkward kind, ended by CRLF, LF or CR, the last one often not ended at all. */
  private static byte[] message(SplittableRandom random, int i) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int lines = i % 50 == 0 ? 0 : random.nextInt(1, 20);
    for (int l = 0; l < lines; l++) {
      byte[] text = switch (random.nextInt(6)) {
        case 0 -> ".".getBytes(StandardCharsets.US_ASCII);
        case 1 -> ("..dots " + l).getBytes(StandardCharsets.US_ASCII);
        case 2 -> ("caf\u00e9 \u00fcber " + l).getBytes(StandardCharsets.UTF_8);
        case 3 -> new byte[] {'x', (byte) 0xE9, (byte) 0xFF, (byte) 0x80, 'y'};
        case 4 -> new byte[0];
        default -> ("Line " + l + " of message " + i).getBytes(StandardCharsets.US_ASCII);
      };
      out.writeBytes(text);
      boolean last = l == lines - 1;
      if (last && random.nextInt(3) == 0) {
        break; // no final line end
      }
      switch (random.nextInt(5)) {
        case 0 -> out.write('\n');
        case 1 -> out.write('\r');
        default -> out.writeBytes(new byte[] {'\r', '\n'});
      }
    }
    return out.toByteArray();
  }

  /** Cut anywhere, and most often right after a CR (inside a CRLF, or before a bare CR's next line); some empty. */
  private static List<Buffer> split(SplittableRandom random, byte[] m) {
    List<Buffer> chunks = new ArrayList<>();
    int from = 0;
    for (int i = 0; i < m.length; i++) {
      boolean cut = m[i] == '\r' ? random.nextInt(4) != 0 : random.nextInt(12) == 0;
      if (cut) {
        chunks.add(Buffer.buffer(java.util.Arrays.copyOfRange(m, from, i + 1)));
        from = i + 1;
        if (random.nextInt(10) == 0) {
          chunks.add(Buffer.buffer());
        }
      }
    }
    chunks.add(Buffer.buffer(java.util.Arrays.copyOfRange(m, from, m.length)));
    return chunks;
  }

  /** The rule, byte by byte: CRLF kept, a bare CR or LF made CRLF, a last line without an end ended. */
  private static byte[] repaired(byte[] m) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < m.length; i++) {
      if (m[i] == '\r') {
        out.writeBytes(new byte[] {'\r', '\n'});
        if (i + 1 < m.length && m[i + 1] == '\n') {
          i++;
        }
      } else if (m[i] == '\n') {
        out.writeBytes(new byte[] {'\r', '\n'});
      } else {
        out.write(m[i]);
      }
    }
    byte[] b = out.toByteArray();
    if (b.length > 0 && b[b.length - 1] != '\n') {
      out.writeBytes(new byte[] {'\r', '\n'});
    }
    return out.toByteArray();
  }

  private static String show(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      int c = x & 0xFF;
      sb.append(c == '\r' ? "\\r" : c == '\n' ? "\\n\n" : c < 32 || c > 126 ? String.format("\\x%02x", c) : String.valueOf((char) c));
    }
    return sb.toString();
  }
}
