package dev.peregrine.mailer;

import dev.peregrine.dkim.DkimSigner;
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
 *
 * <p>With DKIM keys ({@link MailerOptions#getDkim()}), each message is signed once, before it goes to any
 * exchanger, by its From header's domain: a {@code Buffer} on the signer's worker threads, a stream factory's
 * content hashed as it is read once, then sent from a fresh stream with the signature before it. A message
 * whose content cannot be read for signing gets 451 4.3.0 for every recipient.
 */
public interface Mailer {

  /**
   * A mailer. With DKIM keys in {@code options.dkim}, their files are read on the calling thread (a few
   * kilobytes, once) and a key that cannot be used throws a {@link dev.peregrine.dkim.DkimKeyException}
   * naming the file and the reason; from an event loop prefer {@link #load}.
   */
  static Mailer create(Vertx vertx, MailerOptions options) {
    return new MailerImpl(vertx, options);
  }

  /**
   * As {@link #create(Vertx, MailerOptions)}, reading the DKIM keys on a worker thread: fails with a
   * {@link dev.peregrine.dkim.DkimKeyException} naming the file and the reason when one cannot be used.
   */
  static Future<Mailer> load(Vertx vertx, MailerOptions options) {
    if (!options.getDkim().isEnabled()) {
      return Future.succeededFuture(create(vertx, options));
    }
    return DkimSigner.load(vertx, options.getDkim()).map(signer -> new MailerImpl(vertx, options, signer, true));
  }

  /**
   * A mailer that signs every message with {@code signer} (null: none), whatever {@code options.dkim} says;
   * the caller keeps the signer and closes it (a relay that signs at acceptance gives the signer to its
   * server side and null here, so that delivery attempts do not sign again).
   */
  static Mailer create(Vertx vertx, MailerOptions options, DkimSigner signer) {
    return new MailerImpl(vertx, options, signer, false);
  }

  /**
   * As {@link #create(Vertx, MailerOptions, DkimSigner)}, with the limits that concern the receiving side
   * held in {@code limits} as well ({@link dev.peregrine.cluster.SharedLimits}: across a cluster through
   * Redis): each exchanger address's {@code pool.max-per-host} sessions and {@code connections-per-minute},
   * each destination's {@code destination-concurrency} and {@code destination-rate}. The caller closes
   * {@code limits}.
   */
  static Mailer create(Vertx vertx, MailerOptions options, DkimSigner signer, dev.peregrine.cluster.SharedLimits limits) {
    return new MailerImpl(vertx, options, signer, false, limits);
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
