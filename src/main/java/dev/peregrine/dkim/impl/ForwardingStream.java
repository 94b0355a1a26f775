package dev.peregrine.dkim.impl;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A content stream that passes flow control (pause, resume, fetch), failures and, unless overridden, the
 * end to the stream it wraps; subclasses decide what happens to each chunk.
 */
abstract class ForwardingStream implements ReadStream<Buffer> {

  protected final ReadStream<Buffer> stream;

  ForwardingStream(ReadStream<Buffer> stream) {
    this.stream = stream;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> h) {
    stream.exceptionHandler(h);
    return this;
  }

  @Override
  public ReadStream<Buffer> pause() {
    stream.pause();
    return this;
  }

  @Override
  public ReadStream<Buffer> resume() {
    stream.resume();
    return this;
  }

  @Override
  public ReadStream<Buffer> fetch(long amount) {
    stream.fetch(amount);
    return this;
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> h) {
    stream.endHandler(h);
    return this;
  }
}
