package dev.peregrine.relay.spool;

/**
 * A spool operation that did not happen: an I/O error (disk full, a failed fsync), a closed spool, an
 * unknown queue id, a recipient index out of range or already final. The {@link #getCause() cause} holds the
 * underlying {@link java.io.IOException} when there is one. A write whose future fails with this exception
 * was not acknowledged: a receive that fails must not be answered with 250.
 */
public class SpoolException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public SpoolException(String message) {
    super(message);
  }

  public SpoolException(String message, Throwable cause) {
    super(message, cause);
  }
}
