package dev.peregrine.relay.queue;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A {@link Buffer} as a {@link ReadStream} with back-pressure: slices of 32 KiB emitted on {@code ctx} while
 * there is demand, then the end. For content made in memory (a delivery report) handed to the spool.
 */
final class BufferStream implements ReadStream<Buffer> {

  private static final int SLICE = 32 * 1024;

  private final Context ctx;
  private final Buffer buffer;
  private int position;
  private long demand = Long.MAX_VALUE;
  private boolean scheduled;
  private boolean ended;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;

  BufferStream(Context ctx, Buffer buffer) {
    this.ctx = ctx;
    this.buffer = buffer;
  }

  @Override
  public BufferStream exceptionHandler(Handler<Throwable> h) {
    return this;
  }

  @Override
  public BufferStream handler(Handler<Buffer> h) {
    handler = h;
    schedule();
    return this;
  }

  @Override
  public BufferStream pause() {
    demand = 0;
    return this;
  }

  @Override
  public BufferStream resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public BufferStream fetch(long amount) {
    demand = demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
    schedule();
    return this;
  }

  @Override
  public BufferStream endHandler(Handler<Void> h) {
    endHandler = h;
    return this;
  }

  private void schedule() {
    if (!scheduled && !ended && handler != null && demand > 0) {
      scheduled = true;
      ctx.runOnContext(v -> emit());
    }
  }

  private void emit() {
    scheduled = false;
    while (!ended && handler != null && demand > 0) {
      if (position >= buffer.length()) {
        ended = true;
        if (endHandler != null) {
          endHandler.handle(null);
        }
        return;
      }
      int end = Math.min(buffer.length(), position + SLICE);
      Buffer slice = buffer.slice(position, end);
      position = end;
      if (demand != Long.MAX_VALUE) {
        demand--;
      }
      handler.handle(slice);
    }
  }
}
