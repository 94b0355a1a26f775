package dev.peregrine.client.impl;

import dev.peregrine.client.SmtpClientException.Phase;
import dev.peregrine.protocol.CommandEncoder;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.protocol.Timeouts;

/**
 * What a reply answers: the greeting, a command, a line of an AUTH exchange, or the end of DATA's content.
 * The reply queue keeps one per awaited reply, in order, and hands it back with the reply as an
 * {@link Answer}; it gives the phase, the timeout and the description that failures show.
 */
sealed interface Awaited permits Awaited.Greeting, Awaited.Command, Awaited.AuthStep, Awaited.EndOfData {

  Phase phase();

  /** The row of {@link Timeouts} for this wait. */
  Timeouts.Phase timeout();

  /** For messages: never a secret. */
  String describe();

  /** The server's 220 (or its refusal). */
  record Greeting() implements Awaited {
    @Override
    public Phase phase() {
      return Phase.GREETING;
    }

    @Override
    public Timeouts.Phase timeout() {
      return Timeouts.Phase.GREETING;
    }

    @Override
    public String describe() {
      return "the greeting";
    }
  }

  /** A command; {@code line} is its encoded form, CRLF included. */
  record Command(SmtpCommand command, String line) implements Awaited {

    Command(SmtpCommand command) {
      this(command, CommandEncoder.encode(command));
    }

    @Override
    public Phase phase() {
      return switch (command.kind()) {
        case RSET -> Phase.RSET;
        case MAIL -> Phase.MAIL;
        case RCPT -> Phase.RCPT;
        case DATA -> Phase.DATA;
        case BDAT -> Phase.CONTENT;
        case EHLO, HELO -> Phase.EHLO;
        case STARTTLS -> Phase.STARTTLS;
        case AUTH -> Phase.AUTH;
        case QUIT -> Phase.QUIT;
        case NOOP, VRFY, EXPN, HELP, UNKNOWN -> Phase.MAIL;
      };
    }

    @Override
    public Timeouts.Phase timeout() {
      return command.kind().replyWait();
    }

    /** The line without CRLF, except that AUTH's initial response (a password or a token) is never shown. */
    @Override
    public String describe() {
      if (command instanceof SmtpCommand.Auth auth) {
        return "AUTH " + auth.mechanism() + (auth.initialResponse() == null ? "" : " ****");
      }
      return line.strip();
    }
  }

  /** A response line inside an AUTH exchange (LOGIN's user and password, XOAUTH2's empty line). */
  record AuthStep(String describe) implements Awaited {
    @Override
    public Phase phase() {
      return Phase.AUTH;
    }

    @Override
    public Timeouts.Phase timeout() {
      return Timeouts.Phase.AUTH;
    }
  }

  /** DATA's content and its terminating dot. */
  record EndOfData() implements Awaited {
    @Override
    public Phase phase() {
      return Phase.CONTENT;
    }

    @Override
    public Timeouts.Phase timeout() {
      return Timeouts.Phase.DATA_END;
    }

    @Override
    public String describe() {
      return ".";
    }
  }
}
