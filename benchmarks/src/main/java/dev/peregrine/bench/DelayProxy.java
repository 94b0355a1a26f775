package dev.peregrine.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * A TCP relay that adds a fixed delay to every byte in each direction, to measure clients at a realistic
 * round-trip time on loopback: a round trip through it costs {@code 2 × delay} more than a direct one, the
 * same for every client. Bytes keep their order; a full write queue on one side pauses the other side.
 *
 * <p>Usage: {@code DelayProxy LISTEN_PORT TARGET_HOST TARGET_PORT ONE_WAY_DELAY_MS [LISTEN_HOST]} (listens on
 * LISTEN_HOST, default 127.0.0.1; prints {@code listening <port>} once ready; port 0 picks a free one). Runs
 * until killed.
 */
public final class DelayProxy {

  private DelayProxy() {
  }

  public static void main(String[] args) throws Exception {
    int listenPort = Integer.parseInt(args[0]);
    String targetHost = args[1];
    int targetPort = Integer.parseInt(args[2]);
    long delayMs = Long.parseLong(args[3]);
    String listenHost = args.length > 4 ? args[4] : "127.0.0.1";
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    NetServer server = vertx.createNetServer(new NetServerOptions().setHost(listenHost).setPort(listenPort)
        .setTcpNoDelay(true));
    var client = vertx.createNetClient(new io.vertx.core.net.NetClientOptions().setTcpNoDelay(true));
    server.connectHandler(in -> {
      in.pause();
      client.connect(targetPort, targetHost).onComplete(ar -> {
        if (ar.failed()) {
          in.close();
          return;
        }
        NetSocket out = ar.result();
        new Direction(vertx, in, out, delayMs).start();
        new Direction(vertx, out, in, delayMs).start();
        in.resume();
      });
    });
    int port = server.listen().await(10, TimeUnit.SECONDS).actualPort();
    System.out.println("listening " + port);
  }

  /** One direction of one connection: a queue of (due time, bytes), drained by one timer at a time. */
  private static final class Direction {
    private record Pending(long due, Buffer data) {
    }

    private final NetSocket from;
    private final NetSocket to;
    private final long delayNanos;
    private final io.netty.channel.EventLoop loop;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private boolean timerSet;
    private boolean ended;

    Direction(Vertx vertx, NetSocket from, NetSocket to, long delayMs) {
      this.from = from;
      this.to = to;
      this.delayNanos = TimeUnit.MILLISECONDS.toNanos(delayMs);
      // Netty's scheduler directly: Vert.x timers round to milliseconds, which would add up to 1 ms per hop.
      this.loop = ((io.vertx.core.internal.ContextInternal) vertx.getOrCreateContext()).nettyEventLoop();
    }

    void start() {
      from.handler(data -> {
        queue.add(new Pending(System.nanoTime() + delayNanos, data));
        schedule();
      });
      from.endHandler(v -> {
        ended = true;
        schedule();
      });
      from.exceptionHandler(e -> to.close());
    }

    private void schedule() {
      if (timerSet) {
        return;
      }
      Pending head = queue.peek();
      if (head == null) {
        if (ended) {
          to.end();
        }
        return;
      }
      timerSet = true;
      loop.schedule(() -> {
        timerSet = false;
        deliver();
      }, head.due() - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    private void deliver() {
      long now = System.nanoTime();
      Pending p;
      while ((p = queue.peek()) != null && p.due() - now <= 0) {
        queue.poll();
        to.write(p.data());
      }
      if (to.writeQueueFull()) {
        from.pause();
        to.drainHandler(v -> from.resume());
      }
      schedule();
    }
  }
}
