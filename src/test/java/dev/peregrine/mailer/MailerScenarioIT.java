package dev.peregrine.mailer;

import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.TlsPolicy;
import dev.peregrine.dns.MxResolverOptions;
import dev.peregrine.mailer.impl.MailerImpl;
import dev.peregrine.pool.PoolStats;
import dev.peregrine.pool.SessionPoolOptions;
import dev.peregrine.protocol.Reply;
import dev.peregrine.server.Envelope;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.server.SmtpSession;
import dev.peregrine.test.DnsFixture;
import dev.peregrine.test.Peer;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scenario: 10,000 messages to 1,000 recipients in 50 domains served by 5 mail exchangers on
 * 127.0.0.2-6 (our server, Postfix's smtp-sink, Python's aiosmtpd, an address that refuses connections, and
 * our server answering 421 to MAIL at random). Each domain has a primary and a backup exchanger.
 */
class MailerScenarioIT extends VertxFixture {

  private static final int MESSAGES = 10_000;
  private static final int RECIPIENTS = 1_000;
  private static final int DOMAINS = 50;
  private static final int CAP = 4;
  private static final String[] HOSTS = {"ours", "sink", "aiosmtpd", "refusing", "flaky"};

  /** Counts recipients and connections at once; answers MAIL with 421 (and closes) at the given rate. */
  static final class Counting implements SmtpHandler {
    final AtomicInteger recipients = new AtomicInteger();
    final AtomicInteger current = new AtomicInteger();
    final AtomicInteger peak = new AtomicInteger();
    final AtomicInteger refused = new AtomicInteger();
    private final double busyRate;
    private final SplittableRandom random = new SplittableRandom(42);

    Counting(double busyRate) {
      this.busyRate = busyRate;
    }

    @Override
    public Future<Reply> connect(SmtpSession session) {
      peak.accumulateAndGet(current.incrementAndGet(), Math::max);
      return Future.succeededFuture();
    }

    @Override
    public void disconnect(SmtpSession session) {
      current.decrementAndGet();
    }

    @Override
    public Future<Reply> mail(SmtpSession session, Envelope envelope) {
      boolean busy;
      synchronized (random) {
        busy = random.nextDouble() < busyRate;
      }
      if (busy) {
        refused.incrementAndGet();
        return Future.succeededFuture(Reply.of(421, "4.3.2", "Busy, try again later"));
      }
      return Future.succeededFuture();
    }

    @Override
    public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
      Promise<Reply> done = Promise.promise();
      content.handler(b -> { }).exceptionHandler(done::tryFail).endHandler(v -> {
        recipients.addAndGet(envelope.forwardPaths().size());
        done.tryComplete();
      });
      return done.future();
    }
  }

  private DnsFixture dns;
  private final List<Peer.Daemon> daemons = new ArrayList<>();
  private Path sinkDump;
  private Path aioMaildir;
  private Mailer mailer;

  @BeforeEach
  void start() throws Exception {
    dns = DnsFixture.start();
    sinkDump = Files.createTempDirectory("sink", PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwxrwxrwx")));
    Files.setPosixFilePermissions(sinkDump, PosixFilePermissions.fromString("rwxrwxrwx")); // past the umask
    aioMaildir = Files.createTempDirectory("aiosmtpd").resolve("maildir");
  }

  @AfterEach
  void stop() throws Exception {
    if (mailer != null) {
      mailer.close().await(30, TimeUnit.SECONDS);
    }
    for (Peer.Daemon d : daemons) {
      d.close();
    }
    dns.close();
    deleteTree(sinkDump);
    deleteTree(aioMaildir.getParent());
  }

  private static void deleteTree(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static String address(int host) {
    return "127.0.0." + (host + 2);
  }

  private static String hostName(int host) {
    return HOSTS[host] + ".mx.test";
  }

  @Test
  void tenThousandMessagesFiveExchangersOneRefusingOneFlaky() throws Exception {
    int port = Peer.freePort();
    Counting ours = new Counting(0);
    Counting flaky = new Counting(0.3);
    SmtpServer.create(vertx, new SmtpServerOptions().setHost(address(0)).setPort(port).setHostname(hostName(0)), ours)
        .listen().await(10, TimeUnit.SECONDS);
    SmtpServer.create(vertx, new SmtpServerOptions().setHost(address(4)).setPort(port).setHostname(hostName(4)), flaky)
        .listen().await(10, TimeUnit.SECONDS);
    List<String> sink = new ArrayList<>(List.of("/usr/sbin/smtp-sink"));
    if ("root".equals(System.getProperty("user.name"))) {
      sink.addAll(List.of("-u", "nobody"));
    }
    sink.addAll(List.of("-d", sinkDump + "/%H%M%S", address(1) + ":" + port, "200"));
    daemons.add(Peer.daemon(sink, address(1), port, 10));
    daemons.add(Peer.daemon(List.of("/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", address(2) + ":" + port,
        "-c", "aiosmtpd.handlers.Mailbox", aioMaildir.toString()), address(2), port, 20));
    // address(3) has no listener: connections are refused.

    for (int h = 0; h < HOSTS.length; h++) {
      dns.a(hostName(h), 3600, address(h));
    }
    for (int d = 0; d < DOMAINS; d++) {
      dns.mx("d" + d + ".test", 3600, 10, hostName(d % 5)).mx("d" + d + ".test", 3600, 20, hostName((d + 1) % 5));
    }

    mailer = Mailer.create(vertx, new MailerOptions()
        .setClient(new SmtpClientOptions().setHeloName("sender.test").setTlsPolicy(TlsPolicy.DISABLED))
        .setDns(new MxResolverOptions().addServer(dns.server()).setPort(port))
        .setPool(new SessionPoolOptions().setMaxPerKey(CAP).setMaxPerHost(CAP).setHostDownBackoff(Duration.ofMinutes(5)))
        .setMaxInFlight(500));

    List<MailMessage> messages = new ArrayList<>(MESSAGES);
    Buffer content = Buffer.buffer("Subject: scenario\r\n\r\n" + ("x".repeat(78) + "\r\n").repeat(12));
    for (int i = 0; i < MESSAGES; i++) {
      int a = i % RECIPIENTS;
      int b = (i * 7 + 3) % RECIPIENTS;
      List<String> to = a == b ? List.of(rcpt(a)) : List.of(rcpt(a), rcpt(b));
      messages.add(MailMessage.of("bulk@sender.test", to, content));
    }
    List<MailResult> results = new CopyOnWriteArrayList<>();
    MailerIT.CountingStream<MailMessage> in = new MailerIT.CountingStream<>(vertx, messages);
    long t0 = System.nanoTime();
    mailer.sendAll(in, results::add).await(300, TimeUnit.SECONDS);
    double seconds = (System.nanoTime() - t0) / 1e9;

    // Every recipient has exactly one final outcome.
    assertThat(results).hasSize(MESSAGES);
    Map<String, Integer> deliveredBy = new HashMap<>();
    int outcomes = 0;
    int expected = 0;
    for (MailMessage m : messages) {
      expected += m.recipients().size();
    }
    for (MailResult r : results) {
      for (RecipientOutcome o : r.recipients()) {
        assertThat(o).isNotNull();
        outcomes++;
        if (o.status() == RecipientOutcome.Status.DELIVERED) {
          deliveredBy.merge(o.host(), 1, Integer::sum);
        } else {
          // Only domains whose primary refuses connections and whose backup is the flaky one can fail.
          int domain = Integer.parseInt(o.recipient().mailbox().domain().replaceAll("\\D", ""));
          assertThat(domain % 5).as(o.toString()).isEqualTo(3);
          assertThat(o.status()).isEqualTo(RecipientOutcome.Status.DEFERRED);
          assertThat(o.reply().code()).as(o.toString()).isEqualTo(421);
        }
      }
    }
    assertThat(outcomes).isEqualTo(expected);

    // What each server counted is what the mailer says it delivered there.
    assertThat(ours.recipients.get()).isEqualTo(deliveredBy.getOrDefault(hostName(0), 0));
    assertThat(sinkRecipients()).isEqualTo(deliveredBy.getOrDefault(hostName(1), 0));
    assertThat(aiosmtpdRecipients()).isEqualTo(deliveredBy.getOrDefault(hostName(2), 0));
    assertThat(deliveredBy).doesNotContainKey(hostName(3));
    assertThat(flaky.recipients.get()).isEqualTo(deliveredBy.getOrDefault(hostName(4), 0));
    assertThat(flaky.refused.get()).isPositive();

    // Connections per host never exceeded the cap: as the pool counted, and as our servers saw.
    PoolStats pool = ((MailerImpl) mailer).pool().stats();
    assertThat(pool.peakPerHost().values()).allMatch(n -> n <= CAP);
    assertThat(ours.peak.get()).isLessThanOrEqualTo(CAP);
    assertThat(flaky.peak.get()).isLessThanOrEqualTo(CAP);

    MailerMetrics m = mailer.metrics();
    System.out.printf("scenario: %d messages, %d recipients in %.1f s (%.0f msg/s); delivered %d, deferred %d, "
            + "failed %d; transactions %d, sessions opened %d, reuse ratio %.3f, stale retries %d, failovers %d; "
            + "delivered per host %s%n", MESSAGES, outcomes, seconds, MESSAGES / seconds, m.delivered(), m.deferred(),
        m.failed(), m.transactions(), m.sessionsOpened(), m.reuseRatio(), m.staleRetries(), m.failovers(), deliveredBy);
    assertThat(m.delivered() + m.deferred() + m.failed()).isEqualTo(outcomes);
    assertThat(m.reuseRatio()).isGreaterThan(0.5);
  }

  private static String rcpt(int r) {
    return "user" + r + "@d" + (r % DOMAINS) + ".test";
  }

  private int sinkRecipients() throws IOException {
    int n = 0;
    try (Stream<Path> files = Files.list(sinkDump)) {
      for (Path f : files.toList()) {
        for (String line : Files.readAllLines(f, StandardCharsets.ISO_8859_1)) {
          if (line.startsWith("X-Rcpt-Args:")) {
            n++;
          }
        }
      }
    }
    return n;
  }

  private int aiosmtpdRecipients() throws IOException {
    int n = 0;
    Path dir = aioMaildir.resolve("new");
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        for (String line : Files.readAllLines(f, StandardCharsets.ISO_8859_1)) {
          if (line.startsWith("X-RcptTo:")) {
            n += line.substring("X-RcptTo:".length()).split(",").length;
          }
          if (line.isEmpty()) {
            break;
          }
        }
      }
    }
    return n;
  }
}
