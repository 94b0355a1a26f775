package dev.peregrine.relay.dsn;

import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.protocol.ForwardPath;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.relay.spool.RecipientState;
import dev.peregrine.relay.spool.SpoolEntry;
import dev.peregrine.relay.spool.SpoolEnvelope;
import io.vertx.core.buffer.Buffer;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Date;
import java.util.List;
import java.util.Properties;

/**
 * A delivery status notification (RFC 3464) for recipients of a spooled message: a {@code multipart/report;
 * report-type=delivery-status} with a human-readable part, the {@code message/delivery-status} part (one
 * per-recipient block each, with the reply that decided it), and the original message
 * ({@code message/rfc822}, or only its header as {@code text/rfc822-headers} when RET=HDRS asks for it or
 * the message is larger than the configured limit). Built with Angus Mail; pure, no I/O.
 */
public final class DeliveryReport {

  /** What the report says happened to its recipients (RFC 3464 §2.3.3 Action). */
  public enum Action {
    /** Given up: a 5xx, or too old. */
    FAILED("failed", "Undelivered Mail Returned to Sender"),
    /** Not delivered yet and still being retried. */
    DELAYED("delayed", "Delayed Mail (still being retried)"),
    /** Delivered here (the local Maildir), for NOTIFY=SUCCESS. */
    DELIVERED("delivered", "Successful Mail Delivery Report"),
    /** Taken by a next hop that does not offer DSN, for NOTIFY=SUCCESS: no further report will come. */
    RELAYED("relayed", "Successful Mail Delivery Report");

    final String field;
    final String subject;

    Action(String field, String subject) {
      this.field = field;
      this.subject = subject;
    }
  }

  private static final DateTimeFormatter DATE = DateTimeFormatter.RFC_1123_DATE_TIME;
  private static final Session SESSION = Session.getInstance(new Properties());

  private DeliveryReport() {
  }

  /**
   * Whether a report with {@code action} is due for {@code rcpt} under its NOTIFY (RFC 3461 §4.1): failures
   * are reported unless NOTIFY leaves FAILURE out; delays only when NOTIFY asks for DELAY; deliveries (and
   * relaying to a next hop without DSN) only when it asks for SUCCESS.
   */
  public static boolean wanted(SmtpCommand.RcptTo rcpt, Action action) {
    EsmtpParam.Notify notify = rcpt.param(EsmtpParam.Notify.class);
    if (notify == null) {
      return action == Action.FAILED;
    }
    return notify.types().contains(switch (action) {
      case FAILED -> EsmtpParam.NotifyType.FAILURE;
      case DELAYED -> EsmtpParam.NotifyType.DELAY;
      case DELIVERED, RELAYED -> EsmtpParam.NotifyType.SUCCESS;
    });
  }

  /**
   * The report as the octets of a message (CRLF lines), ready to be spooled with the null sender.
   *
   * @param entry the message reported on, with its recipients' last replies
   * @param recipients indices into {@code entry}'s recipients covered by this report
   * @param original the original message's content, or only as much of it as is to be returned; a copy of
   *     the header section is taken from it when {@code fullContent} is false
   * @param fullContent true to return the whole message (RET=FULL, or no RET and small enough)
   * @param reportingMta our host name
   * @param retryUntil for {@link Action#DELAYED}: when we give up
   * @param remoteMta per recipient index, the exchanger that gave the reply, or null
   */
  public static Buffer build(SpoolEntry entry, List<Integer> recipients, Action action, Buffer original,
                             boolean fullContent, String reportingMta, Instant now, Instant retryUntil,
                             java.util.function.IntFunction<String> remoteMta) {
    SpoolEnvelope env = entry.envelope();
    if (env.sender().isNull()) {
      throw new IllegalArgumentException("never a report to the null sender");
    }
    try {
      MimeMessage m = new MimeMessage(SESSION);
      m.setFrom(new InternetAddress("MAILER-DAEMON@" + reportingMta, "Mail Delivery System"));
      m.setRecipients(jakarta.mail.Message.RecipientType.TO, env.sender().mailbox().toString());
      m.setSubject(action.subject);
      m.setSentDate(Date.from(now));
      m.setHeader("Auto-Submitted", "auto-replied");

      Report report = new Report();
      MimeBodyPart human = new MimeBodyPart();
      human.setText(humanText(entry, recipients, action, reportingMta, retryUntil), "UTF-8");
      report.addBodyPart(human);

      InternetHeaders statusHeaders = new InternetHeaders();
      statusHeaders.setHeader("Content-Type", "message/delivery-status");
      statusHeaders.setHeader("Content-Transfer-Encoding", "7bit");
      report.addBodyPart(new MimeBodyPart(statusHeaders,
          deliveryStatus(entry, recipients, action, reportingMta, now, retryUntil, remoteMta)
              .getBytes(StandardCharsets.US_ASCII)));

      byte[] returned = fullContent ? original.getBytes() : headerSection(original);
      InternetHeaders originalHeaders = new InternetHeaders();
      originalHeaders.setHeader("Content-Type", fullContent ? "message/rfc822" : "text/rfc822-headers");
      originalHeaders.setHeader("Content-Transfer-Encoding", eightBit(returned) ? "8bit" : "7bit");
      String which = action == Action.DELIVERED || action == Action.RELAYED ? "Delivered" : "Undelivered";
      originalHeaders.setHeader("Content-Description", which + (fullContent ? " Message" : " Message Headers"));
      report.addBodyPart(new MimeBodyPart(originalHeaders, returned));

      m.setContent(report);
      m.saveChanges();
      ByteArrayOutputStream out = new ByteArrayOutputStream(returned.length + 4096);
      m.writeTo(out);
      return Buffer.buffer(out.toByteArray());
    } catch (MessagingException | IOException e) {
      throw new IllegalStateException("cannot build the delivery report for " + entry.id() + ": " + e.getMessage(), e);
    }
  }

  /** True when {@code content} has an octet above 127 (the report then needs BODY=8BITMIME). */
  public static boolean eightBit(byte[] content) {
    for (byte b : content) {
      if (b < 0) {
        return true;
      }
    }
    return false;
  }

  /** {@code multipart/report} with its {@code report-type} parameter (RFC 6522). */
  private static final class Report extends MimeMultipart {
    Report() {
      super("report");
      try {
        ContentType ct = new ContentType(contentType);
        ct.setParameter("report-type", "delivery-status");
        contentType = ct.toString();
      } catch (jakarta.mail.internet.ParseException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private static String humanText(SpoolEntry entry, List<Integer> recipients, Action action, String reportingMta,
                                  Instant retryUntil) {
    StringBuilder sb = new StringBuilder(512);
    sb.append("This is the mail system at host ").append(reportingMta).append(".\r\n\r\n");
    if (action == Action.FAILED) {
      sb.append("I'm sorry to have to inform you that your message could not\r\n"
          + "be delivered to one or more recipients. It's attached below.\r\n");
    } else if (action == Action.DELIVERED) {
      sb.append("Your message was successfully delivered to the destination(s)\r\nlisted below.\r\n");
    } else if (action == Action.RELAYED) {
      sb.append("Your message was successfully relayed to the destination(s) listed\r\n"
          + "below, whose mail system does not report delivery status: you will\r\n"
          + "not hear from it again.\r\n");
    } else {
      sb.append("Your message could not be delivered yet to one or more recipients.\r\n"
          + "It will be retried until ").append(DATE.format(retryUntil.atZone(ZoneOffset.UTC))).append(";\r\n"
          + "you do not need to resend it.\r\n");
    }
    sb.append("\r\nQueue id: ").append(entry.id()).append("\r\n\r\n");
    for (int i : recipients) {
      RecipientState r = entry.recipients().get(i);
      sb.append(r.rcpt().path()).append(": ")
          .append(r.reply() == null ? "no reply" : ascii(r.reply().text())).append("\r\n");
    }
    return sb.toString();
  }

  private static String deliveryStatus(SpoolEntry entry, List<Integer> recipients, Action action, String reportingMta,
                                       Instant now, Instant retryUntil, java.util.function.IntFunction<String> remoteMta) {
    SpoolEnvelope env = entry.envelope();
    StringBuilder sb = new StringBuilder(512);
    sb.append("Reporting-MTA: dns; ").append(reportingMta).append("\r\n");
    if (env.envId() != null) {
      sb.append("Original-Envelope-Id: ").append(ascii(env.envId())).append("\r\n");
    }
    if (env.client().helo() != null) {
      sb.append("Received-From-MTA: dns; ").append(ascii(env.client().helo())).append("\r\n");
    }
    sb.append("Arrival-Date: ").append(DATE.format(env.receivedAt().atZone(ZoneOffset.UTC))).append("\r\n");
    for (int i : recipients) {
      RecipientState r = entry.recipients().get(i);
      sb.append("\r\n");
      EsmtpParam.OriginalRecipient orcpt = r.rcpt().param(EsmtpParam.OriginalRecipient.class);
      if (orcpt != null) {
        sb.append("Original-Recipient: ").append(orcpt.addressType()).append("; ").append(ascii(orcpt.address()))
            .append("\r\n");
      }
      sb.append("Final-Recipient: rfc822; ").append(address(r.rcpt().path())).append("\r\n");
      sb.append("Action: ").append(action.field).append("\r\n");
      sb.append("Status: ").append(status(r.reply(), action)).append("\r\n");
      String mta = remoteMta.apply(i);
      if (mta != null) {
        sb.append("Remote-MTA: dns; ").append(ascii(mta)).append("\r\n");
      }
      if (r.reply() != null) {
        sb.append("Diagnostic-Code: smtp; ").append(r.reply().code())
            .append(r.reply().enhanced() == null ? "" : " " + r.reply().enhanced())
            .append(' ').append(ascii(r.reply().text())).append("\r\n");
      }
      sb.append("Last-Attempt-Date: ").append(DATE.format(now.atZone(ZoneOffset.UTC))).append("\r\n");
      if (action == Action.DELAYED) {
        sb.append("Will-Retry-Until: ").append(DATE.format(retryUntil.atZone(ZoneOffset.UTC))).append("\r\n");
      }
    }
    return sb.toString();
  }

  /** The enhanced status of the reply, or one made from its class (RFC 3463). */
  public static String status(Reply reply, Action action) {
    if (reply != null && reply.enhanced() != null) {
      return reply.enhanced().toString();
    }
    if (reply == null) {
      return switch (action) {
        case FAILED -> "5.0.0";
        case DELAYED -> "4.0.0";
        case DELIVERED, RELAYED -> "2.0.0";
      };
    }
    return reply.code() / 100 + ".0.0";
  }

  private static String address(ForwardPath path) {
    return path.isPostmaster() ? "postmaster" : path.mailbox().toString();
  }

  /** A field value in US-ASCII on one line: other characters become '?'. */
  private static String ascii(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      sb.append(c >= 0x20 && c < 0x7f ? c : (c == '\r' || c == '\n' || c == '\t') ? ' ' : '?');
    }
    return sb.toString();
  }

  /** The header section of a message, up to and including the empty line (or all of it if there is none). */
  static byte[] headerSection(Buffer message) {
    byte[] b = message.getBytes();
    for (int k = 0; k + 3 < b.length; k++) {
      if (b[k] == '\r' && b[k + 1] == '\n' && b[k + 2] == '\r' && b[k + 3] == '\n') {
        return java.util.Arrays.copyOf(b, k + 4);
      }
    }
    if (b.length >= 2 && b[0] == '\r' && b[1] == '\n') {
      return new byte[] {'\r', '\n'};
    }
    return b;
  }
}
