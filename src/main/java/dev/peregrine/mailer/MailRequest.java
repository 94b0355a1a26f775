package dev.peregrine.mailer;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.activation.DataHandler;
import jakarta.activation.FileDataSource;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

/**
 * A message described in JSON, as the {@link MailServiceVerticle} takes it, built into RFC 5322 content with
 * Angus Mail ({@code jakarta.mail}, a well-kept MIME implementation): {@code from} ("Name &lt;addr&gt;" or an
 * address), {@code to}, {@code cc}, {@code bcc} (envelope only, never a header), {@code reply-to},
 * {@code subject} and display names in any script (RFC 2047), {@code text} and/or {@code html} (alternatives),
 * {@code attachments} ({@code filename}, {@code content-type}, {@code base64} or {@code path}, {@code inline}
 * with {@code content-id} for images the HTML shows), {@code headers}; or {@code raw}: a whole RFC 5322
 * message as text, sent as given. A Message-ID and a Date are added.
 *
 * <p>Building reads attachment files and is CPU work: call {@link #toMessage()} on a worker. A file attachment
 * is read from disk while the message is encoded, and the encoded message is handed over without a copy: a
 * large attachment is held in memory once, encoded, never twice.
 * Errors are {@link IllegalArgumentException}s that name the field.
 */
public record MailRequest(JsonObject json) {

  private static final Session SESSION = Session.getInstance(new Properties());

  public static MailRequest fromJson(JsonObject json) {
    if (json == null) {
      throw new IllegalArgumentException("the request body must be a JSON object");
    }
    return new MailRequest(json);
  }

  public MailMessage toMessage() {
    InternetAddress from = address("from", string("from", true));
    List<String> envelope = new ArrayList<>();
    List<InternetAddress> to = addresses("to");
    List<InternetAddress> cc = addresses("cc");
    List<InternetAddress> bcc = addresses("bcc");
    for (List<InternetAddress> l : List.of(to, cc, bcc)) {
      l.forEach(a -> envelope.add(a.getAddress()));
    }
    if (envelope.isEmpty()) {
      throw new IllegalArgumentException("to, cc or bcc: at least one recipient is needed");
    }
    Buffer content;
    String raw = string("raw", false);
    if (raw != null) {
      content = Buffer.buffer(raw.getBytes(StandardCharsets.UTF_8));
    } else {
      content = build(from, to, cc);
    }
    return MailMessage.of(from.getAddress(), envelope, content);
  }

  private Buffer build(InternetAddress from, List<InternetAddress> to, List<InternetAddress> cc) {
    try {
      MimeMessage m = new MimeMessage(SESSION) {
        @Override
        protected void updateMessageID() throws MessagingException {
          // Our own id: Angus would look up the local host name (blocking DNS) to make one.
          String domain = from.getAddress().substring(from.getAddress().indexOf('@') + 1);
          setHeader("Message-ID", "<" + UUID.randomUUID() + "@" + domain + ">");
        }
      };
      m.setFrom(from);
      if (!to.isEmpty()) {
        m.setRecipients(Message.RecipientType.TO, to.toArray(new InternetAddress[0]));
      }
      if (!cc.isEmpty()) {
        m.setRecipients(Message.RecipientType.CC, cc.toArray(new InternetAddress[0]));
      }
      String replyTo = string("reply-to", false);
      if (replyTo != null) {
        m.setReplyTo(new InternetAddress[] {address("reply-to", replyTo)});
      }
      String subject = string("subject", false);
      if (subject != null) {
        m.setSubject(subject, "UTF-8");
      }
      m.setSentDate(new Date());
      JsonObject headers = json.getJsonObject("headers", new JsonObject());
      for (String name : headers.fieldNames()) {
        m.setHeader(name, String.valueOf(headers.getValue(name)));
      }
      m.setContent(body());
      m.saveChanges();
      Encoded out = new Encoded();
      m.writeTo(out);
      return out.buffer();
    } catch (MessagingException e) {
      throw new IllegalArgumentException("cannot build the message: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private MimeMultipart body() throws MessagingException {
    String text = string("text", false);
    String html = string("html", false);
    if (text == null && html == null) {
      throw new IllegalArgumentException("text, html or raw: the message has no content");
    }
    MimeMultipart alternatives = new MimeMultipart("alternative");
    if (text != null) {
      MimeBodyPart p = new MimeBodyPart();
      p.setText(text, "UTF-8");
      alternatives.addBodyPart(p);
    }
    MimeMultipart related = null;
    if (html != null) {
      MimeBodyPart p = new MimeBodyPart();
      p.setText(html, "UTF-8", "html");
      related = new MimeMultipart("related");
      related.addBodyPart(p);
    }
    MimeMultipart mixed = new MimeMultipart("mixed");
    JsonArray attachments = json.getJsonArray("attachments", new JsonArray());
    for (int i = 0; i < attachments.size(); i++) {
      JsonObject a = attachments.getJsonObject(i);
      MimeBodyPart part = attachment("attachments[" + i + "]", a);
      if (a.getBoolean("inline", false) && related != null) {
        related.addBodyPart(part);
      } else {
        mixed.addBodyPart(part);
      }
    }
    if (related != null) {
      MimeBodyPart wrap = new MimeBodyPart();
      wrap.setContent(related);
      alternatives.addBodyPart(wrap);
    }
    if (mixed.getCount() == 0) {
      return alternatives;
    }
    MimeBodyPart wrap = new MimeBodyPart();
    wrap.setContent(alternatives);
    mixed.addBodyPart(wrap, 0);
    return mixed;
  }

  private static MimeBodyPart attachment(String field, JsonObject a) throws MessagingException {
    String type = a.getString("content-type", "application/octet-stream");
    DataHandler data;
    if (a.getString("base64") != null) {
      try {
        data = new DataHandler(new ByteArrayDataSource(Base64.getMimeDecoder().decode(a.getString("base64")), type));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(field + ".base64 is not base64: " + e.getMessage());
      }
    } else if (a.getString("path") != null) {
      Path path = Path.of(a.getString("path"));
      if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
        throw new IllegalArgumentException(field + ".path cannot be read: " + path);
      }
      // Read from disk while the message is encoded: the file is never held in memory as such.
      data = new DataHandler(new FileDataSource(path.toFile()) {
        @Override
        public String getContentType() {
          return type;
        }
      });
    } else {
      throw new IllegalArgumentException(field + ": give base64 or path");
    }
    MimeBodyPart p = new MimeBodyPart();
    p.setDataHandler(data);
    String name = a.getString("filename");
    if (name != null) {
      p.setFileName(name);
    }
    if (a.getBoolean("inline", false)) {
      p.setDisposition(MimeBodyPart.INLINE);
      String cid = a.getString("content-id");
      if (cid != null) {
        p.setContentID("<" + cid + ">");
      }
    } else {
      p.setDisposition(MimeBodyPart.ATTACHMENT);
    }
    return p;
  }

  /** The encoded message, handed over as a Buffer without the copy {@code toByteArray()} would make. */
  private static final class Encoded extends ByteArrayOutputStream {
    Encoded() {
      super(8192);
    }

    Buffer buffer() {
      return io.vertx.core.internal.buffer.BufferInternal.buffer(io.netty.buffer.Unpooled.wrappedBuffer(buf, 0, count));
    }
  }

  private String string(String field, boolean required) {
    Object v = json.getValue(field);
    if (v == null) {
      if (required) {
        throw new IllegalArgumentException(field + " is required");
      }
      return null;
    }
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException(field + " must be a string");
    }
    return s;
  }

  private List<InternetAddress> addresses(String field) {
    Object v = json.getValue(field);
    List<InternetAddress> out = new ArrayList<>();
    if (v == null) {
      return out;
    }
    if (v instanceof String s) {
      out.add(address(field, s));
      return out;
    }
    if (!(v instanceof JsonArray a)) {
      throw new IllegalArgumentException(field + " must be a string or an array of strings");
    }
    for (int i = 0; i < a.size(); i++) {
      out.add(address(field + "[" + i + "]", String.valueOf(a.getValue(i))));
    }
    return out;
  }

  private static InternetAddress address(String field, String text) {
    try {
      InternetAddress a = new InternetAddress(text, true);
      if (a.getPersonal() != null) {
        // Re-encode the display name: RFC 2047 for anything outside ASCII.
        a.setPersonal(a.getPersonal(), "UTF-8");
      }
      return a;
    } catch (AddressException | java.io.UnsupportedEncodingException e) {
      throw new IllegalArgumentException(field + " is not an address: " + text);
    }
  }
}
