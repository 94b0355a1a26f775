package dev.peregrine.cli;

import dev.peregrine.protocol.Reply;
import dev.peregrine.relay.spool.Spool;
import dev.peregrine.relay.spool.SpoolEntry;
import dev.peregrine.relay.spool.SpoolOptions;
import dev.peregrine.test.Peer;
import dev.peregrine.test.Tmpfs;
import dev.peregrine.test.VertxFixture;
import dev.peregrine.test.Wire;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code serve} with its spool on a small tmpfs that fills up (its deliveries go to an address with no
 * listener, so the queue only grows): the end of data gets {@code 451 4.3.0} when the disk fills under a
 * message, MAIL gets {@code 452 4.3.1} once free space is under {@code queue.min-free-space}, mail is taken
 * again when space returns, and the spool reopens with exactly the acknowledged messages.
 */
class DiskFullIT extends VertxFixture {

  private static final String BODY = ("x".repeat(76) + "\r\n").repeat(1300); // ~100 KiB

  @TempDir
  Path dir;

  private Main.Running serve(Path spool, long minFree) throws Exception {
    int nowhere = Peer.freePort();
    Path file = dir.resolve("relay.yaml");
    Files.writeString(file, "http:\n  port: 0\nserver:\n  host: 127.0.0.1\n  port: 0\n  instances: 1\n  hostname: relay.test\n"
        + "relay:\n  local-domains: [relay.test]\n  client-networks: [127.0.0.0/8]\n"
        + "maildir:\n  dir: " + dir.resolve("maildir") + "\n"
        + "spool:\n  dir: " + spool + "\n  segment-size: 1048576\n"
        + "queue:\n  min-backoff: 1h\n  min-free-space: " + minFree + "\n"
        + "mailer:\n  client:\n    tls-policy: disabled\n  dns:\n    routes:\n      \"*\": \"[127.0.0.2]:" + nowhere + "\"\n");
    return Main.serve(vertx, file.toString(), new JsonObject()).await(30, TimeUnit.SECONDS);
  }

  /** One message in one session: the MAIL reply when it is refused, else the end-of-data reply. */
  private static Reply send(int port, int n) throws Exception {
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO client.test");
      Reply mail = w.cmd("MAIL FROM:<a@sender.test>");
      if (mail.code() != 250) {
        return mail;
      }
      assertThat(w.cmd("RCPT TO:<u@dest.test>").code()).isEqualTo(250);
      assertThat(w.cmd("DATA").code()).isEqualTo(354);
      return w.cmd("Subject: disk " + n + "\r\n\r\n" + BODY + ".");
    }
  }

  private void reopenFinds(Main.Running running, Path spool, int acknowledged) throws Exception {
    for (Main.Bound b : running.listeners()) {
      vertx.undeploy(b.deploymentId()).await(30, TimeUnit.SECONDS);
    }
    running.relay().stop().await(30, TimeUnit.SECONDS);
    Spool again = Spool.open(vertx, new SpoolOptions().setDir(spool.toString())).await(30, TimeUnit.SECONDS);
    assertThat(again.recovery().entries()).hasSize(acknowledged).allMatch(e -> !e.isFinished());
    assertThat(again.recovery().entries()).extracting(SpoolEntry::size).allMatch(size -> size > 100_000);
    assertThat(again.recovery().movedAside()).isEmpty();
    assertThat(again.recovery().truncatedBytes()).isZero();
    again.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  void theDiskFillingUnderAMessageGets451AndMailResumesWhenSpaceReturns() throws Exception {
    try (Tmpfs fs = Tmpfs.mount(dir.resolve("fs"), 8L << 20)) {
      Path spool = fs.dir().resolve("queue");
      Main.Running running = serve(spool, 0);
      int acked = 0;
      for (int i = 0; i < 3; i++) {
        assertThat(send(running.port(), i).code()).isEqualTo(250);
        acked++;
      }
      Path filler = fs.fill(40 * 1024);
      Reply full = send(running.port(), 3);
      assertThat(full.code()).as(full.toString()).isEqualTo(451);
      assertThat(full.enhanced().toString()).isEqualTo("4.3.0");
      Files.delete(filler);
      assertThat(send(running.port(), 4).code()).isEqualTo(250);
      acked++;
      reopenFinds(running, spool, acked);
    }
  }

  @Test
  void underMinFreeSpaceMailGets452AndMailResumesWhenSpaceReturns() throws Exception {
    try (Tmpfs fs = Tmpfs.mount(dir.resolve("fs"), 8L << 20)) {
      Path spool = fs.dir().resolve("queue");
      Main.Running running = serve(spool, 1L << 20);
      int acked = 0;
      for (int i = 0; i < 3; i++) {
        assertThat(send(running.port(), i).code()).isEqualTo(250);
        acked++;
      }
      Path filler = fs.fill(512 * 1024);
      // The free space is measured every second: within a bounded wait, MAIL is refused.
      Reply refused = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        Reply r = send(running.port(), 100);
        if (r.code() == 250) {
          acked++;
        } else {
          refused = r;
          break;
        }
      }
      assertThat(refused).as("MAIL refused under min-free-space").isNotNull();
      assertThat(refused.code() + " " + refused.enhanced()).isIn("452 4.3.1", "451 4.3.0");
      if (refused.code() == 451) {
        // The disk filled under a message before the guard's next measurement: then MAIL is refused.
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && (refused = send(running.port(), 101)).code() != 452) {
          Thread.sleep(50);
        }
      }
      assertThat(refused.toString()).startsWith("452 4.3.1").contains("disk is full");
      Files.delete(filler);
      Reply back = null;
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline && (back = send(running.port(), 5)).code() != 250) {
        // The guard sees the space again at its next measurement (every second).
        Thread.sleep(50);
      }
      assertThat(back.code()).as(back.toString()).isEqualTo(250);
      acked++;
      reopenFinds(running, spool, acked);
    }
  }
}
