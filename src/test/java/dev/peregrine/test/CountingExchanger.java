package dev.peregrine.test;

import dev.peregrine.protocol.Reply;
import dev.peregrine.server.Envelope;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpSession;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * An exchanger's handler that counts the connections open at once (and the most ever), and answers 250 to
 * each message {@code holdMillis} after its content ended, so that sessions overlap; {@link #accepted} sees
 * each message's session and content first and may refuse it with a reply of its own.
 */
public class CountingExchanger implements SmtpHandler {

  public final AtomicInteger open = new AtomicInteger();
  public final AtomicInteger peak = new AtomicInteger();
  public final AtomicInteger messages = new AtomicInteger();
  private final Vertx vertx;
  private final long holdMillis;

  public CountingExchanger(Vertx vertx, long holdMillis) {
    this.vertx = vertx;
    this.holdMillis = holdMillis;
  }

  /** Called when the peak rises to {@code peak}. */
  protected void newPeak(int peak) {
  }

  /** A message that arrived: null to take it (250), or the reply that refuses it. */
  protected Reply accepted(SmtpSession session, Buffer content) {
    return null;
  }

  @Override
  public Future<Reply> connect(SmtpSession session) {
    int now = open.incrementAndGet();
    if (now > peak.getAndAccumulate(now, Math::max)) {
      newPeak(now);
    }
    return Future.succeededFuture();
  }

  @Override
  public void disconnect(SmtpSession session) {
    open.decrementAndGet();
  }

  @Override
  public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
    Promise<Reply> p = Promise.promise();
    Buffer all = Buffer.buffer();
    content.handler(all::appendBuffer);
    content.exceptionHandler(p::tryFail);
    content.endHandler(v -> {
      Reply refused = accepted(session, all);
      if (refused != null) {
        p.complete(refused);
      } else if (holdMillis <= 0) {
        messages.incrementAndGet();
        p.complete(Reply.of(250, "2.0.0", "OK"));
      } else {
        vertx.setTimer(holdMillis, id -> {
          messages.incrementAndGet();
          p.complete(Reply.of(250, "2.0.0", "OK"));
        });
      }
    });
    return p.future();
  }
}
