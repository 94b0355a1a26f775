package dev.peregrine.client;

import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.SmtpException;

/**
 * A client step failed with a reply: the server's ({@link Rejected}) or one the client made for a check that
 * needs no round trip ({@link RefusedLocally}). Carries the phase, and for a server's reply the command it
 * answered.
 */
public abstract sealed class SmtpClientException extends SmtpException implements SmtpClientFailure
    permits SmtpClientException.RefusedLocally, SmtpClientException.Rejected {

  /** Where in the dialogue it failed. */
  public enum Phase {
    CONNECT, GREETING, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, CONTENT, RSET, QUIT;

    /**
     * True for the phases of a mail transaction (MAIL to the end of the content, and the RSET that clears
     * one): a refusal there is the message's; in the others it is the session's.
     */
    public boolean isTransaction() {
      return switch (this) {
        case MAIL, RCPT, DATA, CONTENT, RSET -> true;
        case CONNECT, GREETING, EHLO, STARTTLS, AUTH, QUIT -> false;
      };
    }
  }

  private final Phase phase;

  private SmtpClientException(Phase phase, Reply reply, Throwable cause) {
    super(reply, cause);
    this.phase = phase;
  }

  public Phase phase() {
    return phase;
  }

  /** The command the reply answers, without CRLF and with AUTH's secret masked; {@code null} for a local reply. */
  public abstract String command();

  @Override
  public String getMessage() {
    String command = command();
    return phase + (command == null ? "" : " (" + command + ")") + ": " + reply();
  }

  /** The client refused without asking the server; the reply is the client's own. */
  public static final class RefusedLocally extends SmtpClientException {

    public RefusedLocally(Phase phase, Reply reply) {
      this(phase, reply, null);
    }

    /** With the local failure behind the reply (the content stream's, say). */
    public RefusedLocally(Phase phase, Reply reply, Throwable cause) {
      super(phase, reply, cause);
    }

    @Override
    public Kind kind() {
      return Kind.REFUSED_LOCALLY;
    }

    @Override
    public String command() {
      return null;
    }
  }

  /** The server refused: {@link #reply()} answered {@link #command()}. */
  public static final class Rejected extends SmtpClientException {

    private final String command;

    public Rejected(Phase phase, String command, Reply reply) {
      super(phase, reply, null);
      this.command = command;
    }

    @Override
    public Kind kind() {
      return Kind.REJECTED;
    }

    @Override
    public String command() {
      return command;
    }
  }
}
