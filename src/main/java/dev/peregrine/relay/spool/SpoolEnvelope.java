package dev.peregrine.relay.spool;

import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.protocol.ReversePath;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.server.Envelope;
import dev.peregrine.server.SmtpSession;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What the spool keeps of one accepted transaction besides its content: the MAIL command with its ESMTP
 * parameters (RET, ENVID, BODY, SMTPUTF8, SIZE, AUTH, unknown ones verbatim), the accepted RCPT commands
 * with theirs (NOTIFY, ORCPT), when it was received and from whom. Immutable; safe on any thread.
 *
 * @param mail the MAIL command as accepted
 * @param recipients the accepted RCPT commands in order; a recipient is known to the spool by its index here
 * @param receivedAt when the end of data arrived (or when the caller says it did)
 * @param client who sent it, for the trace header and the logs
 */
public record SpoolEnvelope(SmtpCommand.MailFrom mail, List<SmtpCommand.RcptTo> recipients, Instant receivedAt,
    ClientInfo client) {

  public SpoolEnvelope {
    Objects.requireNonNull(mail, "mail");
    Objects.requireNonNull(receivedAt, "receivedAt");
    Objects.requireNonNull(client, "client");
    recipients = List.copyOf(recipients);
    if (recipients.isEmpty()) {
      throw new IllegalArgumentException("an envelope needs at least one recipient");
    }
  }

  /**
   * The client as seen by the server.
   *
   * @param helo the EHLO/HELO name, or {@code null}
   * @param address the client's address (after the PROXY protocol), or {@code null}
   * @param protocol the RFC 3848 protocol name: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA
   * @param user the authenticated user, or {@code null}
   */
  public record ClientInfo(String helo, String address, String protocol, String user) {

    public static final ClientInfo UNKNOWN = new ClientInfo(null, null, "ESMTP", null);

    public ClientInfo {
      Objects.requireNonNull(protocol, "protocol");
    }

    /** The client of {@code session}; read it on the session's context. */
    public static ClientInfo of(SmtpSession session) {
      String protocol = (session.isEsmtp() ? "ESMTP" : "SMTP") + (session.isTls() ? "S" : "")
          + (session.authenticatedUser() != null ? "A" : "");
      return new ClientInfo(session.heloName(),
          session.remoteAddress() == null ? null : session.remoteAddress().hostAddress(), protocol,
          session.authenticatedUser());
    }
  }

  /** The transaction {@code envelope} of {@code session}, received now; call it on the session's context. */
  public static SpoolEnvelope of(SmtpSession session, Envelope envelope) {
    return new SpoolEnvelope(envelope.mail(), envelope.recipients(), Instant.now(), ClientInfo.of(session));
  }

  public ReversePath sender() {
    return mail.path();
  }

  /** ENVID of MAIL (RFC 3461 §4.4), or {@code null}. */
  public String envId() {
    EsmtpParam.EnvId p = mail.param(EsmtpParam.EnvId.class);
    return p == null ? null : p.envelopeId();
  }

  /** RET of MAIL (RFC 3461 §4.3), or {@code null} when absent. */
  public EsmtpParam.ReturnType ret() {
    EsmtpParam.Ret p = mail.param(EsmtpParam.Ret.class);
    return p == null ? null : p.type();
  }
}
