package dev.peregrine.protocol;

/**
 * A line exceeded the framer's limit. The framer has already dropped the line's bytes (and drops the rest
 * of it as it arrives), so the caller answers once (e.g. 500 5.5.2) and carries on with the next line.
 */
public final class LineTooLongException extends SmtpProtocolException {

  private final int limit;

  public LineTooLongException(int limit) {
    super("line longer than " + limit + " octets");
    this.limit = limit;
  }

  public int limit() {
    return limit;
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    // Thrown on peer input, possibly often: the stack says nothing useful.
    return this;
  }
}
