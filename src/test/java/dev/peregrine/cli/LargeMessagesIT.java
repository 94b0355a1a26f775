package dev.peregrine.cli;

import dev.peregrine.protocol.Reply;
import dev.peregrine.test.Peer;
import dev.peregrine.test.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Content streams to disk as it arrives: {@code serve} in its own JVM with a heap far smaller than the mail in
 * flight (by default 100 concurrent sessions of 10 MiB each, 1 GiB, through a 96 MiB heap; the full
 * scale is {@code -Dperegrine.large.sessions=1000 -Dperegrine.large.heap=512m}), relaying to Postfix's
 * smtp-sink. Every message gets its 250, the process never runs out of memory, and the spool's own count of
 * content held in memory stays within its bound (4 chunks of 32 KiB per message in flight).
 */
class LargeMessagesIT {

  private static final int SESSIONS = Integer.getInteger("peregrine.large.sessions", 100);
  private static final String HEAP = System.getProperty("peregrine.large.heap", "96m");
  private static final int SIZE = 10 << 20;

  @TempDir
  Path dir;

  private Process relay;
  private Peer.Daemon sink;

  @AfterEach
  void stop() throws Exception {
    Path log = dir.resolve("serve.log");
    if (Files.exists(log)) {
      // Kept for a look after a failure (the temporary directory goes with the test).
      Files.copy(log, Path.of(System.getProperty("java.io.tmpdir"), "LargeMessagesIT-serve.log"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    if (relay != null) {
      relay.destroyForcibly();
      relay.waitFor(30, TimeUnit.SECONDS);
    }
    if (sink != null) {
      sink.close();
    }
  }

  @Test
  void manyLargeMessagesThroughASmallHeap() throws Exception {
    int sinkPort = Peer.freePort();
    List<String> cmd = new ArrayList<>(List.of("/usr/sbin/smtp-sink"));
    if ("root".equals(System.getProperty("user.name"))) {
      cmd.addAll(List.of("-u", "nobody"));
    }
    cmd.addAll(List.of("127.0.0.2:" + sinkPort, "1000"));
    sink = Peer.daemon(cmd, "127.0.0.2", sinkPort, 10);
    int http = Peer.freePort();
    Path config = dir.resolve("relay.yaml");
    Files.writeString(config, "http:\n  port: " + http + "\nserver:\n  host: 127.0.0.1\n  port: 0\n  hostname: relay.test\n"
        + "  max-connections-per-ip: " + (SESSIONS + 10) + "\n"
        + "relay:\n  local-domains: [relay.test]\n  client-networks: [127.0.0.0/8]\n"
        + "maildir:\n  dir: " + dir.resolve("maildir") + "\n" + "spool:\n  dir: " + dir.resolve("queue") + "\n"
        + "queue:\n  min-free-space: 0\n"
        + "mailer:\n  client:\n    tls-policy: disabled\n  dns:\n    routes:\n      \"*\": \"[127.0.0.2]:" + sinkPort + "\"\n");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    relay = new ProcessBuilder(java, "-Xmx" + HEAP, "-XX:+ExitOnOutOfMemoryError", "-cp",
        System.getProperty("java.class.path"), Main.class.getName(), "serve", "--config", config.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("serve.log").toFile()).start();
    int port = ServeIT.port(relay, dir);

    ExecutorService clients = Executors.newFixedThreadPool(SESSIONS);
    List<Future<Reply>> replies = new ArrayList<>();
    byte[] line = ("x".repeat(998) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < SESSIONS; i++) {
      int n = i;
      replies.add(clients.submit(() -> {
        try (Wire w = Wire.connect(port)) {
          w.read();
          w.cmd("EHLO client" + n + ".test");
          w.send("MAIL FROM:<a@sender.test> SIZE=" + (SIZE + 100) + "\r\nRCPT TO:<u" + n + "@dest.test>\r\nDATA\r\n");
          List<Reply> r = w.read(3);
          if (r.get(2).code() != 354) {
            return r.get(2);
          }
          w.send("Subject: large " + n + "\r\n\r\n");
          for (int sent = 0; sent < SIZE; sent += line.length) {
            w.sendBytes(line);
          }
          return w.cmd(".");
        }
      }));
    }
    int ok = 0;
    for (Future<Reply> f : replies) {
      Reply r = f.get(600, TimeUnit.SECONDS);
      assertThat(r.code()).as(r.toString()).isEqualTo(250);
      ok++;
    }
    clients.shutdown();
    assertThat(ok).isEqualTo(SESSIONS);
    assertThat(relay.isAlive()).as("serve survived (no OutOfMemoryError)").isTrue();
    String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http
        + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    Matcher peak = Pattern.compile("(?m)^peregrine_spool_buffered_peak_bytes (\\S+)").matcher(metrics);
    assertThat(peak.find()).as(metrics).isTrue();
    double peakBytes = Double.parseDouble(peak.group(1));
    System.out.printf("LargeMessagesIT: %d x 10 MiB through -Xmx%s: spool peak buffered %.1f MiB%n", SESSIONS, HEAP,
        peakBytes / (1 << 20));
    // Per receive: the chunk being filled, two on their way to the disk, and one more filled from the rest of
    // the network buffer that arrived just as the receive paused.
    assertThat(peakBytes).isLessThanOrEqualTo(SESSIONS * 4 * 32 * 1024.0);
    assertThat(Files.readString(dir.resolve("serve.log"))).doesNotContain("OutOfMemoryError");
  }
}
