package dev.peregrine.cli;

import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.server.Envelope;
import dev.peregrine.server.RecordingHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.server.SmtpSession;
import dev.peregrine.test.DnsFixture;
import dev.peregrine.test.Peer;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code serve} as a relay, end to end over loopback: swaks and smtplib submit, the relay spools, looks the
 * domains up in a DNS server on loopback and delivers to several exchangers on 127.0.0.2-6, all on one
 * port: Python's aiosmtpd (accepts), our server greylisting (451 to a recipient's first try, 250 after),
 * Postfix's smtp-sink refusing every RCPT (5xx), an address with no listener (connection refused), and the
 * sender's own exchanger (our server, recording) that receives the delivery reports, which Python's
 * {@code email} package parses.
 */
class RelayIT extends VertxFixture {

  private static final String GOOD = "127.0.0.2";
  private static final String GREY = "127.0.0.3";
  private static final String REJECT = "127.0.0.4";
  private static final String DEAD = "127.0.0.5";
  private static final String SENDER = "127.0.0.6";

  @TempDir
  Path dir;

  private DnsFixture dns;
  private final List<Peer.Daemon> daemons = new ArrayList<>();

  /** Answers 451 4.7.1 to each recipient's first RCPT, like a greylisting exchanger, and records the rest. */
  static final class Greylisting extends RecordingHandler {
    final Map<String, AtomicInteger> tries = new ConcurrentHashMap<>();

    @Override
    public Future<Reply> rcpt(SmtpSession session, Envelope envelope, SmtpCommand.RcptTo rcpt) {
      int n = tries.computeIfAbsent(rcpt.path().toString(), k -> new AtomicInteger()).incrementAndGet();
      return Future.succeededFuture(n == 1 ? Reply.of(451, "4.7.1", "Greylisted, try again later") : null);
    }
  }

  @BeforeEach
  void dns() throws Exception {
    dns = DnsFixture.start();
  }

  @AfterEach
  void stop() throws Exception {
    for (Peer.Daemon d : daemons) {
      d.close();
    }
    dns.close();
  }

  private Path aioMaildir;
  private Greylisting grey;
  private RecordingHandler senderSide;

  /** The exchangers, their DNS records and {@code serve} (client networks 127.0.0.0/8, short back-offs and ages). */
  private Main.Running relay() throws Exception {
    int port = Peer.freePort();
    aioMaildir = dir.resolve("aiosmtpd");
    daemons.add(Peer.daemon(List.of("/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", GOOD + ":" + port,
        "-c", "aiosmtpd.handlers.Mailbox", aioMaildir.toString()), GOOD, port, 20));
    List<String> sink = new ArrayList<>(List.of("/usr/sbin/smtp-sink"));
    if ("root".equals(System.getProperty("user.name"))) {
      sink.addAll(List.of("-u", "nobody"));
    }
    sink.addAll(List.of("-f", "rcpt", REJECT + ":" + port, "50"));
    daemons.add(Peer.daemon(sink, REJECT, port, 10));
    grey = new Greylisting();
    SmtpServer.create(vertx, new SmtpServerOptions().setHost(GREY).setPort(port).setHostname("mx.flaky.test"), grey)
        .listen().await(10, TimeUnit.SECONDS);
    senderSide = new RecordingHandler();
    SmtpServer.create(vertx, new SmtpServerOptions().setHost(SENDER).setPort(port).setHostname("mx.sender.test"),
        senderSide).listen().await(10, TimeUnit.SECONDS);
    String[][] hosts = {{"good", GOOD}, {"flaky", GREY}, {"reject", REJECT}, {"dead", DEAD}, {"sender", SENDER}};
    for (String[] h : hosts) {
      dns.a("mx." + h[0] + ".test", 3600, h[1]).mx(h[0] + ".test", 3600, 10, "mx." + h[0] + ".test");
    }

    Path config = dir.resolve("relay.yaml");
    Files.writeString(config, "http:\n  port: 0\nserver:\n  host: 127.0.0.1\n  port: 0\n  instances: 1\n  hostname: relay.test\n"
        + "relay:\n  local-domains: [relay.test]\n  client-networks: [127.0.0.0/8]\n"
        + "maildir:\n  dir: " + dir.resolve("maildir") + "\n"
        + "spool:\n  dir: " + dir.resolve("queue") + "\n"
        + "queue:\n  min-backoff: 300ms\n  max-backoff: 1s\n  max-age: 6s\n  delay-warning: 1s\n"
        + "mailer:\n  client:\n    helo-name: relay.test\n    tls-policy: disabled\n"
        + "  dns:\n    servers: [\"" + dns.server() + "\"]\n    port: " + port + "\n"
        + "  pool:\n    host-down-backoff: 1s\n");
    return Main.serve(vertx, config.toString(), new JsonObject()).await(30, TimeUnit.SECONDS);
  }

  @Test
  void relaysRetriesBouncesAndReportsDelays() throws Exception {
    Main.Running running = relay();
    // 1. Plain relaying, with swaks.
    Peer.Result swaks = Peer.run(List.of("swaks", "--server", "127.0.0.1:" + running.port(), "--from", "a@sender.test",
        "--to", "ok@good.test", "--h-Subject", "relayed", "--body", "through the relay"), 60);
    assertThat(swaks.exit()).as(swaks.output()).isZero();
    assertThat(swaks.output()).containsPattern("<[-~]  250 2\\.0\\.0 OK queued as [0-9A-Z]+");
    String relayed = Files.readString(awaitFiles(aioMaildir.resolve("new"), 1).get(0), StandardCharsets.UTF_8);
    assertThat(relayed).contains("by relay.test (Peregrine) with ESMTP id ").contains("Subject: relayed")
        .contains("through the relay");

    // 2. One message to three more domains with DSN options, with smtplib.
    String script = String.join("\n",
        "import smtplib, sys",
        "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))",
        "s.ehlo('client.test')",
        "msg = b'From: a@sender.test\\r\\nTo: many\\r\\nSubject: dsn test\\r\\nMessage-ID: <dsn-1@sender.test>\\r\\n\\r\\nbody\\r\\n'",
        "r = s.sendmail('a@sender.test', ['grey@flaky.test', 'bad@reject.test', 'late@dead.test'], msg,",
        "    mail_options=['RET=HDRS', 'ENVID=envid-42'], rcpt_options=['NOTIFY=FAILURE,DELAY'])",
        "print('refused', r)",
        "s.quit()");
    Peer.Result py = Peer.run(List.of("/usr/bin/python3", "-c", script, Integer.toString(running.port())), 60);
    assertThat(py.exit()).as(py.output()).isZero();
    assertThat(py.output()).contains("refused {}");

    // The greylisted recipient gets it on a retry.
    RecordingHandler.Message greyMsg = grey.messages.poll(20, TimeUnit.SECONDS);
    assertThat(greyMsg).as("delivered to the greylisting exchanger after a retry").isNotNull();
    assertThat(greyMsg.recipients()).containsExactly("<grey@flaky.test>");
    assertThat(grey.tries.get("<grey@flaky.test>").get()).isEqualTo(2);

    // The sender's exchanger gets: the bounce for the 5xx at once, a delay report, then the bounce at max age.
    List<String> reports = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      RecordingHandler.Message m = senderSide.messages.poll(30, TimeUnit.SECONDS);
      assertThat(m).as("report %d of 3; so far: %s", i + 1, reports).isNotNull();
      assertThat(m.sender()).isEqualTo("<>");
      assertThat(m.recipients()).containsExactly("<a@sender.test>");
      reports.add(parse(m.content().toString(StandardCharsets.ISO_8859_1)));
    }
    assertThat(reports.get(0)).contains("type multipart/report delivery-status")
        .contains("subject Undelivered Mail Returned to Sender").contains("envid envid-42")
        .contains("parts text/plain message/delivery-status text/rfc822-headers")
        .contains("rcpt rfc822; bad@reject.test | failed | 5.3.0 | smtp; 500 5.3.0 Error: command failed")
        .contains("original-subject dsn test").doesNotContain("late@dead.test").doesNotContain("grey@flaky.test");
    assertThat(reports.get(1)).contains("subject Delayed Mail (still being retried)")
        .containsPattern("rcpt rfc822; late@dead\\.test \\| delayed \\| 4\\.\\d\\.\\d \\| smtp; 4\\d\\d ")
        .contains("will-retry-until present");
    assertThat(reports.get(2)).contains("subject Undelivered Mail Returned to Sender")
        .containsPattern("rcpt rfc822; late@dead\\.test \\| failed \\| 4\\.\\d\\.\\d \\| smtp; 4\\d\\d ");

    // Everything is final: the queue empties (the reports themselves were delivered to the sender's exchanger).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (running.relay().queue().size() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(running.relay().queue().size()).isZero();
    assertThat(running.relay().spool().list()).isEmpty();
    assertThat(senderSide.messages).isEmpty();
  }

  @Test
  void notifySuccessGetsDeliveredAndRelayedReportsButNotWhereTheNextHopTakesDsn() throws Exception {
    Main.Running running = relay();
    // Local delivery (delivered), aiosmtpd without DSN (relayed), our server offering DSN (passed on after a
    // greylisting retry: the report is the next hop's to send, not ours), and one without NOTIFY (nothing).
    String script = String.join("\n",
        "import smtplib, sys",
        "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))",
        "s.ehlo('client.test')",
        "msg = b'From: a@sender.test\\r\\nTo: many\\r\\nSubject: success test\\r\\nMessage-ID: <ok-1@sender.test>\\r\\n\\r\\nbody\\r\\n'",
        "s.mail('a@sender.test', ['RET=FULL', 'ENVID=envid-7'])",
        "for r, o in [('u@relay.test', ['NOTIFY=SUCCESS']), ('ok@good.test', ['NOTIFY=SUCCESS,FAILURE', 'ORCPT=rfc822;alias@good.test']),",
        "             ('g@flaky.test', ['NOTIFY=SUCCESS']), ('quiet@good.test', [])]:",
        "    print(r, s.rcpt(r, o)[0])",
        "print('data', s.data(msg)[0])",
        "s.quit()");
    Peer.Result py = Peer.run(List.of("/usr/bin/python3", "-c", script, Integer.toString(running.port())), 60);
    assertThat(py.exit()).as(py.output()).isZero();
    assertThat(py.output()).contains("data 250");
    RecordingHandler.Message passedOn = grey.messages.poll(30, TimeUnit.SECONDS);
    assertThat(passedOn).as("delivered to the DSN-capable exchanger after a retry").isNotNull();
    assertThat(passedOn.recipients()).containsExactly("<g@flaky.test>");

    List<String> reports = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      RecordingHandler.Message m = senderSide.messages.poll(30, TimeUnit.SECONDS);
      assertThat(m).as("report %d of 2; so far: %s", i + 1, reports).isNotNull();
      assertThat(m.sender()).isEqualTo("<>");
      assertThat(m.recipients()).containsExactly("<a@sender.test>");
      reports.add(parse(m.content().toString(StandardCharsets.ISO_8859_1)));
    }
    String all = String.join("\n", reports);
    assertThat(all).contains("rcpt rfc822; u@relay.test | delivered | 2.0.0 | smtp; 250 2.0.0 delivered to maildir")
        .containsPattern("rcpt rfc822; ok@good\\.test \\| relayed \\| 2\\.\\d\\.\\d \\| smtp; 250 ")
        .doesNotContain("g@flaky.test").doesNotContain("quiet@good.test");
    assertThat(reports).allSatisfy(r -> assertThat(r).contains("subject Successful Mail Delivery Report")
        .contains("envid envid-7").contains("original-subject success test")
        // RFC 3461 §4.3: RET=FULL is for failures; a success report returns the header only.
        .contains("parts text/plain message/delivery-status text/rfc822-headers"));

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (running.relay().queue().size() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(running.relay().queue().size()).isZero();
    assertThat(senderSide.messages).as("no third report").isEmpty();
  }

  /** What Python's email package makes of a delivery report, one fact per line. */
  static String parse(String message) throws Exception {
    Path f = Files.createTempFile("dsn", ".eml");
    try {
      Files.writeString(f, message, StandardCharsets.ISO_8859_1);
      String script = String.join("\n",
          "import sys, email",
          "from email import policy",
          "m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)",
          "print('type', m.get_content_type(), m.get_param('report-type'))",
          "print('subject', m['subject'])",
          "print('auto-submitted', m['auto-submitted'])",
          "parts = list(m.iter_parts())",
          "print('parts', ' '.join(p.get_content_type() for p in parts))",
          "blocks = parts[1].get_payload()",
          "print('envid', blocks[0]['Original-Envelope-Id'])",
          "for b in blocks[1:]:",
          "    print('rcpt', b['Final-Recipient'], '|', b['Action'], '|', b['Status'], '|', b['Diagnostic-Code'])",
          "    if b['Will-Retry-Until']: print('will-retry-until present')",
          "orig = parts[2]",
          "if orig.get_content_type() == 'message/rfc822':",
          "    print('original-subject', orig.get_payload()[0]['subject'])",
          "else:",
          "    print('original-subject', email.message_from_string(orig.get_content(), policy=policy.default)['subject'])",
          "print('defects', len(m.defects) + sum(len(p.defects) for p in parts))");
      Peer.Result r = Peer.run(List.of("/usr/bin/python3", "-c", script, f.toString()), 60);
      assertThat(r.exit()).as(r.output() + "\n" + message).isZero();
      assertThat(r.output()).as(message).contains("defects 0").contains("auto-submitted auto-replied");
      return r.output();
    } finally {
      Files.deleteIfExists(f);
    }
  }

  static List<Path> awaitFiles(Path d, int expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      List<Path> files = List.of();
      if (Files.isDirectory(d)) {
        try (Stream<Path> s = Files.list(d)) {
          files = s.toList();
        }
      }
      if (files.size() >= expected || System.nanoTime() > deadline) {
        assertThat(files).as("files in " + d).hasSize(expected);
        return files;
      }
      // Written by another process: nothing to wait on but time.
      Thread.sleep(20);
    }
  }
}
