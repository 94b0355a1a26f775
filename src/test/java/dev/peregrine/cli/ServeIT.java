package dev.peregrine.cli;

import dev.peregrine.test.VertxFixture;
import dev.peregrine.test.Wire;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The runnable service: configuration, local Maildir delivery, no open relay, durability under kill -9. */
class ServeIT extends VertxFixture {

  private static Path config(Path dir) throws Exception {
    Path file = dir.resolve("peregrine.yaml");
    Files.writeString(file, "server:\n  host: 127.0.0.1\n  port: 0\n  instances: 2\n  hostname: mx.example.com\n"
        + "maildir:\n  dir: " + dir.resolve("maildir") + "\n  domains: [example.com]\n");
    return file;
  }

  private static List<Path> delivered(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir.resolve("maildir/new"))) {
      return s.toList();
    }
  }

  @Test
  void deliversLocalMailDurablyAndRefusesToRelay(@TempDir Path dir) throws Exception {
    Main.Running running = Main.serve(vertx, config(dir).toString(), new JsonObject()).await(30, TimeUnit.SECONDS);
    try (Wire w = Wire.connect(running.port())) {
      assertThat(w.read().text()).startsWith("mx.example.com ESMTP");
      w.cmd("EHLO client.test");
      assertThat(w.cmd("MAIL FROM:<a@remote.test>").code()).isEqualTo(250);
      var denied = w.cmd("RCPT TO:<victim@elsewhere.test>");
      assertThat(denied.code()).isEqualTo(554);
      assertThat(denied.enhanced().toString()).isEqualTo("5.7.1");
      assertThat(w.cmd("RCPT TO:<user@EXAMPLE.com>").code()).isEqualTo(250);
      assertThat(w.cmd("DATA").code()).isEqualTo(354);
      var queued = w.cmd("Subject: local\r\n\r\nhello\r\n.");
      assertThat(queued.code()).isEqualTo(250);
      assertThat(queued.text()).startsWith("OK queued as ");
    }
    List<Path> files = delivered(dir);
    assertThat(files).hasSize(1);
    String stored = Files.readString(files.get(0), StandardCharsets.UTF_8);
    assertThat(stored).startsWith("X-Peregrine-Envelope-From: <a@remote.test>\r\nX-Peregrine-Envelope-To: <user@EXAMPLE.com>\r\nReceived: from client.test");
    assertThat(stored).endsWith("Subject: local\r\n\r\nhello\r\n");
    try (Stream<Path> tmp = Files.list(dir.resolve("maildir/tmp"))) {
      assertThat(tmp).isEmpty();
    }
  }

  @Test
  void aMessageAcknowledgedSurvivesKillDashNine(@TempDir Path dir) throws Exception {
    Process p = process(config(dir));
    try {
      int port = port(p, dir);
      try (Wire w = Wire.connect(port)) {
        w.read();
        w.cmd("EHLO c");
        w.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n");
        w.read(3);
        assertThat(w.cmd("Subject: durable\r\n\r\nkeep me\r\n.").code()).isEqualTo(250);
        // The 250 is out: the process dies at once, without a chance to flush anything.
        p.destroyForcibly();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      }
      List<Path> files = delivered(dir);
      assertThat(files).hasSize(1);
      assertThat(Files.readString(files.get(0))).endsWith("Subject: durable\r\n\r\nkeep me\r\n");
    } finally {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** Runs {@code serve --config FILE} in a JVM of its own, output to a log file next to the config. */
  private static Process process(Path file) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "serve", "--config", file.toString())
        .redirectErrorStream(true).redirectOutput(file.resolveSibling("serve.log").toFile()).start();
  }

  /** The port the process printed, waiting (bounded) for the line. */
  private static int port(Process p, Path dir) throws Exception {
    Path log = dir.resolve("serve.log");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && p.isAlive()) {
      for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
        if (line.startsWith("peregrine: SMTP listening on ")) {
          return Integer.parseInt(line.substring(line.lastIndexOf(':') + 1));
        }
      }
      // Polling a log file written by another process: nothing to wait on but time.
      Thread.sleep(20);
    }
    throw new AssertionError("serve printed no port:\n" + Files.readString(log, StandardCharsets.UTF_8));
  }

  /**
   * SIGTERM while 20 sessions are in the middle of DATA and one is idle: the idle one gets 421 4.3.2 at
   * once; each of the 20 finishes its content after the signal, gets 250, and its message is in the Maildir;
   * then the process exits.
   */
  @Test
  void sigtermLetsTheTransactionsInFlightFinish(@TempDir Path dir) throws Exception {
    Process p = process(config(dir));
    List<Wire> sessions = new java.util.ArrayList<>();
    try {
      int port = port(p, dir);
      for (int i = 0; i < 20; i++) {
        Wire w = Wire.connect(port);
        sessions.add(w);
        w.read();
        w.cmd("EHLO c");
        w.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<u@example.com>\r\nDATA\r\n");
        assertThat(w.read(3).get(2).code()).isEqualTo(354);
        w.send("Subject: in flight " + i + "\r\n\r\nfirst half\r\n");
      }
      try (Wire idle = Wire.connect(port)) {
        idle.read();
        idle.cmd("EHLO idle");
        p.destroy();
        var bye = idle.read();
        assertThat(bye.code()).isEqualTo(421);
        assertThat(bye.enhanced().toString()).isEqualTo("4.3.2");
      }
      for (int i = 0; i < 20; i++) {
        Wire w = sessions.get(i);
        var end = w.cmd("second half " + i + "\r\n.");
        assertThat(end.code()).as("session %d after SIGTERM: %s\n%s", i, end,
            Files.readString(dir.resolve("serve.log"))).isEqualTo(250);
      }
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the process exits once the sessions are done").isTrue();
      List<Path> files = delivered(dir);
      assertThat(files).hasSize(20);
      for (Path f : files) {
        assertThat(Files.readString(f)).contains("first half\r\nsecond half ");
      }
    } finally {
      for (Wire w : sessions) {
        w.close();
      }
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Issue 17 §1 as a user met it: `serve` with a certificate and the default instance count (one server per
   * event loop, sharing the port), and STARTTLS from swaks, session after session.
   */
  @Test
  void startTlsWorksUnderTheDefaultDeployment(@TempDir Path dir) throws Exception {
    io.vertx.core.net.SelfSignedCertificate cert = io.vertx.core.net.SelfSignedCertificate.create("localhost");
    Path file = dir.resolve("tls.yaml");
    Files.writeString(file, "server:\n  host: 127.0.0.1\n  port: 0\n  hostname: mx.example.com\n"
        + "  tls-cert-path: " + cert.certificatePath() + "\n  tls-key-path: " + cert.privateKeyPath() + "\n"
        + "maildir:\n  dir: " + dir.resolve("maildir") + "\n  domains: [example.com]\n");
    Main.Running running = Main.serve(vertx, file.toString(), new JsonObject()).await(30, TimeUnit.SECONDS);
    int sessions = 12;
    for (int i = 0; i < sessions; i++) {
      dev.peregrine.test.Peer.Result r = dev.peregrine.test.Peer.run(List.of("swaks", "--server",
          "127.0.0.1:" + running.port(), "--tls", "--timeout", "20", "--from", "a@remote.test", "--to", "u@example.com",
          "--h-Subject", "tls " + i, "--body", "over TLS"), 60);
      assertThat(r.exit()).as("swaks session %d:\n%s", i, r.output()).isZero();
      assertThat(r.output()).contains("<-  220 2.0.0 Ready to start TLS").contains("=== TLS started");
    }
    List<Path> files = delivered(dir);
    assertThat(files).hasSize(sessions);
    for (Path f : files) {
      assertThat(Files.readString(f)).contains("with ESMTPS");
    }
  }
}
