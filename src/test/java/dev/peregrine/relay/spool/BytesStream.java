package dev.peregrine.relay.spool;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * Given octets as a stream on {@code context}: {@code piece} octets per event-loop task while not paused,
 * then the end, or a failure once {@code failAt} octets are out (-1: never). Created paused, like the
 * server's content stream.
 */
final class BytesStream implements ReadStream<Buffer> {

  private final Context context;
  private final byte[] bytes;
  private final int piece;
  private final long failAt;
  private int emitted;
  private boolean paused = true;
  private boolean scheduled;
  private boolean over;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;
  private long stallAt = -1;
  private final io.vertx.core.Promise<Void> stalled = io.vertx.core.Promise.promise();

  BytesStream(Context context, byte[] bytes, int piece, long failAt) {
    this.context = context;
    this.bytes = bytes;
    this.piece = piece;
    this.failAt = failAt;
  }

  BytesStream(Context context, byte[] bytes, int piece) {
    this(context, bytes, piece, -1);
  }

  /** Stops emitting, without an end, once {@code at} octets are out: a client that stalls mid-message. */
  BytesStream stallAt(long at) {
    stallAt = at;
    return this;
  }

  /** Completes (on the context) when the stream stalled. */
  io.vertx.core.Future<Void> stalled() {
    return stalled.future();
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> h) {
    exceptionHandler = h;
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
    if (!scheduled && !paused && handler != null && !over) {
      scheduled = true;
      context.runOnContext(v -> emit());
    }
  }

  private void emit() {
    scheduled = false;
    if (paused || handler == null || over) {
      return;
    }
    if (stallAt >= 0 && emitted >= stallAt) {
      stalled.tryComplete();
      return;
    }
    if (failAt >= 0 && emitted >= failAt) {
      over = true;
      exceptionHandler.handle(new IllegalStateException("client went away"));
      return;
    }
    if (emitted >= bytes.length) {
      over = true;
      endHandler.handle(null);
      return;
    }
    int n = Math.min(piece, bytes.length - emitted);
    if (failAt >= 0) {
      n = (int) Math.min(n, failAt - emitted);
    }
    if (stallAt >= 0) {
      n = (int) Math.min(n, stallAt - emitted);
    }
    handler.handle(Buffer.buffer().appendBytes(bytes, emitted, n));
    emitted += n;
    schedule();
  }
}
