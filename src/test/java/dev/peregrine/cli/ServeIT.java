package dev.peregrine.cli;

import dev.peregrine.test.VertxFixture;
import dev.peregrine.test.Wire;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
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
    Path file = config(dir);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "serve", "--config", file.toString())
        .redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line;
      int port = -1;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("peregrine: SMTP listening on ")) {
          port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1));
          break;
        }
      }
      assertThat(port).as("the service printed its port").isPositive();
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
}
