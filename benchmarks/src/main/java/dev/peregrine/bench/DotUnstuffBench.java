package dev.peregrine.bench;

import dev.peregrine.protocol.DataDecoder;
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

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Server-side DATA decoding ({@link DataDecoder}, {@link DataDecoder.Mode#REJECT}) of one whole message of
 * {@code size} content octets (see {@link MessageContent}): its wire form (dots doubled, then
 * {@code CRLF.CRLF}) pre-cut into 16 KiB Buffers as socket reads deliver it, each content slice sent to a
 * Blackhole. One op = one message, end of data found, {@code reset()}; content bytes/s = ops/s x size.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DotUnstuffBench {

  @Param({"1024", "102400", "10485760"})
  public int size;

  private Buffer[] chunks;
  private DataDecoder decoder;
  private final BlackholeSink<Buffer> sink = new BlackholeSink<>();

  @Setup
  public void setup() {
    byte[] content = MessageContent.generate(size);
    byte[] wire = MessageContent.stuffReference(content);
    chunks = MessageContent.chunks(wire, MessageContent.CHUNK);
    decoder = new DataDecoder(Long.MAX_VALUE, DataDecoder.Mode.REJECT);

    // The decoder must give back exactly the content and stop at the very end of the wire form.
    Buffer got = Buffer.buffer(size);
    int end = -1;
    for (int i = 0; i < chunks.length; i++) {
      end = decoder.decode(chunks[i], 0, got::appendBuffer);
      if (end >= 0 && i != chunks.length - 1) {
        throw new IllegalStateException("end of data found early, in chunk " + i);
      }
    }
    if (end != chunks[chunks.length - 1].length() || decoder.violation() != null || decoder.sizeExceeded()
        || decoder.size() != size || !Arrays.equals(got.getBytes(), content)) {
      throw new IllegalStateException("DataDecoder output differs from the content: end=" + end
          + " violation=" + decoder.violation() + " size=" + decoder.size());
    }
    decoder.reset();
  }

  @Benchmark
  public long decode(Blackhole bh) {
    BlackholeSink<Buffer> s = sink;
    s.bh = bh;
    DataDecoder d = decoder;
    int end = -1;
    for (Buffer c : chunks) {
      end = d.decode(c, 0, s);
    }
    bh.consume(end);
    long n = d.size();
    d.reset();
    return n;
  }
}
