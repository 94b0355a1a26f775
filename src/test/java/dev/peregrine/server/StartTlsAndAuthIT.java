package dev.peregrine.server;

import dev.peregrine.protocol.Reply;
import dev.peregrine.test.Wire;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** STARTTLS, implicit TLS and AUTH over a real TLS stack, including the attacks on them. */
class StartTlsAndAuthIT extends ServerFixture {

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String code(Reply r) {
    return r.code() + (r.enhanced() == null ? "" : " " + r.enhanced());
  }

  @Test
  void upgradesForgetsEhloAndOffersAuthOnlyOverTls() throws Exception {
    int port = start(tlsOptions());
    try (Wire w = Wire.connect(port)) {
      w.read();
      Reply plain = w.cmd("EHLO c");
      assertThat(plain.lines()).contains("STARTTLS").noneMatch(l -> l.startsWith("AUTH"));
      assertThat(code(w.cmd("AUTH PLAIN " + b64("\0alice\0s3cret")))).isEqualTo("538 5.7.11");
      assertThat(code(w.cmd("STARTTLS"))).isEqualTo("220 2.0.0");
      w.startTls();
      assertThat(code(w.cmd("MAIL FROM:<a@x.test>"))).as("EHLO state forgotten").isEqualTo("503 5.5.1");
      Reply secure = w.cmd("EHLO c");
      assertThat(secure.lines()).contains("AUTH PLAIN LOGIN").doesNotContain("STARTTLS");
      assertThat(code(w.cmd("STARTTLS"))).isEqualTo("503 5.5.1");
      assertThat(code(w.cmd("AUTH PLAIN " + b64("\0alice\0s3cret")))).isEqualTo("235 2.7.0");
      assertThat(code(w.cmd("AUTH PLAIN " + b64("\0alice\0s3cret")))).isEqualTo("503 5.5.1");
      w.beginData();
      assertThat(w.cmd("secret\r\n.").code()).isEqualTo(250);
    }
    RecordingHandler.Message m = handler.next();
    assertThat(m.tls()).isTrue();
    assertThat(m.user()).isEqualTo("alice");
  }

  @Test
  void dropsPlaintextInjectedAfterStartTls() throws Exception {
    int port = start(tlsOptions());
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      // CVE-2011-0411: commands sent in clear behind STARTTLS must not run inside the TLS session.
      w.send("STARTTLS\r\nMAIL FROM:<injected@x.test>\r\nRCPT TO:<victim@x.test>\r\n");
      assertThat(code(w.read())).isEqualTo("220 2.0.0");
      assertThat(w.hasUnreadReplies()).isFalse();
      w.startTls();
      w.cmd("EHLO c");
      assertThat(code(w.cmd("RCPT TO:<b@x.test>"))).as("no MAIL survived the upgrade").isEqualTo("503 5.5.1");
    }
  }

  @Test
  void authLoginAndPlainWithChallengesFailuresDelayedAndCounted() throws Exception {
    int port = start(tlsOptions().setAuthFailureDelay(Duration.ofMillis(50)).setMaxAuthFailures(2));
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      w.cmd("STARTTLS");
      w.startTls();
      w.cmd("EHLO c");
      Reply user = w.cmd("AUTH LOGIN");
      assertThat(user.code()).isEqualTo(334);
      assertThat(user.text()).isEqualTo("VXNlcm5hbWU6");
      assertThat(w.cmd(b64("alice")).text()).isEqualTo("UGFzc3dvcmQ6");
      assertThat(code(w.cmd(b64("wrong")))).isEqualTo("535 5.7.8");
      assertThat(w.cmd("AUTH PLAIN").code()).isEqualTo(334);
      assertThat(code(w.cmd("*"))).as("cancelled").isEqualTo("501 5.0.0");
      assertThat(code(w.cmd("AUTH PLAIN !!!!"))).isEqualTo("501 5.5.4");
      assertThat(code(w.cmd("AUTH CRAM-MD5"))).isEqualTo("504 5.5.4");
      assertThat(code(w.cmd("AUTH PLAIN " + b64("\0alice\0nope")))).isEqualTo("421 4.7.0");
      assertThat(w.closedByServer()).isTrue();
    }
  }

  @Test
  void speaksTlsFromTheFirstByteOnAnImplicitTlsListener() throws Exception {
    int port = start(tlsOptions().setImplicitTls(true));
    try (Wire w = Wire.connectTls(port)) {
      assertThat(w.read().code()).isEqualTo(220);
      Reply ehlo = w.cmd("EHLO c");
      assertThat(ehlo.lines()).contains("AUTH PLAIN LOGIN").doesNotContain("STARTTLS");
      assertThat(code(w.cmd("AUTH PLAIN " + b64("\0alice\0s3cret")))).isEqualTo("235 2.7.0");
    }
  }

  @Test
  void canRequireTlsAndAuthBeforeMail() throws Exception {
    int port = start(tlsOptions().setRequireTls(true).setRequireAuth(true));
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      assertThat(code(w.cmd("MAIL FROM:<a@x.test>"))).isEqualTo("530 5.7.0");
      w.cmd("STARTTLS");
      w.startTls();
      w.cmd("EHLO c");
      Reply r = w.cmd("MAIL FROM:<a@x.test>");
      assertThat(code(r)).isEqualTo("530 5.7.0");
      assertThat(r.text()).contains("Authentication required");
      w.cmd("AUTH PLAIN " + b64("\0alice\0s3cret"));
      assertThat(w.cmd("MAIL FROM:<a@x.test>").code()).isEqualTo(250);
    }
  }

  @Test
  void aFailedHandshakeClosesTheSession() throws Exception {
    int port = start(tlsOptions());
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      assertThat(w.cmd("STARTTLS").code()).isEqualTo(220);
      w.send("this is not a TLS client hello\r\n");
      assertThat(w.closedByServer()).isTrue();
    }
    String event;
    do {
      event = handler.events.poll(10, java.util.concurrent.TimeUnit.SECONDS);
    } while (event != null && !event.equals("disconnect"));
    assertThat(event).as("the handler heard of the disconnect").isEqualTo("disconnect");
  }
}
