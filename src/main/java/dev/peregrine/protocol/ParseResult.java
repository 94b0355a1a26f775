package dev.peregrine.protocol;

/**
 * What {@link CommandParser} made of one line: a command, or the reason it was refused.
 */
public sealed interface ParseResult {

  /** A well-formed command. */
  record Parsed(SmtpCommand command) implements ParseResult {
  }

  /**
   * A refused line. {@code verb} is the upper-case verb when one could be read (else empty), {@code detail}
   * says exactly what is wrong, for the reply text and logs.
   */
  record Malformed(String verb, Rejection reason, String detail) implements ParseResult {
    /** The reply to send back. */
    public Reply reply() {
      return reason.reply(verb, detail);
    }
  }
}
