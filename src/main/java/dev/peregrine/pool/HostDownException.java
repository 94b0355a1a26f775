package dev.peregrine.pool;

import dev.peregrine.client.SmtpConnectionException;

/** The host refused or timed out a connection recently and is not tried again until its back-off ends. */
public class HostDownException extends SmtpConnectionException {

  private final String address;

  public HostDownException(String address, long retryInMillis, Throwable cause) {
    super(address + " is marked down after a failed connection; next try in " + retryInMillis + " ms", cause, false,
        false);
    this.address = address;
  }

  public String address() {
    return address;
  }
}
