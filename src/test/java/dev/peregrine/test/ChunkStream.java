package dev.peregrine.test;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.util.List;

/**
 * Content given as a stream of chosen chunks (split wherever a test wants: after a CR, inside a CRLF, empty
 * chunks), one chunk per event-loop task on {@code context} while not paused, then the end; or, after
 * {@link #failingAfter} chunks, a failure.
 */
public class ChunkStream implements ReadStream<Buffer> {

  private final Context context;
  private final List<Buffer> chunks;
  private int next;
  private boolean paused = true;
  private boolean scheduled;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;
  private int failAfter = -1;
  private Throwable failure;

  public ChunkStream(Context context, List<Buffer> chunks) {
    this.context = context;
    this.chunks = chunks;
  }

  /** Fails with {@code failure} once {@code n} chunks have been emitted, instead of going on. */
  public ChunkStream failingAfter(int n, Throwable failure) {
    this.failAfter = n;
    this.failure = failure;
    return this;
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
    if (next == failAfter) {
      failAfter = -1;
      if (exceptionHandler != null) {
        exceptionHandler.handle(failure);
      }
      return;
    }
    if (next == chunks.size()) {
      if (endHandler != null) {
        Handler<Void> h = endHandler;
        endHandler = null;
        h.handle(null);
      }
      return;
    }
    handler.handle(chunks.get(next++));
    schedule();
  }
}
