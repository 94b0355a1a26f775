package dev.peregrine.client;

import dev.peregrine.protocol.Capabilities;
import io.vertx.core.Future;

/**
 * One SMTP session to one host, reused for any number of transactions: after a transaction the next starts
 * with MAIL (RSET only after one that failed part-way, pipelined with the next MAIL).
 *
 * <p>{@link #send} may be called again before the previous result arrives: with PIPELINING the next
 * transaction's commands go out right after the previous content, without waiting for its reply.
 * Futures complete on the context that opened the session.
 */
public interface ClientSession {

  /** A short name for this session in logs and failures ({@code c17}), unique in this JVM. */
  String id();

  /** The server's extensions, as of the last EHLO (after STARTTLS, the encrypted one). */
  Capabilities capabilities();

  boolean isTls();

  /** True until the connection closed or failed. */
  boolean isOpen();

  /** Transactions whose final reply has arrived on this session. */
  int completedTransactions();

  /**
   * Sends one message. Succeeds with the per-recipient outcome whenever the server answered (a recipient
   * refused is a result, not a failure). Fails with an {@link SmtpClientFailure}:
   * {@link SmtpClientException.Rejected} when the server refuses MAIL or the content,
   * {@link SmtpClientException.RefusedLocally} when a local check fails (SIZE, SMTPUTF8, 8-bit or binary
   * content; phase MAIL) or the content stream fails (phase CONTENT), or an {@link SmtpConnectionException}
   * ({@code ConnectionLost}, perhaps stale, or {@code TimedOut}).
   */
  Future<DeliveryResult> send(MailTransaction transaction);

  /** QUIT and close. */
  Future<Void> quit();

  /** Closes at once. */
  Future<Void> close();
}
