package dev.peregrine.server.impl;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.util.ArrayDeque;

/**
 * The message content handed to {@link dev.peregrine.server.SmtpHandler#data}: a {@link ReadStream} fed by
 * the connection, with back-pressure. While the handler has no demand, chunks queue here and the connection
 * stops reading its socket ({@link Owner#contentPaused(boolean)}), so the queue never holds more than what
 * was already read.
 *
 * <p>Used on the connection's context only.
 */
final class ContentStream implements ReadStream<Buffer> {

  /** The connection, told when to stop and restart reading. */
  interface Owner {
    void contentPaused(boolean paused);
  }

  private final Owner owner;
  private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;
  private long demand = Long.MAX_VALUE;
  private boolean ended;
  private boolean endDelivered;
  private Throwable failure;
  private boolean ownerPaused;
  private boolean discarding;

  ContentStream(Owner owner) {
    this.owner = owner;
  }

  /** A chunk of content from the socket. */
  void push(Buffer chunk) {
    if (failure != null || ended || discarding) {
      return;
    }
    if (queue.isEmpty() && demand > 0 && handler != null) {
      deliver(chunk);
    } else {
      queue.add(chunk);
    }
    updateOwner();
  }

  /** The content is complete. */
  void end() {
    if (failure != null || ended) {
      return;
    }
    ended = true;
    drain();
  }

  /** The server refused or lost the message: tell the handler, drop what is queued. */
  void fail(Throwable cause) {
    if (failure != null || endDelivered) {
      return;
    }
    failure = cause;
    queue.clear();
    updateOwner();
    Handler<Throwable> h = exceptionHandler;
    if (h != null) {
      h.handle(cause);
    }
  }

  /**
   * The handler has given its verdict before the content ended: nobody will read the rest, so it is
   * dropped as it arrives (and the socket is never paused for it), to answer at the end of data.
   */
  void discard() {
    discarding = true;
    queue.clear();
    updateOwner();
  }

  boolean hasHandler() {
    return handler != null;
  }

  boolean isFinished() {
    return failure != null || endDelivered;
  }

  private void deliver(Buffer chunk) {
    if (demand != Long.MAX_VALUE) {
      demand--;
    }
    handler.handle(chunk);
  }

  private void drain() {
    while (!queue.isEmpty() && demand > 0 && handler != null && failure == null) {
      deliver(queue.poll());
    }
    if (ended && queue.isEmpty() && !endDelivered && failure == null) {
      endDelivered = true;
      Handler<Void> h = endHandler;
      if (h != null) {
        h.handle(null);
      }
    }
    updateOwner();
  }

  private void updateOwner() {
    boolean paused = failure == null && !endDelivered && !discarding
        && (!queue.isEmpty() || demand == 0 || handler == null);
    if (paused != ownerPaused) {
      ownerPaused = paused;
      owner.contentPaused(paused);
    }
  }

  @Override
  public ContentStream exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    return this;
  }

  @Override
  public ContentStream handler(Handler<Buffer> handler) {
    this.handler = handler;
    drain();
    return this;
  }

  @Override
  public ContentStream pause() {
    demand = 0;
    updateOwner();
    return this;
  }

  @Override
  public ContentStream resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public ContentStream fetch(long amount) {
    if (amount > 0) {
      demand = demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
      drain();
    }
    return this;
  }

  @Override
  public ContentStream endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    drain();
    return this;
  }
}
