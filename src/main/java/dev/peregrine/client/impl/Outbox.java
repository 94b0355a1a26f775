package dev.peregrine.client.impl;

import dev.peregrine.protocol.DotStuffer;
import dev.peregrine.protocol.impl.Bytes;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The session's writes: everything queued during one event-loop task goes out as one write when the task
 * ends (RFC 2920: a server answers a group read at once with one write, so the end of one message and the
 * next MAIL/RCPT/DATA should arrive together). DATA content held whole is dot-stuffed on the way, straight
 * into the socket's direct buffer: a message costs one copy.
 *
 * <p>Runs on the session's context. Owns the pooled direct buffer of a write until the channel takes it,
 * and releases it when filling it fails.
 */
final class Outbox {

  /** DATA content held whole: dot-stuffed and terminated as it is copied into the socket's buffer. */
  private record Stuffed(Buffer content) {
  }

  private final NetSocket socket;
  private final Consumer<Runnable> atTaskEnd;
  private final BooleanSupplier open;
  private List<Object> parts;

  /**
   * @param atTaskEnd runs a task after the current one on the session's context (through its guard)
   * @param open      false once the session is closed: nothing more is written
   */
  Outbox(NetSocket socket, Consumer<Runnable> atTaskEnd, BooleanSupplier open) {
    this.socket = socket;
    this.atTaskEnd = atTaskEnd;
    this.open = open;
  }

  /** Queues bytes for this task's write. */
  void add(Buffer b) {
    enqueue(b);
  }

  /** Queues DATA content, to be dot-stuffed and terminated as it is written. */
  void addStuffed(Buffer content) {
    enqueue(new Stuffed(content));
  }

  /** Writes {@code b} at once, after what is queued (a streamed chunk, which bypasses the batch). */
  void writeNow(Buffer b) {
    flush();
    socket.write(b);
  }

  /** Forgets what is queued (the session failed). */
  void clear() {
    parts = null;
  }

  private void enqueue(Object part) {
    if (parts == null) {
      parts = new ArrayList<>(4);
      atTaskEnd.accept(this::flush);
    }
    parts.add(part);
  }

  /** Sends what is queued now (before a streamed write or a TLS upgrade, which bypass the batch). */
  void flush() {
    List<Object> out = parts;
    parts = null;
    if (out == null || out.isEmpty() || !open.getAsBoolean()) {
      return;
    }
    int total = 0;
    boolean content = false;
    for (Object o : out) {
      if (o instanceof Buffer b) {
        total += b.length();
      } else {
        content = true;
        int n = ((Stuffed) o).content().length();
        total += n + (n >>> 6) + 8; // room for a dot per 64 octets and the terminator; grows past it
      }
    }
    if (!content && total <= 16 * 1024) {
      List<Buffer> buffers = new ArrayList<>(out.size());
      for (Object o : out) {
        buffers.add((Buffer) o);
      }
      socket.write(Bytes.concat(buffers));
      return;
    }
    // Message content, or a large write: copied once, into one pooled direct buffer that the channel
    // releases after the write, dot-stuffing on the way. (A composite of heap buffers costs Netty a merged
    // heap copy and then a direct copy, both allocated per message.)
    NetSocketInternal internal = (NetSocketInternal) socket;
    ByteBuf direct = internal.channelHandlerContext().alloc().directBuffer(total);
    try {
      for (Object o : out) {
        if (o instanceof Stuffed stuffed) {
          DotStuffer stuffer = new DotStuffer();
          stuffer.encodeTo(stuffed.content(), direct);
          direct.writeBytes(((BufferInternal) stuffer.finish()).getByteBuf());
          continue;
        }
        ByteBuf src = ((BufferInternal) o).getByteBuf();
        int n = src.readableBytes();
        // Driven by the source: a composite copies component by component.
        direct.ensureWritable(n);
        src.getBytes(src.readerIndex(), direct, direct.writerIndex(), n);
        direct.writerIndex(direct.writerIndex() + n);
      }
    } catch (RuntimeException e) {
      direct.release(); // not handed to the channel, which would release it after the write
      throw e;
    }
    internal.writeMessage(direct);
  }
}
