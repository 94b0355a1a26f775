package dev.peregrine.server;

import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.protocol.ForwardPath;
import dev.peregrine.protocol.ReversePath;
import dev.peregrine.protocol.SmtpCommand;

import java.util.List;

/**
 * One mail transaction (RFC 5321 §3.3): MAIL FROM with its parameters, the recipients accepted so far with
 * theirs. Starts at an accepted MAIL, ends at the reply to the end of data, RSET, EHLO/HELO, STARTTLS or the
 * connection's end.
 *
 * <p>Read it from the connection's context; it is not thread-safe.
 */
public interface Envelope {

  /** The MAIL command as received (reverse path and parameters). */
  SmtpCommand.MailFrom mail();

  default ReversePath sender() {
    return mail().path();
  }

  /** Accepted RCPT commands, in order (with NOTIFY/ORCPT when given). */
  List<SmtpCommand.RcptTo> recipients();

  /** Accepted forward paths, in order. */
  default List<ForwardPath> forwardPaths() {
    return recipients().stream().map(SmtpCommand.RcptTo::path).toList();
  }

  /** BODY= of MAIL, 7BIT when absent. */
  default EsmtpParam.BodyType body() {
    EsmtpParam.Body b = mail().param(EsmtpParam.Body.class);
    return b == null ? EsmtpParam.BodyType.SEVEN_BIT : b.type();
  }

  /** True when MAIL carried SMTPUTF8. */
  default boolean smtpUtf8() {
    return mail().param(EsmtpParam.SmtpUtf8.class) != null;
  }

  /** SIZE= of MAIL, or -1 when absent. */
  default long declaredSize() {
    EsmtpParam.Size s = mail().param(EsmtpParam.Size.class);
    return s == null ? -1 : s.size();
  }
}
