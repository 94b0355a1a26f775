package dev.peregrine.dkim.impl;

import dev.peregrine.dkim.DkimMessage;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A content stream seen through a {@link DkimMessage}: each chunk is fed to the message just before it goes
 * to the handler; flow control and the end go to the stream as they are. A chunk the message refuses (it
 * threw) is remembered, the rest still flows, and {@link #failure()} tells; the signature is then not to be
 * trusted.
 */
public final class SignedStream extends ForwardingStream {

  private final DkimMessage message;
  private RuntimeException failure;

  public SignedStream(DkimMessage message, ReadStream<Buffer> stream) {
    super(stream);
    this.message = message;
  }

  /** What the message threw on a chunk, or null. */
  public RuntimeException failure() {
    return failure;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> h) {
    stream.handler(h == null ? null : chunk -> {
      if (failure == null) {
        try {
          message.update(chunk);
        } catch (RuntimeException e) {
          failure = e;
        }
      }
      h.handle(chunk);
    });
    return this;
  }
}
