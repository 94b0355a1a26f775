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
    Files.writeString(file, "http:\n  port: 0\nserver:\n  host: 127.0.0.1\n  port: 0\n  instances: 2\n  hostname: mx.example.com\n"
        + "relay:\n  local-domains: [example.com]\n" + "maildir:\n  dir: " + dir.resolve("maildir") + "\n" + "spool:\n  dir: " + dir.resolve("queue") + "\n");
    return file;
  }

  /**
   * The Maildir's new messages once there are {@code expected} of them: delivery follows the 250 (spool,
   * then the queue's local transport), so the test waits for it, bounded.
   */
  static List<Path> delivered(Path dir, int expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      List<Path> files;
      try (Stream<Path> s = Files.list(dir.resolve("maildir/new"))) {
        files = s.toList();
      } catch (java.nio.file.NoSuchFileException e) {
        files = List.of();
      }
      if (files.size() >= expected || System.nanoTime() > deadline) {
        return files;
      }
      // Delivery happens in another process or on the queue's context: nothing to wait on but time.
      Thread.sleep(20);
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
    List<Path> files = delivered(dir, 1);
    assertThat(files).hasSize(1);
    String stored = Files.readString(files.get(0), StandardCharsets.UTF_8);
    assertThat(stored).startsWith("Return-Path: <a@remote.test>\r\nDelivered-To: user@EXAMPLE.com\r\n"
        + "Received: from client.test ([127.0.0.1])\r\n\tby mx.example.com (Peregrine) with ESMTP id ");
    assertThat(stored).contains("\r\n\tfor <user@EXAMPLE.com>;\r\n\t");
    assertThat(stored).endsWith("Subject: local\r\n\r\nhello\r\n");
    try (Stream<Path> tmp = Files.list(dir.resolve("maildir/tmp"))) {
      assertThat(tmp).isEmpty();
    }
  }

  @Test
  void aMessageAcknowledgedSurvivesKillDashNine(@TempDir Path dir) throws Exception {
    Process p = process(config(dir));
    Process again = null;
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
      // Delivered before the kill, or by the restarted process from its spool: either way, exactly once.
      again = process(config(dir));
      port(again, dir);
      List<Path> files = delivered(dir, 1);
      assertThat(files).hasSize(1);
      assertThat(Files.readString(files.get(0))).endsWith("Subject: durable\r\n\r\nkeep me\r\n");
    } finally {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
      if (again != null) {
        again.destroyForcibly();
        again.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  /** Runs {@code serve --config FILE} in a JVM of its own, output to a log file next to the config. */
  static Process process(Path file) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "serve", "--config", file.toString())
        .redirectErrorStream(true).redirectOutput(file.resolveSibling("serve.log").toFile()).start();
  }

  /** The HTTP port the process printed (after its SMTP ports). */
  static int httpPort(Path dir) throws Exception {
    for (String line : Files.readAllLines(dir.resolve("serve.log"), StandardCharsets.UTF_8)) {
      if (line.startsWith("peregrine: HTTP ")) {
        return Integer.parseInt(line.replaceFirst("^.* on port (\\d+)$", "$1"));
      }
    }
    throw new AssertionError("serve printed no HTTP port:\n" + Files.readString(dir.resolve("serve.log")));
  }

  /** The port the process printed, waiting (bounded) for the line. */
  static int port(Process p, Path dir) throws Exception {
    Path log = dir.resolve("serve.log");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && p.isAlive()) {
      for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
        if (line.startsWith("peregrine: SMTP listening on ")) {
          return Integer.parseInt(line.replaceFirst("^peregrine: SMTP listening on .*:(\\d+) .*$", "$1"));
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
    Process again = null;
    List<Wire> sessions = new java.util.ArrayList<>();
    try {
      int port = port(p, dir);
      // As shipped: the listening sockets accept on the event loops (ServerTransport), said before the ports.
      assertThat(Files.readString(dir.resolve("serve.log"), StandardCharsets.UTF_8))
          .contains("peregrine: network transport epoll (native), accepting on the event loops");
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
      // Not ready any more while the transactions drain: a load balancer stops sending here.
      java.net.HttpURLConnection ready = (java.net.HttpURLConnection)
          java.net.URI.create("http://127.0.0.1:" + httpPort(dir) + "/ready").toURL().openConnection();
      ready.setConnectTimeout(10_000);
      ready.setReadTimeout(10_000);
      assertThat(ready.getResponseCode()).as("/ready while stopping").isEqualTo(503);
      ready.disconnect();
      for (int i = 0; i < 20; i++) {
        Wire w = sessions.get(i);
        var end = w.cmd("second half " + i + "\r\n.");
        assertThat(end.code()).as("session %d after SIGTERM: %s\n%s", i, end,
            Files.readString(dir.resolve("serve.log"))).isEqualTo(250);
      }
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the process exits once the sessions are done").isTrue();
      // Each message was delivered before the exit or is in the spool: a restart delivers the rest.
      again = process(config(dir));
      port(again, dir);
      List<Path> files = delivered(dir, 20);
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
      if (again != null) {
        again.destroyForcibly();
        again.waitFor(30, TimeUnit.SECONDS);
      }
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
    Files.writeString(file, "http:\n  port: 0\nserver:\n  host: 127.0.0.1\n  port: 0\n  hostname: mx.example.com\n"
        + "  tls-cert-path: " + cert.certificatePath() + "\n  tls-key-path: " + cert.privateKeyPath() + "\n"
        + "relay:\n  local-domains: [example.com]\n" + "maildir:\n  dir: " + dir.resolve("maildir") + "\n" + "spool:\n  dir: " + dir.resolve("queue") + "\n");
    Main.Running running = Main.serve(vertx, file.toString(), new JsonObject()).await(30, TimeUnit.SECONDS);
    int sessions = 12;
    for (int i = 0; i < sessions; i++) {
      dev.peregrine.test.Peer.Result r = dev.peregrine.test.Peer.run(List.of("swaks", "--server",
          "127.0.0.1:" + running.port(), "--tls", "--timeout", "20", "--from", "a@remote.test", "--to", "u@example.com",
          "--h-Subject", "tls " + i, "--body", "over TLS"), 60);
      assertThat(r.exit()).as("swaks session %d:\n%s", i, r.output()).isZero();
      assertThat(r.output()).contains("<-  220 2.0.0 Ready to start TLS").contains("=== TLS started");
    }
    List<Path> files = delivered(dir, sessions);
    assertThat(files).hasSize(sessions);
    for (Path f : files) {
      assertThat(Files.readString(f)).contains("(Peregrine) with ESMTPS id ").containsPattern(
          "\r\n\t\\(using TLSv1\\.[23] with cipher TLS_[A-Z0-9_]+\\)\r\n\tfor <u@example.com>;\r\n\t");
    }
  }

  /** Listener roles: submission needs STARTTLS then AUTH before MAIL; submissions is TLS from the start. */
  @Test
  void submissionListenersRequireTlsAndAuth(@TempDir Path dir) throws Exception {
    io.vertx.core.net.SelfSignedCertificate cert = io.vertx.core.net.SelfSignedCertificate.create("localhost");
    Path file = dir.resolve("roles.yaml");
    Files.writeString(file, "http:\n  port: 0\nserver:\n  host: 127.0.0.1\n  port: 0\n  instances: 1\n"
        + "  tls-cert-path: " + cert.certificatePath() + "\n  tls-key-path: " + cert.privateKeyPath() + "\n"
        + "listeners:\n  submission:\n    enabled: true\n    port: 0\n  submissions:\n    enabled: true\n    port: 0\n"
        + "relay:\n  local-domains: [example.com]\nmaildir:\n  dir: " + dir.resolve("maildir") + "\n");
    Main.Running running = Main.serve(vertx, file.toString(), new JsonObject()).await(30, TimeUnit.SECONDS);
    assertThat(running.listeners()).extracting(Main.Bound::name).containsExactly("mx", "submission", "submissions");
    int submission = running.listeners().get(1).port();
    int submissions = running.listeners().get(2).port();
    try (Wire w = Wire.connect(submission)) {
      w.read();
      w.cmd("EHLO c");
      assertThat(w.cmd("MAIL FROM:<a@example.com>").toString()).startsWith("530 5.7.0");
      assertThat(w.cmd("STARTTLS").code()).isEqualTo(220);
      w.startTls();
      w.cmd("EHLO c");
      var mail = w.cmd("MAIL FROM:<a@example.com>");
      assertThat(mail.code()).isEqualTo(530);
      assertThat(mail.text()).contains("Authentication required");
    }
    try (Wire w = Wire.connectTls(submissions)) {
      assertThat(w.read().code()).isEqualTo(220);
      w.cmd("EHLO c");
      assertThat(w.cmd("MAIL FROM:<a@example.com>").code()).isEqualTo(530);
    }
    try (Wire w = Wire.connect(running.port())) {
      w.read();
      w.cmd("EHLO c");
      assertThat(w.cmd("MAIL FROM:<a@remote.test>").code()).as("the MX listener requires neither").isEqualTo(250);
    }
  }

  @Test
  void aSubmissionListenerWithoutACertificateFailsTheStartByName(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("nocert.yaml");
    Files.writeString(file, "http:\n  port: 0\nserver:\n  host: 127.0.0.1\n  port: 0\nlisteners:\n  submission:\n    enabled: true\n");
    var start = Main.serve(vertx, file.toString(), new JsonObject());
    assertThat(start.toCompletionStage().toCompletableFuture()).failsWithin(30, TimeUnit.SECONDS)
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withMessageContaining("listeners.submission (submission) needs tls-cert-path and tls-key-path");
  }

  /**
   * The AUTH backend as an operator meets it: `peregrine passwd alice` (a process of its own, the password on
   * its standard input), then serve with auth.password-file and the submission listener; swaks
   * authenticates over STARTTLS and the message is delivered; a wrong password gets 535; and a bad argument
   * gets picocli's usage error and a non-zero exit.
   */
  @Test
  void passwdThenAuthOnSubmission(@TempDir Path dir) throws Exception {
    Path passwd = dir.resolve("users");
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "passwd", "alice", "--file", passwd.toString(), "--cost", "6").redirectErrorStream(true).start();
    p.getOutputStream().write("s3cret\n".getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(Files.readString(passwd)).startsWith("alice:$2y$06$").doesNotContain("s3cret");

    Process bad = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "passwd", "alice", "--no-such-flag").redirectErrorStream(true).start();
    assertThat(bad.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String badOut = new String(bad.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(bad.exitValue()).as(badOut).isEqualTo(2);
    assertThat(badOut).contains("Unknown option: '--no-such-flag'").contains("Usage: peregrine passwd");

    io.vertx.core.net.SelfSignedCertificate cert = io.vertx.core.net.SelfSignedCertificate.create("localhost");
    Path file = dir.resolve("auth.yaml");
    Files.writeString(file, "http:\n  port: 0\nserver:\n  host: 127.0.0.1\n  port: 0\n  instances: 1\n"
        + "  tls-cert-path: " + cert.certificatePath() + "\n  tls-key-path: " + cert.privateKeyPath() + "\n"
        + "listeners:\n  submission:\n    enabled: true\n    port: 0\n"
        + "auth:\n  password-file: " + passwd + "\n"
        + "relay:\n  local-domains: [example.com]\n  received-show-auth-user: true\n"
        + "maildir:\n  dir: " + dir.resolve("maildir") + "\n" + "spool:\n  dir: " + dir.resolve("queue") + "\n");
    Main.Running running = Main.serve(vertx, file.toString(), new JsonObject()).await(30, TimeUnit.SECONDS);
    int submission = running.listeners().get(1).port();
    List<String> swaks = List.of("swaks", "--server", "127.0.0.1:" + submission, "--tls", "--timeout", "20",
        "--from", "alice@example.com", "--to", "u@example.com", "--auth", "PLAIN", "--auth-user", "alice");
    dev.peregrine.test.Peer.Result good = dev.peregrine.test.Peer.run(
        java.util.stream.Stream.concat(swaks.stream(), java.util.stream.Stream.of("--auth-password", "s3cret")).toList(), 60);
    assertThat(good.exit()).as(good.output()).isZero();
    assertThat(good.output()).contains("235 2.7.0");
    dev.peregrine.test.Peer.Result wrong = dev.peregrine.test.Peer.run(
        java.util.stream.Stream.concat(swaks.stream(), java.util.stream.Stream.of("--auth-password", "guess")).toList(), 60);
    assertThat(wrong.exit()).isNotZero();
    assertThat(wrong.output()).contains("535 5.7.8");
    List<Path> files = delivered(dir, 1);
    assertThat(files).hasSize(1);
    assertThat(Files.readString(files.get(0))).contains("with ESMTPSA id ").contains("(Authenticated sender: alice)");
  }
}
