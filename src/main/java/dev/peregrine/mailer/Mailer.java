package dev.peregrine.mailer;

import dev.peregrine.mailer.impl.MailerImpl;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.streams.ReadStream;

/**
 * Sends messages to recipients in any number of domains: finds each domain's mail exchangers, groups
 * recipients that share them into transactions (split at the recipient limit, or when a server answers
 * 452 4.5.3), runs the transactions on pooled sessions, fails over to the next exchanger on a connection or
 * session-level failure, and reports a final outcome per recipient. Nothing is retried later: a deferred
 * recipient is the caller's (or the relay's queue's) to try again.
 *
 * <p>At most {@code max-in-flight} messages are worked on at once; more wait in order. A bulk producer
 * checks {@link #full()} and waits for the {@link #drainHandler}, or hands over a stream with
 * {@link #sendAll}.
 */
public interface Mailer {

  static Mailer create(Vertx vertx, MailerOptions options) {
    return new MailerImpl(vertx, options);
  }

  /** Completes (on the caller's context) once every recipient has its outcome; it never fails for a recipient. */
  Future<MailResult> send(MailMessage message);

  /** True when {@code max-in-flight} messages are already taken: wait for the drain handler. */
  boolean full();

  /** Called once the mailer has room again after {@link #full()}. */
  Mailer drainHandler(Handler<Void> handler);

  /**
   * Sends every message of {@code messages}, pausing the stream while the mailer is full; each result goes
   * to {@code results}. Completes when the stream has ended and every result is in. When {@code results}
   * throws, the later results still go to it and the future then fails with the first exception it threw.
   */
  Future<Void> sendAll(ReadStream<MailMessage> messages, Handler<MailResult> results);

  MailerMetrics metrics();

  /** Ends every pooled session with QUIT. */
  Future<Void> close();
}
