package dev.peregrine.protocol;

import java.util.List;

/**
 * An SMTP command (RFC 5321 §4.1 and the extensions Peregrine speaks), as a closed set of values.
 *
 * <p>Code that handles commands switches over {@link #kind()} in a switch expression with no
 * {@code default}: Java 17 has no pattern switch, but an enum switch expression must be exhaustive, so a
 * new verb fails to compile wherever it is not handled. Built by {@link CommandParser}, written only by
 * {@link CommandEncoder}.
 */
public sealed interface SmtpCommand {

  /** One constant per record type. */
  /**
   * The verbs, with the facts about each in one table: how long a client waits for the reply (RFC 5321
   * §4.5.3.2, {@link Timeouts}) and whether message content follows the command (after a 354 for DATA, at
   * once for BDAT, RFC 3030 §2).
   */
  enum Kind {
    EHLO(Timeouts.Phase.EHLO, false),
    HELO(Timeouts.Phase.EHLO, false),
    MAIL(Timeouts.Phase.MAIL, false),
    RCPT(Timeouts.Phase.RCPT, false),
    DATA(Timeouts.Phase.DATA_INIT, true),
    BDAT(Timeouts.Phase.DATA_END, true),
    RSET(Timeouts.Phase.RSET, false),
    NOOP(Timeouts.Phase.OTHER, false),
    QUIT(Timeouts.Phase.QUIT, false),
    VRFY(Timeouts.Phase.OTHER, false),
    EXPN(Timeouts.Phase.OTHER, false),
    HELP(Timeouts.Phase.OTHER, false),
    STARTTLS(Timeouts.Phase.STARTTLS, false),
    AUTH(Timeouts.Phase.AUTH, false),
    UNKNOWN(Timeouts.Phase.OTHER, false);

    private final Timeouts.Phase replyWait;
    private final boolean contentFollows;

    Kind(Timeouts.Phase replyWait, boolean contentFollows) {
      this.replyWait = replyWait;
      this.contentFollows = contentFollows;
    }

    /** The wait for this command's reply, a row of {@link Timeouts}. */
    public Timeouts.Phase replyWait() {
      return replyWait;
    }

    /** True when message content follows the command (DATA after its 354, BDAT's chunk). */
    public boolean contentFollows() {
      return contentFollows;
    }
  }

  /** The verb, upper case, as it goes on the wire. */
  String verb();

  /** The record type as an enum constant, for exhaustive switches. */
  Kind kind();

  record Ehlo(String domain) implements SmtpCommand {

    @Override
    public Kind kind() {
      return Kind.EHLO;
    }
    @Override
    public String verb() {
      return "EHLO";
    }
  }

  record Helo(String domain) implements SmtpCommand {

    @Override
    public Kind kind() {
      return Kind.HELO;
    }
    @Override
    public String verb() {
      return "HELO";
    }
  }

  record MailFrom(ReversePath path, List<EsmtpParam> params) implements SmtpCommand {

    @Override
    public Kind kind() {
      return Kind.MAIL;
    }
    public MailFrom {
      params = List.copyOf(params);
    }

    public MailFrom(ReversePath path) {
      this(path, List.of());
    }

    /** The first parameter of the given type, or {@code null}. */
    public <P extends EsmtpParam> P param(Class<P> type) {
      return find(params, type);
    }

    @Override
    public String verb() {
      return "MAIL";
    }
  }

  record RcptTo(ForwardPath path, List<EsmtpParam> params) implements SmtpCommand {

    @Override
    public Kind kind() {
      return Kind.RCPT;
    }
    public RcptTo {
      params = List.copyOf(params);
    }

    public RcptTo(ForwardPath path) {
      this(path, List.of());
    }

    /** The first parameter of the given type, or {@code null}. */
    public <P extends EsmtpParam> P param(Class<P> type) {
      return find(params, type);
    }

    @Override
    public String verb() {
      return "RCPT";
    }
  }

  record Data() implements SmtpCommand {

    @Override
    public Kind kind() {
      return Kind.DATA;
    }
    @Override
    public String verb() {
      return "DATA";
    }
  }

  /** {@code BDAT size [LAST]} (RFC 3030). */
  record Bdat(long size, boolean last) implements SmtpCommand {

    @Override
    public Kind kind() {
      return Kind.BDAT;
    }
    public Bdat {
      if (size < 0) {
        throw new IllegalArgumentException("BDAT size must not be negative");
      }
    }

    @Override
    public String verb() {
      return "BDAT";
    }
  }

  record Rset() implements SmtpCommand {

    @Override
    public Kind kind() {
      return Kind.RSET;
    }
    @Override
    public String verb() {
      return "RSET";
    }
  }

  /** {@code NOOP [string]}; {@code argument} is empty when absent. */
  record Noop(String argument) implements SmtpCommand {

    @Override
    public Kind kind() {
      return Kind.NOOP;
    }
    @Override
    public String verb() {
      return "NOOP";
    }
  }

  record Quit() implements SmtpCommand {

    @Override
    public Kind kind() {
      return Kind.QUIT;
    }
    @Override
    public String verb() {
      return "QUIT";
    }
  }

  record Vrfy(String argument) implements SmtpCommand {

    @Override
    public Kind kind() {
      return Kind.VRFY;
    }
    @Override
    public String verb() {
      return "VRFY";
    }
  }

  record Expn(String argument) implements SmtpCommand {

    @Override
    public Kind kind() {
      return Kind.EXPN;
    }
    @Override
    public String verb() {
      return "EXPN";
    }
  }

  /** {@code HELP [topic]}; {@code topic} is empty when absent. */
  record Help(String topic) implements SmtpCommand {

    @Override
    public Kind kind() {
      return Kind.HELP;
    }
    @Override
    public String verb() {
      return "HELP";
    }
  }

  record StartTls() implements SmtpCommand {

    @Override
    public Kind kind() {
      return Kind.STARTTLS;
    }
    @Override
    public String verb() {
      return "STARTTLS";
    }
  }

  /**
   * {@code AUTH mechanism [initial-response]} (RFC 4954); the mechanism is upper case, the initial response
   * is the base64 text as sent ({@code "="} for an empty one) or {@code null} when absent.
   */
  record Auth(String mechanism, String initialResponse) implements SmtpCommand {

    @Override
    public Kind kind() {
      return Kind.AUTH;
    }
    @Override
    public String verb() {
      return "AUTH";
    }
  }

  /** A verb Peregrine does not know; {@code arguments} is the rest of the line, empty when none. */
  record Unknown(String verb, String arguments) implements SmtpCommand {

    @Override
    public Kind kind() {
      return Kind.UNKNOWN;
    }
  }

  private static <P extends EsmtpParam> P find(List<EsmtpParam> params, Class<P> type) {
    for (EsmtpParam p : params) {
      if (type.isInstance(p)) {
        return type.cast(p);
      }
    }
    return null;
  }
}
