package dev.peregrine.server;

import dev.peregrine.protocol.Reply;
import dev.peregrine.test.BlockedThreadDetector;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ServerTransport}: the listening socket accepts on an I/O event loop (Vert.x's acceptor group is its
 * I/O group), over epoll and over NIO, with and without the spin before sleeping, with the server at two verticle instances sharing one port; every
 * connection is served to the end on an event loop, and Vert.x closes as before.
 */
@ExtendWith(BlockedThreadDetector.class)
class ServerTransportIT {

  private static final int INSTANCES = 2;

  private Vertx vertx;

  @AfterEach
  void close() throws Exception {
    if (vertx != null) {
      vertx.close().await(20, TimeUnit.SECONDS);
    }
  }

  @ParameterizedTest
  @CsvSource({"true,10", "false,10", "true,0", "false,0"})
  void acceptsOnTheEventLoops(boolean preferNative, int spinMicros) throws Exception {
    System.setProperty("peregrine.event-loop-spin-micros", String.valueOf(spinMicros));
    try {
      vertx = ServerTransport.vertx(BlockedThreadDetector.options().setEventLoopPoolSize(INSTANCES)
          .setPreferNativeTransport(preferNative));
    } finally {
      System.clearProperty("peregrine.event-loop-spin-micros");
    }
    VertxInternal internal = (VertxInternal) vertx;
    assertThat(internal.acceptorEventLoopGroup()).as("the acceptor group is the I/O group")
        .isSameAs(internal.eventLoopGroup());
    assertThat(vertx.isNativeTransportEnabled()).isEqualTo(preferNative && Transport.EPOLL.available());

    Set<String> threads = ConcurrentHashMap.newKeySet();
    SmtpHandler recording = new SmtpHandler() {
      @Override
      public Future<Reply> connect(SmtpSession session) {
        threads.add(Thread.currentThread().getName());
        return Future.succeededFuture();
      }
    };
    List<SmtpServerVerticle> verticles = new ArrayList<>();
    vertx.deployVerticle(() -> {
      SmtpServerVerticle v = new SmtpServerVerticle(() -> recording);
      synchronized (verticles) {
        verticles.add(v);
      }
      return v;
    }, new DeploymentOptions().setInstances(INSTANCES).setConfig(ServerFixture.options().toJson().put("port", -1)))
        .await(30, TimeUnit.SECONDS);
    int port = verticles.get(0).server().actualPort();

    for (int i = 0; i < 200; i++) {
      greetingAndQuit(port);
    }
    ExecutorService pool = Executors.newFixedThreadPool(20);
    try {
      List<java.util.concurrent.Future<?>> running = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        running.add(pool.submit(() -> {
          greetingAndQuit(port);
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : running) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    // Which instance serves a connection is Vert.x's choice (CI saw all 400 on one loop): only the thread kind is ours.
    assertThat(threads).as("served on the event loops").isNotEmpty()
        .allMatch(t -> t.startsWith("vert.x-eventloop-thread-"));
    vertx.close().await(20, TimeUnit.SECONDS);
    vertx = null;
  }

  @Test
  void offWithTheProperty() throws Exception {
    System.setProperty("peregrine.accept-on-event-loop", "false");
    try {
      vertx = ServerTransport.vertx(BlockedThreadDetector.options().setPreferNativeTransport(true));
    } finally {
      System.clearProperty("peregrine.accept-on-event-loop");
    }
    VertxInternal internal = (VertxInternal) vertx;
    assertThat(internal.acceptorEventLoopGroup()).isNotSameAs(internal.eventLoopGroup());
    assertThat(vertx.isNativeTransportEnabled()).isEqualTo(Transport.EPOLL.available());
  }

  @Test
  void spinOutOfRangeIsRefusedByName() {
    System.setProperty("peregrine.event-loop-spin-micros", "5000");
    try {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> ServerTransport.transport(BlockedThreadDetector.options()))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("peregrine.event-loop-spin-micros");
    } finally {
      System.clearProperty("peregrine.event-loop-spin-micros");
    }
  }

  /** One session over a real loopback socket: the greeting, QUIT, 221, then the server's close. */
  private static void greetingAndQuit(int port) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      OutputStream out = s.getOutputStream();
      assertThat(in.readLine()).startsWith("220 ");
      out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(in.readLine()).startsWith("221 ");
      assertThat(in.read()).as("closed by the server").isEqualTo(-1);
    }
  }
}
