package dev.peregrine.server;

import dev.peregrine.protocol.Reply;
import dev.peregrine.test.Peer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import jakarta.activation.DataHandler;
import jakarta.mail.Authenticator;
import jakarta.mail.Message;
import jakarta.mail.Multipart;
import jakarta.mail.PasswordAuthentication;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our server against real, independent clients over loopback: swaks, Python's smtplib, Angus (Jakarta)
 * Mail and Postfix's smtp-source.
 */
class RealClientsIT extends ServerFixture {

  private static List<String> swaks(int port, String... extra) {
    List<String> cmd = new ArrayList<>(List.of("swaks", "--server", "127.0.0.1:" + port, "--from", "a@example.org",
        "--to", "b@example.com", "--helo", "client.test", "--h-Subject", "peregrine test",
        "--body", "line one\n.leading dot\nline three"));
    cmd.addAll(List.of(extra));
    return cmd;
  }

  private static void assertSwaksBody(RecordingHandler.Message m) {
    String content = m.content().toString(StandardCharsets.UTF_8);
    assertThat(content).contains("Subject: peregrine test\r\n");
    assertThat(content).contains("\r\nline one\r\n.leading dot\r\nline three\r\n");
    assertThat(content).endsWith("\r\n");
  }

  @Test
  void swaksPlain() throws Exception {
    int port = start(options());
    Peer.Result r = Peer.run(swaks(port), 60);
    assertThat(r.exit()).as(r.output()).isZero();
    RecordingHandler.Message m = handler.next();
    assertThat(m.sender()).isEqualTo("<a@example.org>");
    assertThat(m.helo()).isEqualTo("client.test");
    assertThat(m.tls()).isFalse();
    assertSwaksBody(m);
  }

  @Test
  void swaksPipelinedWithThreeRecipients() throws Exception {
    int port = start(options());
    List<String> cmd = swaks(port, "--pipeline");
    cmd.set(cmd.indexOf("b@example.com"), "b@example.com,c@example.com,d@example.com");
    Peer.Result r = Peer.run(cmd, 60);
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("PIPELINING");
    assertThat(handler.next().recipients()).containsExactly("<b@example.com>", "<c@example.com>", "<d@example.com>");
  }

  @Test
  void swaksStartTls() throws Exception {
    int port = start(tlsOptions());
    Peer.Result r = Peer.run(swaks(port, "--tls"), 60);
    assertThat(r.exit()).as(r.output()).isZero();
    RecordingHandler.Message m = handler.next();
    assertThat(m.tls()).isTrue();
    assertSwaksBody(m);
  }

  @ParameterizedTest
  @ValueSource(strings = {"PLAIN", "LOGIN"})
  void swaksAuthOverStartTls(String mechanism) throws Exception {
    int port = start(tlsOptions());
    Peer.Result r = Peer.run(swaks(port, "--tls", "--auth", mechanism, "--auth-user", "alice", "--auth-password", "s3cret"), 60);
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("235 2.7.0");
    assertThat(handler.next().user()).isEqualTo("alice");
  }

  @Test
  void swaksWithAWrongPasswordIsRefused() throws Exception {
    int port = start(tlsOptions().setAuthFailureDelay(java.time.Duration.ofMillis(10)));
    Peer.Result r = Peer.run(swaks(port, "--tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "guess"), 60);
    assertThat(r.exit()).isNotZero();
    assertThat(r.output()).contains("535 5.7.8");
    assertThat(handler.messages).isEmpty();
  }

  @Test
  void swaksAuthWithoutTlsIsRefused() throws Exception {
    int port = start(tlsOptions());
    Peer.Result r = Peer.run(swaks(port, "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "s3cret"), 60);
    assertThat(r.exit()).isNotZero();
    assertThat(r.output()).doesNotContain("235 ");
    assertThat(handler.messages).isEmpty();
  }

  @Test
  void swaksImplicitTls() throws Exception {
    int port = start(tlsOptions().setImplicitTls(true));
    Peer.Result r = Peer.run(swaks(port, "--tls-on-connect", "--auth", "PLAIN", "--auth-user", "alice",
        "--auth-password", "s3cret"), 60);
    assertThat(r.exit()).as(r.output()).isZero();
    RecordingHandler.Message m = handler.next();
    assertThat(m.tls()).isTrue();
    assertThat(m.user()).isEqualTo("alice");
  }

  @Test
  void pythonSmtplibWithStartTlsSmtpUtf8And8BitMime() throws Exception {
    int port = start(tlsOptions());
    String script = String.join("\n",
        "import smtplib, ssl, sys",
        "ctx = ssl.create_default_context()",
        "ctx.check_hostname = False",
        "ctx.verify_mode = ssl.CERT_NONE",
        "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='py.test', timeout=30)",
        "s.starttls(context=ctx)",
        "s.ehlo('py.test')",
        "assert s.has_extn('smtputf8') and s.has_extn('8bitmime')",
        "body = 'Subject: caf\\u00e9\\r\\n\\r\\nd\\u00e9j\\u00e0 vu\\r\\n.dot\\r\\n'.encode('utf-8')",
        "refused = s.sendmail('jos\\u00e9@example.org', ['m\\u00fcller@example.com', 'plain@example.com'], body,",
        "                     mail_options=['SMTPUTF8', 'BODY=8BITMIME'])",
        "assert refused == {}, refused",
        "s.quit()");
    Peer.Result r = Peer.run(List.of("/usr/bin/python3", "-c", script, Integer.toString(port)), 60);
    assertThat(r.exit()).as(r.output()).isZero();
    RecordingHandler.Message m = handler.next();
    assertThat(m.sender()).isEqualTo("<josé@example.org>");
    assertThat(m.recipients()).containsExactly("<müller@example.com>", "<plain@example.com>");
    assertThat(m.tls()).isTrue();
    assertThat(m.content().toString(StandardCharsets.UTF_8)).isEqualTo("Subject: café\r\n\r\ndéjà vu\r\n.dot\r\n");
  }

  @Test
  void angusMailWithStartTlsAuthAndAnAttachment() throws Exception {
    int port = start(tlsOptions());
    Properties p = new Properties();
    p.put("mail.smtp.host", "127.0.0.1");
    p.put("mail.smtp.port", Integer.toString(port));
    p.put("mail.smtp.starttls.enable", "true");
    p.put("mail.smtp.starttls.required", "true");
    p.put("mail.smtp.ssl.trust", "*");
    p.put("mail.smtp.ssl.checkserveridentity", "false");
    p.put("mail.smtp.auth", "true");
    p.put("mail.smtp.localhost", "angus.test");
    p.put("mail.smtp.connectiontimeout", "10000");
    p.put("mail.smtp.timeout", "10000");
    Session session = Session.getInstance(p, new Authenticator() {
      @Override
      protected PasswordAuthentication getPasswordAuthentication() {
        return new PasswordAuthentication("alice", "s3cret");
      }
    });
    byte[] attachment = new byte[50_000];
    new java.util.Random(7).nextBytes(attachment);
    MimeMessage msg = new MimeMessage(session);
    msg.setFrom(new InternetAddress("a@example.org"));
    msg.setRecipients(Message.RecipientType.TO, "b@example.com");
    msg.setSubject("with attachment");
    MimeBodyPart text = new MimeBodyPart();
    text.setText("see attached\n.\n..\n");
    MimeBodyPart file = new MimeBodyPart();
    file.setDataHandler(new DataHandler(new ByteArrayDataSource(attachment, "application/octet-stream")));
    file.setFileName("random.bin");
    Multipart mp = new MimeMultipart(text, file);
    msg.setContent(mp);
    Transport.send(msg);

    RecordingHandler.Message m = handler.next();
    assertThat(m.user()).isEqualTo("alice");
    assertThat(m.tls()).isTrue();
    MimeMessage back = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(m.content().getBytes()));
    assertThat(back.getSubject()).isEqualTo("with attachment");
    MimeMultipart parts = (MimeMultipart) back.getContent();
    assertThat(((String) parts.getBodyPart(0).getContent()).replace("\r\n", "\n")).isEqualTo("see attached\n.\n..\n");
    assertThat(parts.getBodyPart(1).getInputStream().readAllBytes()).isEqualTo(attachment);
  }

  @ParameterizedTest(name = "reuse={0}")
  @ValueSource(booleans = {true, false})
  void smtpSourceTwentySessionsTwoThousandMessages(boolean reuse) throws Exception {
    AtomicInteger messages = new AtomicInteger();
    AtomicLong octets = new AtomicLong();
    AtomicInteger wrongSize = new AtomicInteger();
    SmtpHandler counting = new SmtpHandler() {
      @Override
      public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
        Promise<Reply> done = Promise.promise();
        long[] n = {0};
        content.handler(b -> n[0] += b.length()).exceptionHandler(done::tryFail).endHandler(v -> {
          messages.incrementAndGet();
          octets.addAndGet(n[0]);
          if (n[0] < 1024) {
            wrongSize.incrementAndGet();
          }
          done.tryComplete();
        });
        return done.future();
      }
    };
    int port = start(options().setMaxConnectionsPerIp(100), counting);
    List<String> cmd = new ArrayList<>(List.of("/usr/sbin/smtp-source", "-s", "20", "-m", "2000", "-l", "1024",
        "-f", "a@example.org", "-t", "b@example.com"));
    if (reuse) {
      cmd.add("-d");
    }
    cmd.add("127.0.0.1:" + port);
    Peer.Result r = Peer.run(cmd, 120);
    assertThat(r.exit()).as(r.output()).isZero();
    // smtp-source exits after its last 250; the counters were bumped before each 250 went out.
    assertThat(messages.get()).isEqualTo(2000);
    assertThat(wrongSize.get()).isZero();
    assertThat(octets.get()).isGreaterThanOrEqualTo(2000L * 1024);
  }
}
