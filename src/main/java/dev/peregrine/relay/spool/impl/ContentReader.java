package dev.peregrine.relay.spool.impl;

import dev.peregrine.relay.spool.SpoolException;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.streams.ReadStream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The content of one entry, read back from its chunks' places in the log (after the header fields stored with
 * its commit, if any): one positional read of up to
 * 64 KiB at a time on a Vert.x worker, emitted on the context, only while there is demand. Single reader;
 * state touched on the context, except the extent position, advanced by the one read in flight.
 */
final class ContentReader implements ReadStream<Buffer> {

  private static final int READ = 64 * 1024;

  private final ContextInternal ctx;
  private final Path logDir;
  private final long[] extents;
  private final String queueId;
  private byte[] prefix;
  private int extent;
  private long offset;
  private long demand = Long.MAX_VALUE;
  private boolean reading;
  private boolean over;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;

  ContentReader(ContextInternal ctx, Path logDir, byte[] prefix, long[] extents, String queueId) {
    this.ctx = ctx;
    this.prefix = prefix.length == 0 ? null : prefix;
    this.logDir = logDir;
    this.extents = extents;
    this.queueId = queueId;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> h) {
    exceptionHandler = h;
    return this;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> h) {
    handler = h;
    next();
    return this;
  }

  @Override
  public ReadStream<Buffer> pause() {
    demand = 0;
    return this;
  }

  @Override
  public ReadStream<Buffer> resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public ReadStream<Buffer> fetch(long amount) {
    demand = demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
    next();
    return this;
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> h) {
    endHandler = h;
    return this;
  }

  private void next() {
    if (reading || over || handler == null || demand == 0) {
      return;
    }
    if (prefix != null) {
      // The header fields stored with the commit come first, from memory.
      Buffer first = Buffer.buffer(prefix);
      prefix = null;
      if (demand != Long.MAX_VALUE) {
        demand--;
      }
      handler.handle(first);
      next();
      return;
    }
    if (extent * 3 >= extents.length) {
      over = true;
      if (endHandler != null) {
        endHandler.handle(null);
      }
      return;
    }
    reading = true;
    ctx.executeBlocking(this::read, false).onComplete(ar -> {
      reading = false;
      if (ar.failed()) {
        over = true;
        if (exceptionHandler != null) {
          exceptionHandler.handle(ar.cause());
        }
        return;
      }
      if (demand != Long.MAX_VALUE) {
        demand--;
      }
      Handler<Buffer> h = handler;
      if (h != null) {
        h.handle(ar.result());
      }
      next();
    });
  }

  /**
   * On a worker: the next piece of the current extent. The segment is opened for each read and closed
   * after it, so a reader its consumer abandons (a delivery attempt that failed mid-way) holds no file.
   */
  private Buffer read() throws IOException {
    long seq = extents[extent * 3];
    long start = extents[extent * 3 + 1];
    long length = extents[extent * 3 + 2];
    int n = (int) Math.min(READ, length - offset);
    ByteBuffer b = ByteBuffer.allocate(n);
    try (FileChannel channel = FileChannel.open(SegmentLog.segmentPath(logDir, seq), StandardOpenOption.READ)) {
      while (b.hasRemaining()) {
        if (channel.read(b, start + offset + b.position()) < 0) {
          throw new SpoolException("the content of " + queueId + " ends early: the spool changed under the reader");
        }
      }
    } catch (NoSuchFileException e) {
      throw new SpoolException("the content of " + queueId + " is gone: removed while read", e);
    }
    offset += n;
    if (offset == length) {
      extent++;
      offset = 0;
    }
    return Buffer.buffer(b.array());
  }
}
