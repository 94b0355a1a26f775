package dev.peregrine.server;

import dev.peregrine.protocol.Timeouts;
import dev.peregrine.test.BlockedThreadDetector;
import io.vertx.core.Vertx;
import io.vertx.core.net.SelfSignedCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Starts an {@link SmtpServer} on 127.0.0.1, port 0, per test; stops it and Vert.x after. */
@ExtendWith(BlockedThreadDetector.class)
abstract class ServerFixture {

  static final SelfSignedCertificate CERT = SelfSignedCertificate.create("localhost");

  protected Vertx vertx;
  protected RecordingHandler handler;
  protected SmtpServer server;

  @BeforeEach
  void startVertx() {
    vertx = BlockedThreadDetector.vertx();
    handler = new RecordingHandler();
  }

  @AfterEach
  void stopVertx() throws Exception {
    vertx.close().await(20, TimeUnit.SECONDS);
  }

  static SmtpServerOptions options() {
    return new SmtpServerOptions().setHost("127.0.0.1").setPort(0).setHostname("mx.test");
  }

  static SmtpServerOptions tlsOptions() {
    return options().setTlsCertPath(CERT.certificatePath()).setTlsKeyPath(CERT.privateKeyPath());
  }

  static SmtpServerOptions withTimeout(SmtpServerOptions o, Duration command) {
    return o.setTimeouts(o.getTimeouts().with(Timeouts.Phase.SERVER_COMMAND, command).with(Timeouts.Phase.DATA_BLOCK, command));
  }

  int start(SmtpServerOptions options) throws Exception {
    return start(options, handler);
  }

  int start(SmtpServerOptions options, SmtpHandler h) throws Exception {
    server = SmtpServer.create(vertx, options, h);
    server.listen().await(10, TimeUnit.SECONDS);
    return server.actualPort();
  }
}
