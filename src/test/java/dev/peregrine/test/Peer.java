package dev.peregrine.test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a real peer program (swaks, smtp-source, python3 ...) to completion from the test thread: output
 * captured to a file, a bounded wait, and the process killed if it outlives it. Or starts a peer server
 * ({@link #daemon}) and waits, bounded, until it accepts connections.
 */
public final class Peer {

  /** How a run ended. */
  public record Result(int exit, String output) {
  }

  private Peer() {
  }

  public static Result run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
    Path out = Files.createTempFile("peer", ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    try {
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        throw new AssertionError(command.get(0) + " did not finish within " + timeoutSeconds + " s:\n"
            + Files.readString(out, StandardCharsets.UTF_8));
      }
      return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(out);
    }
  }

  /** A free TCP port on 127.0.0.1 (closed again: the peer about to start binds it). */
  public static int freePort() throws IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** A peer server process; {@link #close()} kills it and waits for it to go. */
  public record Daemon(Process process, int port) implements AutoCloseable {
    @Override
    public void close() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Starts {@code command}, a server that listens on 127.0.0.1:{@code port}, and returns once a connection
   * to it succeeds (within {@code timeoutSeconds}; the process is killed and the test fails otherwise).
   */
  public static Daemon daemon(List<String> command, int port, int timeoutSeconds) throws IOException, InterruptedException {
    return daemon(command, "127.0.0.1", port, timeoutSeconds);
  }

  /** As {@link #daemon(List, int, int)}, for a server listening on {@code host} (another loopback address). */
  public static Daemon daemon(List<String> command, String host, int port, int timeoutSeconds)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(new java.io.File("/dev/null")).start();
    Daemon d = new Daemon(p, port);
    try {
      awaitPort(host, port, timeoutSeconds, p::isAlive);
    } catch (AssertionError e) {
      d.close();
      throw new AssertionError(command.get(0) + " did not start listening on " + host + ":" + port, e);
    }
    return d;
  }

  /** Returns once 127.0.0.1:{@code port} accepts a connection; fails after {@code timeoutSeconds}. */
  public static void awaitPort(int port, int timeoutSeconds) throws InterruptedException {
    awaitPort("127.0.0.1", port, timeoutSeconds, () -> true);
  }

  private static void awaitPort(String host, int port, int timeoutSeconds, java.util.function.BooleanSupplier alive)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (true) {
      try (java.net.Socket probe = new java.net.Socket()) {
        probe.connect(new java.net.InetSocketAddress(host, port), 200);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline || !alive.getAsBoolean()) {
          throw new AssertionError("nothing listens on " + host + ":" + port, e);
        }
        // Polling a port that is not open yet: nothing to wait on but time.
        Thread.sleep(20);
      }
    }
  }
}
