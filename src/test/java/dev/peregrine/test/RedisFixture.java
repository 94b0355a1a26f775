package dev.peregrine.test;

import java.io.IOException;
import java.util.List;

/**
 * A real {@code redis-server} (Debian's) on 127.0.0.1 and a free port, nothing persisted; {@link #stop()} and
 * {@link #start()} take it down and bring it back on the same port (an outage), {@link #close()} stops it.
 */
public final class RedisFixture implements AutoCloseable {

  public final int port;
  private Peer.Daemon daemon;

  public RedisFixture() throws IOException, InterruptedException {
    port = Peer.freePort();
    start();
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public void start() throws IOException, InterruptedException {
    daemon = Peer.daemon(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--protected-mode", "yes"), port, 20);
  }

  /** Kills it (SIGKILL): what a crashed or unreachable Redis looks like to its clients. */
  public void stop() throws InterruptedException {
    if (daemon != null) {
      daemon.close();
      daemon = null;
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
