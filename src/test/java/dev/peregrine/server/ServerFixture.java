package dev.peregrine.server;

import dev.peregrine.protocol.Timeouts;
import dev.peregrine.test.BlockedThreadDetector;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.Vertx;
import io.vertx.core.net.SelfSignedCertificate;
import org.junit.jupiter.api.BeforeEach;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Starts an {@link SmtpServer} on 127.0.0.1, port 0, per test; stops it and Vert.x after. Vert.x runs as
 * {@code serve} runs it: the native transport where it loads, accepting on the event loops ({@link ServerTransport}).
 */
abstract class ServerFixture extends VertxFixture {

  static final SelfSignedCertificate CERT = SelfSignedCertificate.create("localhost");

  protected RecordingHandler handler;
  protected SmtpServer server;

  @Override
  protected Vertx newVertx() {
    return ServerTransport.vertx(BlockedThreadDetector.options().setPreferNativeTransport(true));
  }

  @BeforeEach
  void newHandler() {
    handler = new RecordingHandler();
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
