package dev.peregrine.relay;

import dev.peregrine.protocol.ForwardPath;
import dev.peregrine.protocol.ReversePath;
import dev.peregrine.server.SmtpSession;

import javax.net.ssl.SSLSession;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The trace fields a receiving server adds (RFC 5321 §4.4): {@code Received:} on every message it accepts,
 * and {@code Return-Path:} at final delivery. Pure: strings in, header lines (CRLF-terminated, folded)
 * out.
 */
public final class TraceHeaders {

  private TraceHeaders() {
  }

  /**
   * {@code Received: from HELO ([ip]) by HOST (Peregrine) with PROTOCOL id ID (using TLS with cipher C)
   * (Authenticated sender: USER) for <rcpt>; DATE}. The protocol is RFC 3848's (SMTP, ESMTP, ESMTPS,
   * ESMTPA, ESMTPSA); {@code for} names the recipient when there is exactly one (more would disclose Bcc
   * recipients to each other); the user name appears only when {@code showUser}.
   */
  public static String received(SmtpSession session, String hostname, String id, List<ForwardPath> recipients,
                                boolean showUser, ZonedDateTime now) {
    StringBuilder sb = new StringBuilder(256);
    String helo = session.heloName() == null ? "unknown" : session.heloName();
    String ip = session.remoteAddress() == null ? "unknown" : session.remoteAddress().hostAddress();
    sb.append("Received: from ").append(helo).append(" ([").append(ip).append("])\r\n");
    sb.append("\tby ").append(hostname).append(" (Peregrine) with ").append(protocol(session)).append(" id ").append(id);
    SSLSession tls = session.sslSession();
    if (tls != null) {
      sb.append("\r\n\t(using ").append(tls.getProtocol()).append(" with cipher ").append(tls.getCipherSuite()).append(')');
    }
    if (showUser && session.authenticatedUser() != null) {
      sb.append("\r\n\t(Authenticated sender: ").append(session.authenticatedUser()).append(')');
    }
    if (recipients.size() == 1) {
      sb.append("\r\n\tfor ").append(recipients.get(0));
    }
    sb.append(";\r\n\t").append(now.format(DateTimeFormatter.RFC_1123_DATE_TIME)).append("\r\n");
    return sb.toString();
  }

  /** RFC 3848's "with" keyword for the session. */
  public static String protocol(SmtpSession session) {
    if (!session.isEsmtp()) {
      return "SMTP";
    }
    return "ESMTP" + (session.isTls() ? "S" : "") + (session.authenticatedUser() != null ? "A" : "");
  }

  /** {@code Return-Path: <sender>} ({@code <>} for the null sender), added at final delivery. */
  public static String returnPath(ReversePath sender) {
    return "Return-Path: " + sender + "\r\n";
  }
}
