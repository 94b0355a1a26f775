package dev.peregrine.client;

/**
 * The connection failed rather than a reply: it was lost ({@link ConnectionLost}: refused, reset, closed,
 * the TLS handshake failed, the server broke the protocol, the session failed inside) or a wait ran out
 * ({@link TimedOut}). {@link #isStale()} marks a reused idle session that the server had already dropped
 * (421 or EOF at the first command): reconnect, it is not a delivery failure.
 */
public abstract sealed class SmtpConnectionException extends RuntimeException implements SmtpClientFailure
    permits SmtpConnectionException.ConnectionLost, SmtpConnectionException.TimedOut {

  private final boolean stale;
  private final boolean tls;

  private SmtpConnectionException(String message, Throwable cause, boolean stale, boolean tls) {
    super(message, cause);
    this.stale = stale;
    this.tls = tls;
  }

  public boolean isStale() {
    return stale;
  }

  public boolean isTlsFailure() {
    return tls;
  }

  /** No connection, or not any more. Open for the pool's {@code HostDownException} (known in advance). */
  public static non-sealed class ConnectionLost extends SmtpConnectionException {

    public ConnectionLost(String message, Throwable cause, boolean stale, boolean tls) {
      super(message, cause, stale, tls);
    }

    @Override
    public Kind kind() {
      return Kind.CONNECTION_LOST;
    }
  }

  /** No reply (or no block of content sent) within its timeout (RFC 5321 §4.5.3.2); the session is closed. */
  public static final class TimedOut extends SmtpConnectionException {

    public TimedOut(String message) {
      super(message, null, false, false);
    }

    @Override
    public Kind kind() {
      return Kind.TIMED_OUT;
    }
  }
}
