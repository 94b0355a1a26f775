package dev.peregrine.client.impl;

import dev.peregrine.client.SmtpClientException;
import dev.peregrine.protocol.Reply;
import io.vertx.core.Future;

/** A reply with what it answers. */
record Answer(Awaited to, Reply reply) {

  /** The server's refusal of what this answers. */
  SmtpClientException.Rejected rejected() {
    return new SmtpClientException.Rejected(to.phase(), to.describe(), reply);
  }

  /** Fails with {@link #rejected()} unless the reply is positive (or 3xx when {@code intermediateOk}). */
  static Future<Answer> positive(Future<Answer> f, boolean intermediateOk) {
    return f.compose(a -> a.reply.isPositive() || intermediateOk && a.reply.isIntermediate()
        ? Future.succeededFuture(a) : Future.failedFuture(a.rejected()));
  }
}
