package dev.peregrine.pool;

import dev.peregrine.client.SmtpConnectionException;

/** The host (address and port) refused or timed out a connection recently; not tried again until its back-off ends. */
public class HostDownException extends SmtpConnectionException.ConnectionLost {

  private final String endpoint;

  public HostDownException(String endpoint, long retryInMillis, Throwable cause) {
    super(endpoint + " is marked down after a failed connection; next try in " + retryInMillis + " ms", cause, false,
        false);
    this.endpoint = endpoint;
  }

  /** {@code address:port} ({@code [v6]:port}). */
  public String endpoint() {
    return endpoint;
  }
}
