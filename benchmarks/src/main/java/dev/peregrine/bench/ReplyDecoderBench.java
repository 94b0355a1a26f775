package dev.peregrine.bench;

import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.ReplyDecoder;
import io.vertx.core.buffer.Buffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * {@link ReplyDecoder#decode(Buffer, java.util.function.Consumer)} on one socket read holding whole replies.
 * One op = the whole read decoded:
 * <ul>
 *   <li>{@code PIPELINED}: the three replies to a pipelined MAIL, RCPT, DATA (3 replies, 3 lines);</li>
 *   <li>{@code EHLO}: a 10-line EHLO reply (1 reply, 10 lines).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ReplyDecoderBench {

  static final String PIPELINED = "250 2.1.0 Sender OK\r\n"
      + "250 2.1.5 Recipient OK\r\n"
      + "354 End data with <CR><LF>.<CR><LF>\r\n";

  static final String EHLO = "250-mx.example.net Hello client.example.com [192.0.2.10]\r\n"
      + "250-SIZE 52428800\r\n"
      + "250-8BITMIME\r\n"
      + "250-PIPELINING\r\n"
      + "250-ENHANCEDSTATUSCODES\r\n"
      + "250-CHUNKING\r\n"
      + "250-SMTPUTF8\r\n"
      + "250-DSN\r\n"
      + "250-AUTH PLAIN LOGIN\r\n"
      + "250 STARTTLS\r\n";

  @Param({"PIPELINED", "EHLO"})
  public String input;

  private ReplyDecoder decoder;
  private Buffer read;
  private final BlackholeSink<Reply> sink = new BlackholeSink<>();

  @Setup
  public void setup() {
    String text = switch (input) {
      case "PIPELINED" -> PIPELINED;
      case "EHLO" -> EHLO;
      default -> throw new IllegalArgumentException(input);
    };
    decoder = new ReplyDecoder();
    read = Buffer.buffer(text.getBytes(StandardCharsets.US_ASCII));
    int expectedReplies = input.equals("EHLO") ? 1 : 3;
    int expectedLines = input.equals("EHLO") ? 10 : 1;
    java.util.List<Reply> replies = decoder.decode(read);
    if (replies.size() != expectedReplies || replies.get(0).lines().size() != expectedLines
        || decoder.hasBufferedInput()) {
      throw new IllegalStateException("unexpected decoding of " + input + ": " + replies);
    }
  }

  @Benchmark
  public void decode(Blackhole bh) {
    sink.bh = bh;
    decoder.decode(read, sink);
  }
}
