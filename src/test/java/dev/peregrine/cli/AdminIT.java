package dev.peregrine.cli;

import dev.peregrine.test.Peer;
import dev.peregrine.test.VertxFixture;
import dev.peregrine.test.Wire;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator's view of a running relay: {@code /health}, {@code /ready}, {@code /metrics} (Prometheus
 * text), and {@code peregrine queue list|show|flush|delete} against it, with two messages deferred (their
 * exchanger refuses connections).
 */
class AdminIT extends VertxFixture {

  @TempDir
  Path dir;

  private record Cli(int exit, String out, String err) {
  }

  private static Cli cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = new CommandLine(new Main.Commands()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
        .execute(args);
    return new Cli(exit, out.toString(), err.toString());
  }

  static HttpResponse<String> get(int port, String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String send(int port, String to) throws Exception {
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO client.test");
      w.send("MAIL FROM:<a@sender.test>\r\nRCPT TO:<" + to + ">\r\nDATA\r\n");
      w.read(3);
      var r = w.cmd("Subject: admin\r\n\r\nhello\r\n.");
      assertThat(r.code()).isEqualTo(250);
      return r.text().replaceFirst("^OK queued as ", "");
    }
  }

  @Test
  void healthReadyMetricsAndTheQueueCommands() throws Exception {
    int nowhere = Peer.freePort();
    Path file = dir.resolve("relay.yaml");
    Files.writeString(file, "http:\n  port: 0\nserver:\n  host: 127.0.0.1\n  port: 0\n  instances: 1\n"
        + "relay:\n  local-domains: [relay.test]\n  client-networks: [127.0.0.0/8]\n"
        + "maildir:\n  dir: " + dir.resolve("maildir") + "\n" + "spool:\n  dir: " + dir.resolve("queue") + "\n"
        + "queue:\n  min-backoff: 1h\n"
        + "mailer:\n  client:\n    tls-policy: disabled\n  dns:\n    routes:\n      \"*\": \"[127.0.0.2]:" + nowhere + "\"\n");
    Main.Running running = Main.serve(vertx, file.toString(), new JsonObject()).await(30, TimeUnit.SECONDS);
    int http = running.httpPort();
    assertThat(get(http, "/health").body()).isEqualTo("ok\n");
    assertThat(get(http, "/ready").statusCode()).isEqualTo(200);

    String first = send(running.port(), "one@dest.test");
    String second = send(running.port(), "two@dest.test");
    // Both are tried once (connection refused) and deferred for an hour.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    String metrics = "";
    while (System.nanoTime() < deadline && !metrics.contains("status=\"deferred\"")) {
      metrics = get(http, "/metrics").body();
      Thread.sleep(20);
    }
    assertThat(metrics).contains("peregrine_messages_accepted_total 2.0")
        .containsPattern("peregrine_deliveries_total\\{destination=\"dest.test\",status=\"deferred\",transport=\"smtp\"\\} [12]\\.0")
        .contains("peregrine_queue_messages 2.0").contains("peregrine_spool_fsyncs_total")
        .contains("peregrine_spool_fsync_seconds_bucket").contains("peregrine_smtp_connections_total 2.0")
        .contains("jvm_memory_used_bytes");

    String h = "127.0.0.1:" + http;
    Cli list = cli("queue", "list", "--http", h);
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.out()).contains(first).contains(second).contains("<a@sender.test> -> <one@dest.test>(")
        .contains("2 message(s) in the queue");
    Cli show = cli("queue", "show", first, "--http", h);
    assertThat(show.exit()).isZero();
    assertThat(show.out()).contains("\"id\" : \"" + first + "\"").contains("\"to\" : \"<one@dest.test>\"");

    Cli delete = cli("queue", "delete", second, "--http", h);
    assertThat(delete.exit()).as(delete.err()).isZero();
    assertThat(delete.out()).contains(second + " deleted");
    assertThat(cli("queue", "list", "--http", h).out()).contains("1 message(s) in the queue").doesNotContain(second);
    Cli again = cli("queue", "delete", second, "--http", h);
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("404").contains("no entry " + second);
    Cli flush = cli("queue", "flush", "--http", h);
    assertThat(flush.exit()).isZero();
    assertThat(flush.out()).contains("1 message(s) due now");

    Cli nothing = cli("queue", "list", "--http", "127.0.0.1:" + Peer.freePort());
    assertThat(nothing.exit()).isEqualTo(1);
    assertThat(nothing.err()).contains("cannot reach the server");
    Cli usage = cli("queue");
    assertThat(usage.exit()).isEqualTo(2);
    assertThat(usage.err()).contains("name a queue command");

    running.relay().stop().await(30, TimeUnit.SECONDS);
    Matcher m = Pattern.compile("peregrine_queue_messages (\\S+)").matcher(metrics);
    assertThat(m.find()).isTrue();
  }
}
