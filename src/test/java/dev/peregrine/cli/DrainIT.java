package dev.peregrine.cli;

import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.relay.spool.RecipientState;
import dev.peregrine.relay.spool.SpoolEntry;
import dev.peregrine.server.RecordingHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.test.Peer;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code peregrine queue drain} between two relays in one JVM, A and its peer B: A delivers what it can,
 * then hands its deferred mail to B over SMTP (while B is not up yet the hand-off retries), and removes each
 * message only after B's 250. The envelope goes over as spooled (NOTIFY, ORCPT, ENVID, RET), only the
 * recipients still to go are handed on, A's spool ends empty, A takes no mail any more, and a second drain
 * answers the first one's result. Without a peer, a drain delivers and leaves the rest (exit status 3).
 */
class DrainIT extends VertxFixture {

  @TempDir
  Path dir;

  private Handler logTap;

  @AfterEach
  void untap() {
    if (logTap != null) {
      Logger.getLogger("dev.peregrine.relay.queue").removeHandler(logTap);
    }
  }

  private Path config(String name, int smtpPort, int sinkPort, int deadPort, String peer) throws Exception {
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(file, "http:\n  port: 0\nserver:\n  host: 127.0.0.1\n  port: " + smtpPort + "\n  instances: 1\n"
        + "  hostname: " + name + ".test\n"
        + "relay:\n  local-domains: [" + name + ".test]\n  client-networks: [127.0.0.0/8]\n"
        + "maildir:\n  dir: " + dir.resolve(name + "/maildir") + "\n" + "spool:\n  dir: " + dir.resolve(name + "/queue") + "\n"
        // Deferred mail waits an hour: nothing is retried while the test looks.
        + "queue:\n  min-backoff: 1h\n  max-backoff: 2h\n"
        + "mailer:\n  client:\n    helo-name: " + name + ".test\n    tls-policy: disabled\n"
        + "  dns:\n    routes:\n      ok.test: \"[127.0.0.1]:" + sinkPort + "\"\n      slow.test: \"[127.0.0.1]:" + deadPort + "\"\n"
        + "  pool:\n    host-down-backoff: 200ms\n"
        + (peer == null ? "" : "cluster:\n  drain:\n    peer: \"" + peer + "\"\n    deliver-for: 5s\n    hand-off-for: 60s\n"));
    return file;
  }

  /** Five to ok.test, five to slow.test with DSN options, one to both: through smtplib. */
  private void inject(int port) throws Exception {
    String script = String.join("\n",
        "import smtplib, sys",
        "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))",
        "s.ehlo('client.test')",
        "for i in range(5):",
        "    s.sendmail('a@sender.test', ['ok%d@ok.test' % i], b'Subject: ok %d\\r\\n\\r\\nbody\\r\\n' % i)",
        "    s.sendmail('a@sender.test', ['late%d@slow.test' % i], b'Subject: slow %d\\r\\n\\r\\nbody\\r\\n' % i,",
        "        mail_options=['RET=HDRS', 'ENVID=env-%d' % i],",
        "        rcpt_options=['NOTIFY=FAILURE,DELAY', 'ORCPT=rfc822;orig%d@sender.test' % i])",
        "s.sendmail('a@sender.test', ['both@ok.test', 'both@slow.test'], b'Subject: both\\r\\n\\r\\nbody\\r\\n')",
        "s.quit()");
    Peer.Result py = Peer.run(List.of("/usr/bin/python3", "-c", script, Integer.toString(port)), 60);
    assertThat(py.exit()).as(py.output()).isZero();
  }

  /** Waits (bounded) until {@code done} holds. */
  private static void await(String what, Supplier<Boolean> done) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!done.get()) {
      assertThat(System.nanoTime() - deadline).as("timed out waiting for: " + what).isNegative();
      Thread.sleep(20);
    }
  }

  private static CompletableFuture<String[]> drainCommand(int httpPort) {
    return CompletableFuture.supplyAsync(() -> {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code = new CommandLine(new Main.Commands()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
          .execute("queue", "drain", "--http", "127.0.0.1:" + httpPort, "--timeout", "PT2M");
      return new String[] {Integer.toString(code), out.toString(), err.toString()};
    });
  }

  @Test
  void theDeferredMailGoesToThePeerAndTheSpoolEndsEmpty() throws Exception {
    RecordingHandler sink = new RecordingHandler();
    int sinkPort = listen(sink);
    int dead = Peer.freePort();
    int portB = Peer.freePort();
    Main.Running a = Main.serve(vertx, config("a", 0, sinkPort, dead, "[127.0.0.1]:" + portB).toString(), new JsonObject())
        .await(30, TimeUnit.SECONDS);
    inject(a.port());
    for (int i = 0; i < 6; i++) {
      assertThat(sink.messages.poll(30, TimeUnit.SECONDS)).as("delivered to ok.test").isNotNull();
    }
    // The slow ones (and the slow half of "both") deferred on A.
    await("six deferred entries on A", () -> a.relay().spool().list().size() == 6 && a.relay().spool().list().stream()
        .allMatch(e -> e.recipients().stream().anyMatch(r -> r.status() == RecipientState.Status.DEFERRED)));

    // B is not up yet: the hand-off fails and tries again; B comes up once a failure is logged.
    CountDownLatch failedOnce = new CountDownLatch(1);
    logTap = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getMessage() != null && r.getMessage().contains("hand-off to [127.0.0.1]:" + portB + " failed")) {
          failedOnce.countDown();
        }
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    Logger.getLogger("dev.peregrine.relay.queue").addHandler(logTap);
    CompletableFuture<String[]> drain = drainCommand(a.httpPort());
    assertThat(failedOnce.await(60, TimeUnit.SECONDS)).as("a hand-off attempt while the peer is down").isTrue();
    assertThat(drain).isNotDone();
    Main.Running b = Main.serve(vertx, config("b", portB, sinkPort, dead, null).toString(), new JsonObject())
        .await(30, TimeUnit.SECONDS);

    String[] result = drain.get(120, TimeUnit.SECONDS);
    assertThat(result[0]).as(result[1] + result[2]).isEqualTo("0");
    assertThat(result[1]).contains("6 handed off to [127.0.0.1]:" + portB + ", 0 left in the spool");
    assertThat(a.relay().spool().list()).as("A's spool after the drain").isEmpty();

    // B holds them now, each with only the recipient still to go and its DSN options.
    await("six entries on B", () -> b.relay().spool().list().size() == 6);
    for (SpoolEntry e : b.relay().spool().list()) {
      assertThat(e.envelope().sender().toString()).isEqualTo("<a@sender.test>");
      assertThat(e.recipients()).hasSize(1);
      var rcpt = e.recipients().get(0).rcpt();
      assertThat(rcpt.path().mailbox().domain()).isEqualTo("slow.test");
      String content = new String(read(b, e.id()), StandardCharsets.UTF_8);
      assertThat(content).as("A's trace travels with the message").contains("by a.test (Peregrine)");
      if (!rcpt.path().mailbox().localPart().equals("both")) {
        int i = rcpt.path().mailbox().localPart().charAt(4) - '0';
        assertThat(rcpt.param(EsmtpParam.Notify.class).types()).containsExactlyInAnyOrder(
            EsmtpParam.NotifyType.FAILURE, EsmtpParam.NotifyType.DELAY);
        assertThat(rcpt.param(EsmtpParam.OriginalRecipient.class).address()).isEqualTo("orig" + i + "@sender.test");
        assertThat(e.envelope().envId()).isEqualTo("env-" + i);
        assertThat(e.envelope().ret()).isEqualTo(EsmtpParam.ReturnType.HDRS);
        assertThat(content).contains("Subject: slow " + i);
      }
    }
    // A takes no mail any more, says so on /ready, and a second drain answers at once with the same result.
    assertThatThrownBy(() -> new Socket().connect(new InetSocketAddress("127.0.0.1", a.port()), 5000))
        .isInstanceOf(ConnectException.class);
    assertThat(AdminIT.get(a.httpPort(), "/ready").statusCode()).isEqualTo(503);
    String[] again = drainCommand(a.httpPort()).get(60, TimeUnit.SECONDS);
    assertThat(again[0]).isEqualTo("0");
    assertThat(again[1]).contains("6 handed off");
  }

  @Test
  void withoutAPeerTheRestStaysInTheSpool() throws Exception {
    RecordingHandler sink = new RecordingHandler();
    int sinkPort = listen(sink);
    Main.Running a = Main.serve(vertx, config("a", 0, sinkPort, Peer.freePort(), null).toString(), new JsonObject())
        .await(30, TimeUnit.SECONDS);
    inject(a.port());
    await("six entries deferred", () -> a.relay().spool().list().size() == 6 && sink.messages.size() == 6);
    String[] result = drainCommand(a.httpPort()).get(120, TimeUnit.SECONDS);
    assertThat(result[0]).as(result[1] + result[2]).isEqualTo("3");
    assertThat(result[1]).contains("0 handed off, 6 left in the spool");
    assertThat(a.relay().spool().list()).hasSize(6);
  }

  /** ok.test's exchanger on a free port of 127.0.0.1. */
  private int listen(RecordingHandler sink) throws Exception {
    int port = Peer.freePort();
    SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(port).setHostname("sink.test"), sink)
        .listen().await(10, TimeUnit.SECONDS);
    return port;
  }

  private byte[] read(Main.Running r, String id) throws Exception {
    CompletableFuture<byte[]> all = new CompletableFuture<>();
    io.vertx.core.buffer.Buffer acc = io.vertx.core.buffer.Buffer.buffer();
    vertx.runOnContext(v -> {
      var in = r.relay().spool().open(id);
      in.exceptionHandler(all::completeExceptionally);
      in.endHandler(x -> all.complete(acc.getBytes()));
      in.handler(acc::appendBuffer);
    });
    return all.get(30, TimeUnit.SECONDS);
  }
}
