package dev.peregrine.dkim.impl;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A content stream with a header before it: the header goes to the handler just before the stream's first
 * chunk (or its end, when it has none). Pause, resume and fetch go to the stream as they are.
 */
public final class PrefixedStream extends ForwardingStream {

  private Buffer prefix;
  private Handler<Buffer> handler;

  public PrefixedStream(Buffer prefix, ReadStream<Buffer> stream) {
    super(stream);
    this.prefix = prefix;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> h) {
    handler = h;
    stream.handler(h == null ? null : chunk -> {
      emitPrefix();
      handler.handle(chunk);
    });
    return this;
  }

  private void emitPrefix() {
    Buffer p = prefix;
    if (p != null && handler != null) {
      prefix = null;
      handler.handle(p);
    }
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> h) {
    stream.endHandler(h == null ? null : v -> {
      emitPrefix();
      h.handle(v);
    });
    return this;
  }
}
