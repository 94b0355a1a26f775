package dev.peregrine.test;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.util.function.LongConsumer;

/**
 * A message of any length made on demand: {@code total} octets of the repeated {@code pattern}, emitted in
 * {@code chunkSize} chunks on {@code context}, one chunk per event-loop task while not paused, so that
 * back-pressure (pause/resume) is honoured and memory stays flat whatever the length. {@code onEmit}
 * sees the running total after each chunk (or pass null).
 */
public final class GeneratedStream implements ReadStream<Buffer> {

  private final Context context;
  private final Buffer chunk;
  private final long total;
  private final LongConsumer onEmit;
  private long emitted;
  private boolean paused = true;
  private boolean scheduled;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;

  public GeneratedStream(Context context, String pattern, int chunkSize, long total, LongConsumer onEmit) {
    this.context = context;
    StringBuilder b = new StringBuilder(chunkSize + pattern.length());
    while (b.length() < chunkSize) {
      b.append(pattern);
    }
    this.chunk = Buffer.buffer(b.substring(0, chunkSize));
    this.total = total;
    this.onEmit = onEmit;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> h) {
    return this;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> h) {
    handler = h;
    schedule();
    return this;
  }

  @Override
  public ReadStream<Buffer> pause() {
    paused = true;
    return this;
  }

  @Override
  public ReadStream<Buffer> resume() {
    paused = false;
    schedule();
    return this;
  }

  @Override
  public ReadStream<Buffer> fetch(long amount) {
    return resume();
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> h) {
    endHandler = h;
    return this;
  }

  private void schedule() {
    if (!scheduled && !paused && handler != null) {
      scheduled = true;
      context.runOnContext(v -> emit());
    }
  }

  private void emit() {
    scheduled = false;
    if (paused || handler == null) {
      return;
    }
    if (emitted >= total) {
      if (endHandler != null) {
        Handler<Void> h = endHandler;
        endHandler = null;
        h.handle(null);
      }
      return;
    }
    int n = (int) Math.min(chunk.length(), total - emitted);
    emitted += n;
    handler.handle(n == chunk.length() ? chunk : chunk.getBuffer(0, n));
    if (onEmit != null) {
      onEmit.accept(emitted);
    }
    schedule();
  }
}
