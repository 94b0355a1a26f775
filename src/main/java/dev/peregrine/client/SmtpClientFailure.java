package dev.peregrine.client;

/**
 * Why a client step failed: exactly one of four, each a {@link RuntimeException}.
 * <ul>
 *   <li>{@link SmtpClientException.RefusedLocally}: the client refused before asking the server (the message
 *       needs an extension the server does not offer, is over its SIZE, credentials would go without TLS,
 *       STARTTLS is required but not offered, or the message's own content could not be read); carries the
 *       reply the client made.
 *   <li>{@link SmtpClientException.Rejected}: the server's negative reply, with the phase and the command it
 *       answered.
 *   <li>{@link SmtpConnectionException.ConnectionLost}: no connection, or not any more: refused, reset,
 *       closed, TLS failed, the server broke the protocol, or the session failed inside; perhaps
 *       {@linkplain SmtpConnectionException#isStale() stale}.
 *   <li>{@link SmtpConnectionException.TimedOut}: no reply, or no content sent, within its timeout.
 * </ul>
 *
 * <p>Switch over {@link #kind()} with a switch expression and no {@code default}, so that a new kind fails
 * to compile where it is not handled (Java 17 has no pattern matching for switch yet).
 */
public sealed interface SmtpClientFailure permits SmtpClientException, SmtpConnectionException {

  /** One constant per permitted class. */
  enum Kind { REFUSED_LOCALLY, REJECTED, CONNECTION_LOST, TIMED_OUT }

  Kind kind();
}
