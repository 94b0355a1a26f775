package dev.peregrine.bench;

import dev.peregrine.protocol.DotStuffer;
import dev.peregrine.protocol.impl.Bytes;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
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
 * Client-side DATA encoding ({@link DotStuffer}) of one whole message of {@code size} content octets
 * (see {@link MessageContent}). One op = one message, terminator included; content bytes/s = ops/s x size.
 * <ul>
 *   <li>{@link #buffer}: the Buffer API, fed 16 KiB Buffers as a socket or file read delivers them, then
 *       {@code finish()};</li>
 *   <li>{@link #bytes}: the allocation-free {@code encode(byte[], off, len, dst, dstOff)} over the same
 *       16 KiB pieces into one preallocated destination, then {@code finish()};</li>
 *   <li>{@link #directBuffer}: what the client does with a buffered message at the flush: the whole message
 *       stuffed by {@code encodeTo} into a pooled direct ByteBuf (allocated and released per op, as the
 *       socket's write does), terminator included;</li>
 *   <li>{@link #classify}: the client's one pass that decides BODY= (7-bit, 8-bit or binary).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DotStuffBench {

  @Param({"1024", "102400", "10485760"})
  public int size;

  private byte[] content;
  private Buffer[] chunks;
  private byte[] dst;
  private DotStuffer stuffer;
  private Buffer whole;

  @Setup
  public void setup() {
    content = MessageContent.generate(size);
    chunks = MessageContent.chunks(content, MessageContent.CHUNK);
    dst = new byte[DotStuffer.maxEncodedLength(size) + 16];
    stuffer = new DotStuffer();
    whole = Buffer.buffer(content);
    byte[] expected = MessageContent.stuffReference(content);

    // Both APIs must produce exactly the reference wire form, or the numbers mean nothing.
    Buffer viaBuffers = Buffer.buffer(expected.length);
    for (Buffer c : chunks) {
      viaBuffers.appendBuffer(stuffer.encode(c));
    }
    viaBuffers.appendBuffer(stuffer.finish());
    if (!Arrays.equals(viaBuffers.getBytes(), expected)) {
      throw new IllegalStateException("DotStuffer.encode(Buffer) output differs from the reference");
    }
    int n = encodeBytes();
    byte[] tail = stuffer.finish().getBytes();
    System.arraycopy(tail, 0, dst, n, tail.length);
    if (!Arrays.equals(dst, 0, n + tail.length, expected, 0, expected.length)) {
      throw new IllegalStateException("DotStuffer.encode(byte[]...) output differs from the reference");
    }
    ByteBuf direct = encodeDirect();
    byte[] viaDirect = new byte[direct.readableBytes()];
    direct.readBytes(viaDirect);
    direct.release();
    if (!Arrays.equals(viaDirect, expected)) {
      throw new IllegalStateException("DotStuffer.encodeTo(Buffer, ByteBuf) output differs from the reference");
    }
  }

  @Benchmark
  public int directBuffer() {
    ByteBuf b = encodeDirect();
    int n = b.readableBytes();
    b.release();
    return n;
  }

  @Benchmark
  public Bytes.ContentClass classify() {
    return Bytes.classify(whole);
  }

  /** As ClientSessionImpl.flush: room for a dot per 64 octets, then stuffed and terminated. */
  private ByteBuf encodeDirect() {
    ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(size + (size >>> 6) + 8);
    stuffer.encodeTo(whole, b);
    b.writeBytes(((BufferInternal) stuffer.finish()).getByteBuf());
    return b;
  }

  @Benchmark
  public void buffer(Blackhole bh) {
    DotStuffer s = stuffer;
    for (Buffer c : chunks) {
      bh.consume(s.encode(c));
    }
    bh.consume(s.finish());
  }

  @Benchmark
  public void bytes(Blackhole bh) {
    bh.consume(encodeBytes());
    bh.consume(stuffer.finish());
    bh.consume(dst);
  }

  private int encodeBytes() {
    DotStuffer s = stuffer;
    byte[] src = content;
    byte[] d = dst;
    int w = 0;
    for (int off = 0; off < src.length; off += MessageContent.CHUNK) {
      w += s.encode(src, off, Math.min(MessageContent.CHUNK, src.length - off), d, w);
    }
    return w;
  }
}
