package dev.peregrine.protocol;

import dev.peregrine.protocol.impl.Xtext;
import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.StringJoiner;

/**
 * Writes commands in their wire form, CRLF included. The only place a command line is built; the
 * inverse of {@link CommandParser} ({@code parse(encode(c)) == c} for every valid command).
 *
 * <p>Stateless and thread-safe.
 */
public final class CommandEncoder {

  private CommandEncoder() {
  }

  /** The command line with its CRLF. */
  public static String encode(SmtpCommand command) {
    StringBuilder sb = new StringBuilder(64);
    appendTo(sb, command);
    return sb.toString();
  }

  /** Appends the command line (UTF-8) with its CRLF to {@code buffer}; returns it. */
  public static Buffer appendTo(Buffer buffer, SmtpCommand command) {
    return buffer.appendBytes(encode(command).getBytes(StandardCharsets.UTF_8));
  }

  /** Appends the command line with its CRLF to {@code sb}. */
  public static StringBuilder appendTo(StringBuilder sb, SmtpCommand command) {
    // A switch expression, so that a new Kind fails to compile here.
    sb.append(switch (command.kind()) {
      case EHLO -> "EHLO " + ((SmtpCommand.Ehlo) command).domain();
      case HELO -> "HELO " + ((SmtpCommand.Helo) command).domain();
      case MAIL -> {
        SmtpCommand.MailFrom c = (SmtpCommand.MailFrom) command;
        yield "MAIL FROM:" + c.path() + params(c.params());
      }
      case RCPT -> {
        SmtpCommand.RcptTo c = (SmtpCommand.RcptTo) command;
        yield "RCPT TO:" + c.path() + params(c.params());
      }
      case DATA -> "DATA";
      case BDAT -> {
        SmtpCommand.Bdat c = (SmtpCommand.Bdat) command;
        yield c.last() ? "BDAT " + c.size() + " LAST" : "BDAT " + c.size();
      }
      case RSET -> "RSET";
      case NOOP -> withOptional("NOOP", ((SmtpCommand.Noop) command).argument());
      case QUIT -> "QUIT";
      case VRFY -> "VRFY " + ((SmtpCommand.Vrfy) command).argument();
      case EXPN -> "EXPN " + ((SmtpCommand.Expn) command).argument();
      case HELP -> withOptional("HELP", ((SmtpCommand.Help) command).topic());
      case STARTTLS -> "STARTTLS";
      case AUTH -> {
        SmtpCommand.Auth c = (SmtpCommand.Auth) command;
        yield withOptional("AUTH " + c.mechanism(), c.initialResponse());
      }
      case UNKNOWN -> {
        SmtpCommand.Unknown c = (SmtpCommand.Unknown) command;
        yield withOptional(c.verb(), c.arguments());
      }
    });
    return sb.append("\r\n");
  }

  private static String withOptional(String head, String argument) {
    return argument == null || argument.isEmpty() ? head : head + " " + argument;
  }

  private static String params(List<EsmtpParam> params) {
    if (params.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder(32);
    for (EsmtpParam p : params) {
      sb.append(' ').append(encode(p));
    }
    return sb.toString();
  }

  /** One parameter as {@code KEYWORD[=value]}. */
  public static String encode(EsmtpParam param) {
    return switch (param.kind()) {
      case SIZE -> "SIZE=" + ((EsmtpParam.Size) param).size();
      case BODY -> "BODY=" + ((EsmtpParam.Body) param).type().token();
      case SMTPUTF8 -> "SMTPUTF8";
      case REQUIRETLS -> "REQUIRETLS";
      case RET -> "RET=" + ((EsmtpParam.Ret) param).type();
      case ENVID -> "ENVID=" + Xtext.encode(((EsmtpParam.EnvId) param).envelopeId());
      case AUTH -> "AUTH=" + Xtext.encode(((EsmtpParam.Auth) param).mailbox());
      case NOTIFY -> {
        StringJoiner j = new StringJoiner(",", "NOTIFY=", "");
        ((EsmtpParam.Notify) param).types().forEach(t -> j.add(t.name()));
        yield j.toString();
      }
      case ORCPT -> {
        EsmtpParam.OriginalRecipient p = (EsmtpParam.OriginalRecipient) param;
        yield "ORCPT=" + p.addressType() + ";" + Xtext.encode(p.address());
      }
      case UNKNOWN -> {
        EsmtpParam.Unknown p = (EsmtpParam.Unknown) param;
        yield p.value() == null ? p.keyword() : p.keyword() + "=" + p.value();
      }
    };
  }
}
