package dev.peregrine.server;

import dev.peregrine.protocol.Reply;
import dev.peregrine.test.Wire;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.streams.ReadStream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** PROXY protocol, graceful shutdown, back-pressure, verticle deployment and options. */
class ServerLifecycleIT extends ServerFixture {

  private static String code(Reply r) {
    return r.code() + (r.enhanced() == null ? "" : " " + r.enhanced());
  }

  private String nextConnectEvent() throws InterruptedException {
    String e;
    do {
      e = handler.events.poll(10, TimeUnit.SECONDS);
    } while (e != null && !e.startsWith("connect"));
    return e;
  }

  @Test
  void takesTheClientAddressFromAProxyV1Header() throws Exception {
    int port = start(options().setUseProxyProtocol(true));
    try (Wire w = Wire.connect(port)) {
      w.send("PROXY TCP4 192.0.2.10 127.0.0.1 54321 25\r\n");
      assertThat(w.read().code()).isEqualTo(220);
      w.cmd("EHLO c");
      w.beginData();
      w.cmd("x\r\n.");
    }
    assertThat(nextConnectEvent()).isEqualTo("connect 192.0.2.10:54321");
    assertThat(handler.next().remote()).isEqualTo("192.0.2.10");
  }

  @Test
  void takesTheClientAddressFromAProxyV2Header() throws Exception {
    int port = start(options().setUseProxyProtocol(true));
    ByteBuffer h = ByteBuffer.allocate(28);
    h.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
    h.put((byte) 0x21).put((byte) 0x11).putShort((short) 12);
    h.put(new byte[] {(byte) 198, 51, 100, 7}).put(new byte[] {127, 0, 0, 1});
    h.putShort((short) 40000).putShort((short) 25);
    try (Wire w = Wire.connect(port)) {
      w.sendBytes(h.array());
      assertThat(w.read().code()).isEqualTo(220);
    }
    assertThat(nextConnectEvent()).isEqualTo("connect 198.51.100.7:40000");
  }

  @Test
  void shutdownClosesIdleSessionsAtOnceAndLetsATransactionFinish() throws Exception {
    int port = start(options().setShutdownGracePeriod(Duration.ofSeconds(20)));
    try (Wire idle = Wire.connect(port); Wire busy = Wire.connect(port)) {
      idle.read();
      busy.read();
      busy.cmd("EHLO c");
      busy.beginData();
      busy.send("first part\r\n");
      Future<Void> done = server.shutdown();
      assertThat(code(idle.read())).isEqualTo("421 4.3.2");
      assertThat(idle.closedByServer()).isTrue();
      assertThat(done.isComplete()).isFalse();
      busy.send("last part\r\n.\r\n");
      assertThat(busy.read().code()).isEqualTo(250);
      assertThat(code(busy.read())).isEqualTo("421 4.3.2");
      assertThat(busy.closedByServer()).isTrue();
      done.await(10, TimeUnit.SECONDS);
    }
    assertThat(handler.next().content().toString()).isEqualTo("first part\r\nlast part\r\n");
  }

  @Test
  void shutdownClosesWhatIsLeftAtTheEndOfTheGracePeriod() throws Exception {
    int port = start(options().setShutdownGracePeriod(Duration.ofMillis(300)));
    try (Wire busy = Wire.connect(port)) {
      busy.read();
      busy.cmd("EHLO c");
      busy.beginData();
      Future<Void> done = server.shutdown();
      assertThat(code(busy.read())).isEqualTo("421 4.3.2");
      assertThat(busy.closedByServer()).isTrue();
      done.await(10, TimeUnit.SECONDS);
    }
    assertThat(handler.messages).isEmpty();
  }

  @Test
  void aHandlerThatPausesTheContentGetsEveryByteInOrder() throws Exception {
    AtomicInteger pauses = new AtomicInteger();
    SmtpHandler slow = new RecordingHandler() {
      @Override
      public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
        Promise<Reply> done = Promise.promise();
        Buffer all = Buffer.buffer();
        content.handler(b -> {
          all.appendBuffer(b);
          // Pause after every chunk and resume a little later, as a slow disk would.
          content.pause();
          pauses.incrementAndGet();
          vertx.setTimer(1, t -> content.resume());
        }).exceptionHandler(done::tryFail).endHandler(v -> {
          messages.add(new Message("", java.util.List.of(), all, "", "", null, false));
          done.complete();
        });
        return done.future();
      }
    };
    int port = start(options().setMaxMessageSize(64L << 20), slow);
    byte[] body = new byte[8 << 20];
    Random random = new Random(42);
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) ('a' + random.nextInt(26));
    }
    for (int i = 76; i < body.length; i += 78) {
      body[i] = '\r';
      body[i + 1] = '\n';
    }
    body[body.length - 2] = '\r';
    body[body.length - 1] = '\n';
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      w.beginData();
      w.sendBytes(body);
      assertThat(w.cmd(".").code()).isEqualTo(250);
    }
    RecordingHandler.Message m = ((RecordingHandler) slow).next();
    assertThat(Arrays.equals(m.content().getBytes(), body)).isTrue();
    assertThat(pauses.get()).isGreaterThan(1);
  }

  @Test
  void deploysAsVerticlesSharingThePortFromJsonConfig() throws Exception {
    JsonObject config = new JsonObject().put("host", "127.0.0.1").put("port", -1).put("hostname", "verticle.test");
    SmtpServerVerticle[] made = new SmtpServerVerticle[2];
    AtomicInteger i = new AtomicInteger();
    vertx.deployVerticle(() -> made[i.getAndIncrement()] = new SmtpServerVerticle(RecordingHandler::new),
        new DeploymentOptions().setInstances(2).setConfig(config)).await(10, TimeUnit.SECONDS);
    int port = made[0].server().actualPort();
    assertThat(port).isPositive();
    assertThat(made[1].server().actualPort()).isEqualTo(port);
    for (int n = 0; n < 4; n++) {
      try (Wire w = Wire.connect(port)) {
        assertThat(w.read().text()).startsWith("verticle.test ESMTP");
      }
    }
  }

  @Test
  void aBadConfigFailsTheDeploymentNamingTheKey() {
    JsonObject config = new JsonObject().put("max-recipients", "lots");
    Throwable failure = vertx.deployVerticle(new SmtpServerVerticle(RecordingHandler::new),
        new DeploymentOptions().setConfig(config)).cause();
    if (failure == null) {
      try {
        vertx.deployVerticle(new SmtpServerVerticle(RecordingHandler::new), new DeploymentOptions().setConfig(config))
            .await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        failure = e;
      }
    }
    assertThat(failure).hasMessageContaining("max-recipients");
  }

  @Test
  void optionsRoundTripThroughJson() {
    SmtpServerOptions o = tlsOptions().setMaxRecipients(7).setGreetingDelay(Duration.ofMillis(250))
        .setAuthMechanisms(java.util.List.of("PLAIN")).setBareLineEndings(dev.peregrine.protocol.DataDecoder.Mode.ALLOW)
        .setUseProxyProtocol(true);
    o = withTimeout(o, Duration.ofSeconds(42));
    SmtpServerOptions back = new SmtpServerOptions(o.toJson());
    assertThat(back).isEqualTo(o);
    assertThat(back.toJson()).isEqualTo(o.toJson());
    assertThat(new SmtpServerOptions(new SmtpServerOptions().toJson())).isEqualTo(new SmtpServerOptions());
    assertThat(new SmtpServerOptions(o)).isEqualTo(o);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new SmtpServerOptions(new JsonObject().put("prot", 25)))
        .hasMessageContaining("unknown server option 'prot'");
  }
}
