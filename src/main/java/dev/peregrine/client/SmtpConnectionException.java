package dev.peregrine.client;

/**
 * The connection itself failed: refused, reset, closed, timed out, or the TLS handshake failed. Distinct from
 * {@link SmtpClientException}, which is a reply. {@link #isStale()} marks a reused idle session that the server
 * had already dropped (421 or EOF at the first command): reconnect, it is not a delivery failure.
 */
public class SmtpConnectionException extends RuntimeException {

  private final boolean stale;
  private final boolean tls;

  public SmtpConnectionException(String message, Throwable cause, boolean stale, boolean tls) {
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
}
