package dev.peregrine.cli;

import dev.peregrine.relay.spool.RecipientState;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.test.CountingExchanger;
import dev.peregrine.test.Peer;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our own congestion is not a delivery attempt: {@code serve} with one session to the exchanger and room for
 * one waiter (so the Mailer answers {@code 451 4.4.5} to the rest of a burst) and a min-backoff of an hour
 * delivers a burst of 8 messages within seconds, and no recipient is ever deferred on disk.
 */
class CongestionIT extends VertxFixture {

  @TempDir
  Path dir;

  @Test
  void aBurstBehindOneSessionIsDeliveredWithoutBackoff() throws Exception {
    CountingExchanger sink = new CountingExchanger(vertx, 150); // 150 ms a message: the burst queues up
    int sinkPort = Peer.freePort();
    SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(sinkPort).setHostname("sink.test"), sink)
        .listen().await(10, TimeUnit.SECONDS);
    Path config = dir.resolve("relay.yaml");
    Files.writeString(config, "http:\n  port: 0\nserver:\n  host: 127.0.0.1\n  port: 0\n  instances: 1\n  hostname: relay.test\n"
        + "relay:\n  local-domains: [relay.test]\n  client-networks: [127.0.0.0/8]\n"
        + "maildir:\n  dir: " + dir.resolve("maildir") + "\n" + "spool:\n  dir: " + dir.resolve("queue") + "\n"
        + "queue:\n  min-backoff: 1h\n  max-backoff: 2h\n"
        + "mailer:\n  client:\n    helo-name: relay.test\n    tls-policy: disabled\n"
        + "  dns:\n    routes:\n      \"*\": \"[127.0.0.1]:" + sinkPort + "\"\n"
        + "  pool:\n    max-per-key: 1\n    max-per-host: 1\n    pipeline-depth: 1\n    max-waiters: 1\n");
    Main.Running relay = Main.serve(vertx, config.toString(), new JsonObject()).await(30, TimeUnit.SECONDS);

    String script = String.join("\n",
        "import smtplib, sys",
        "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))",
        "for i in range(8):",
        "    s.sendmail('a@sender.test', ['r%d@far.test' % i], b'Subject: %d\\r\\n\\r\\nbody\\r\\n' % i)",
        "s.quit()");
    Peer.Result py = Peer.run(List.of("/usr/bin/python3", "-c", script, Integer.toString(relay.port())), 60);
    assertThat(py.exit()).as(py.output()).isZero();

    // With min-backoff 1h, a recipient deferred on disk would wait an hour: all 8 arrive, none is deferred.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (sink.messages.get() < 8) {
      assertThat(relay.relay().spool().list()).allSatisfy(e -> assertThat(e.recipients())
          .noneMatch(r -> r.status() == RecipientState.Status.DEFERRED));
      assertThat(System.nanoTime() - deadline).as("8 delivered, " + sink.messages.get() + " so far").isNegative();
      Thread.sleep(20);
    }
    long waitDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!relay.relay().spool().list().isEmpty()) {
      assertThat(System.nanoTime() - waitDeadline).as("the spool empties").isNegative();
      Thread.sleep(20);
    }
  }
}
