package dev.peregrine.bench;

import dev.peregrine.protocol.Reply;
import dev.peregrine.server.Envelope;
import dev.peregrine.server.ServerTransport;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.server.SmtpServerVerticle;
import dev.peregrine.server.SmtpSession;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.concurrent.TimeUnit;

/**
 * The server side of the end-to-end benchmarks: Peregrine with a handler that reads and discards every
 * message, one verticle per core, limits raised for load. Prints {@code listening PORT} when ready.
 *
 * <p>Usage: {@code DiscardServer PORT [instances]}. Each line read on stdin is a command: {@code heap} prints
 * the heap used after a full GC and the open connection count; EOF stops the server.
 */
public final class DiscardServer {

  private DiscardServer() {
  }

  static final class Discard implements SmtpHandler {
    @Override
    public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
      Promise<Reply> done = Promise.promise();
      content.handler(b -> { }).exceptionHandler(done::tryFail).endHandler(v -> done.tryComplete());
      return done.future();
    }
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int instances = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
    // Netty's native epoll transport, as `serve` runs (netty-transport-native-epoll comes with the main
    // artifact); -Dperegrine.bench.nativeTransport=false measures NIO. Said on stderr either way.
    boolean nativeTransport = !"false".equals(System.getProperty("peregrine.bench.nativeTransport"));
    // Accepting on the event loops, as serve does (ServerTransport); -Dperegrine.accept-on-event-loop=false
    // measures Vert.x's own acceptor thread.
    Vertx vertx = ServerTransport.vertx(new VertxOptions().setEventLoopPoolSize(instances)
        .setPreferNativeTransport(nativeTransport));
    if (vertx.isNativeTransportEnabled()) {
      System.err.println("native transport" + ServerTransport.describe(vertx));
    } else {
      System.err.println("NIO transport" + (nativeTransport ? " (native unavailable: "
          + vertx.unavailableNativeTransportCause() + ")" : "") + ServerTransport.describe(vertx));
    }
    SmtpServerOptions options = new SmtpServerOptions().setHost("127.0.0.1").setPort(port).setHostname("sink.test")
        .setMaxConnections(50_000).setMaxConnectionsPerIp(50_000).setMaxErrors(1_000_000)
        .setMaxRecipients(100_000);
    SmtpServerVerticle[] first = new SmtpServerVerticle[1];
    vertx.deployVerticle(() -> {
      SmtpServerVerticle v = new SmtpServerVerticle(Discard::new);
      if (first[0] == null) {
        first[0] = v;
      }
      return v;
    }, new DeploymentOptions().setInstances(instances).setConfig(options.toJson())).await(30, TimeUnit.SECONDS);
    System.out.println("listening " + port);
    System.out.flush();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.trim().equals("heap")) {
        for (int i = 0; i < 3; i++) {
          System.gc();
          Thread.sleep(200);
        }
        long used = memory.getHeapMemoryUsage().getUsed();
        System.out.println("heap " + used + " max " + memory.getHeapMemoryUsage().getMax());
        System.out.flush();
      }
    }
    vertx.close().await(30, TimeUnit.SECONDS);
  }
}
