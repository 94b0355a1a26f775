package dev.peregrine.server.impl;

import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.ServerReplies;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.server.SmtpServerOptions;

/**
 * Checks MAIL and RCPT parameters against what the server advertised (RFC 5321 §4.1.1.11: a parameter of an
 * extension not offered gets 555). Pure functions.
 */
final class MailParams {

  private MailParams() {
  }

  /** The refusal for a MAIL command's parameters, or {@code null} when they are acceptable. */
  static Reply check(SmtpCommand.MailFrom mail, SmtpServerOptions o, boolean esmtp, boolean tls) {
    if (!esmtp && !mail.params().isEmpty()) {
      return unsupported("parameters need EHLO");
    }
    for (EsmtpParam p : mail.params()) {
      Reply r = switch (p.kind()) {
        case SIZE -> ((EsmtpParam.Size) p).size() > o.getMaxMessageSize() ? ServerReplies.R552_MESSAGE_TOO_BIG : null;
        case BODY -> switch (((EsmtpParam.Body) p).type()) {
          case SEVEN_BIT -> null;
          case EIGHT_BIT_MIME -> o.isEightBitMime() ? null : unsupported("BODY=8BITMIME");
          case BINARY_MIME -> o.isBinaryMime() && o.isChunking() ? null : unsupported("BODY=BINARYMIME");
        };
        case SMTPUTF8 -> o.isSmtpUtf8() ? null : unsupported("SMTPUTF8");
        case RET, ENVID -> o.isDsn() ? null : unsupported(p.keyword());
        case AUTH -> null;
        case REQUIRETLS, NOTIFY, ORCPT, UNKNOWN -> unsupported(p.keyword());
      };
      if (r != null) {
        return r;
      }
    }
    return null;
  }

  /** The refusal for a RCPT command's parameters, or {@code null}. */
  static Reply check(SmtpCommand.RcptTo rcpt, SmtpServerOptions o) {
    for (EsmtpParam p : rcpt.params()) {
      Reply r = switch (p.kind()) {
        case NOTIFY, ORCPT -> o.isDsn() ? null : unsupported(p.keyword());
        case SIZE, BODY, SMTPUTF8, RET, ENVID, AUTH, REQUIRETLS, UNKNOWN -> unsupported(p.keyword());
      };
      if (r != null) {
        return r;
      }
    }
    return null;
  }

  private static Reply unsupported(String what) {
    return ServerReplies.R555_UNSUPPORTED_PARAMETER.withText("Unsupported parameter: " + what);
  }
}
