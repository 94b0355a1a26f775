package dev.peregrine.server.impl;

import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.Timeouts;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.test.VertxFixture;
import dev.peregrine.test.Wire;
import io.vertx.core.net.SelfSignedCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * STARTTLS when TLS cannot start: the set-up fails (454, the session goes on in plaintext, RFC 3207 §4), or
 * the client never handshakes (the TLS phase has a deadline too).
 */
class StartTlsFailuresIT extends VertxFixture {

  private static final SelfSignedCertificate CERT = SelfSignedCertificate.create("localhost");

  private SmtpServerImpl server;

  private SmtpServerOptions options() {
    return new SmtpServerOptions().setHost("127.0.0.1").setPort(0).setHostname("mx.test")
        .setTlsCertPath(CERT.certificatePath()).setTlsKeyPath(CERT.privateKeyPath());
  }

  private int start(SmtpServerOptions options) throws Exception {
    server = new SmtpServerImpl(vertx, options, new SmtpHandler() { });
    server.listen().await(10, TimeUnit.SECONDS);
    return server.actualPort();
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aTlsEngineThatCannotBeBuiltIsAnswered454AndTheSessionGoesOnInPlaintext() throws Exception {
    int port = start(options());
    server.useStartTls(new StartTls(alloc -> {
      throw new IllegalStateException("no engine today");
    }));
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      w.send("NOOP\r\nSTARTTLS\r\n");
      Reply noop = w.read();
      Reply starttls = w.read();
      assertThat(noop.code()).isEqualTo(250);
      assertThat(starttls.code()).isEqualTo(454);
      assertThat(starttls.enhanced().toString()).isEqualTo("4.7.0");
      assertThat(w.cmd("EHLO c").code()).isEqualTo(250);
      assertThat(w.cmd("MAIL FROM:<a@x.test>").code()).as("plaintext session goes on").isEqualTo(250);
    }
  }

  @Test
  void aClientThatNeverHandshakesIsClosedAtTheStartTlsTimeout() throws Exception {
    SmtpServerOptions o = options();
    o.setTimeouts(o.getTimeouts().with(Timeouts.Phase.STARTTLS, Duration.ofMillis(300)));
    int port = start(o);
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      assertThat(w.cmd("STARTTLS").code()).isEqualTo(220);
      // No handshake: Vert.x's own 10 s handshake limit would be the only bound otherwise.
      long t0 = System.nanoTime();
      assertThat(w.drainedToClose()).isTrue();
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(5_000);
    }
  }
}
