package dev.peregrine.client;

import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.SmtpException;

/**
 * A client session step failed with a reply from the server (or a reply made locally for a check that
 * needs no round trip, such as SIZE). Carries the phase and the command line that caused it.
 */
public class SmtpClientException extends SmtpException {

  /** Where in the dialogue it failed. */
  public enum Phase { CONNECT, GREETING, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, CONTENT, RSET, QUIT }

  private final Phase phase;
  private final String command;

  public SmtpClientException(Phase phase, String command, Reply reply) {
    this(phase, command, reply, null);
  }

  /** With the local failure behind a reply made locally. */
  public SmtpClientException(Phase phase, String command, Reply reply, Throwable cause) {
    super(reply, cause);
    this.phase = phase;
    this.command = command;
  }

  public Phase phase() {
    return phase;
  }

  /** The command that got the reply (without CRLF), or {@code null}. */
  public String command() {
    return command;
  }

  @Override
  public String getMessage() {
    return phase + (command == null ? "" : " (" + command + ")") + ": " + reply();
  }
}
