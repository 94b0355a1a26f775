package dev.peregrine.cluster;

import dev.peregrine.cli.Main;
import dev.peregrine.client.ClientSession;
import dev.peregrine.client.MailTransaction;
import dev.peregrine.client.SmtpClient;
import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.TlsPolicy;
import dev.peregrine.protocol.Reply;
import dev.peregrine.relay.spool.Spool;
import dev.peregrine.relay.spool.SpoolOptions;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.server.SmtpSession;
import dev.peregrine.test.CountingExchanger;
import dev.peregrine.test.DnsFixture;
import dev.peregrine.test.Peer;
import dev.peregrine.test.RedisFixture;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three {@code serve} processes on 127.0.0.11-13, each with its own spool, sharing their limits through one
 * real redis-server, resolving through the DNS fixture five destinations whose exchangers (127.0.0.21-25,
 * one port) count their concurrent connections. 30,000 messages are injected across the three; then, while
 * the cluster delivers: the destination rate is measured over 2,000 deliveries, node 2 is killed with SIGKILL
 * and restarted on its spool, node 3 is drained ({@code peregrine queue drain}, then SIGTERM) into node 1,
 * and Redis is killed and brought back. Every message arrives; no exchanger ever sees more than the cluster
 * cap at once; each destination's rate holds within 10 %; duplicates only from deliveries in flight at the
 * kill; node 3's spool is empty when it exits; no node's event loop was blocked.
 */
class ClusterIT extends VertxFixture {

  private static final int MESSAGES = 30_000;
  private static final int DESTINATIONS = 5;
  /** pool.max-per-host: connections to one exchanger address, for the whole cluster. */
  private static final int CAP = 3;
  /** mailer.destination-rate: transactions started per second per destination, for the whole cluster. */
  private static final int RATE = 20;
  private static final int PIPELINE_DEPTH = 2;
  private static final Pattern MESSAGE_ID = Pattern.compile("(?mi)^Message-ID: <m(\\d+)@cluster\\.test>");

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  private final List<Process> processes = new CopyOnWriteArrayList<>();
  private RedisFixture redis;
  private DnsFixture dns;

  /** One exchanger: connections open now and at most, and every delivery (message number, by whom, when). */
  static final class Sink extends CountingExchanger {
    /** Nanosecond times of deliveries, in arrival order. */
    final List<Long> times = new CopyOnWriteArrayList<>();
    final Map<Integer, List<String>> deliveredBy;
    /** How many messages had arrived (at all the sinks) when the peak was first reached. */
    volatile int peakAt;
    /**
     * While true (Redis down, and until the sessions opened under the shared caps before it have ended), the
     * connections open at once count in {@link #outagePeak} instead of {@link #peak}.
     */
    volatile boolean outage;
    final AtomicInteger outagePeak = new AtomicInteger();

    Sink(io.vertx.core.Vertx vertx, Map<Integer, List<String>> deliveredBy) {
      super(vertx, 0);
      this.deliveredBy = deliveredBy;
    }

    @Override
    protected void newPeak(int peak) {
      peakAt = deliveredBy.size();
    }

    @Override
    public Future<Reply> connect(SmtpSession session) {
      if (!outage) {
        return super.connect(session);
      }
      outagePeak.accumulateAndGet(open.incrementAndGet(), Math::max);
      return Future.succeededFuture();
    }

    @Override
    protected Reply accepted(SmtpSession session, Buffer content) {
      Matcher m = MESSAGE_ID.matcher(content.toString(StandardCharsets.US_ASCII));
      if (!m.find()) {
        return Reply.of(554, "5.6.0", "no Message-ID");
      }
      times.add(System.nanoTime());
      deliveredBy.computeIfAbsent(Integer.parseInt(m.group(1)), k -> new CopyOnWriteArrayList<>()).add(session.heloName());
      return null;
    }
  }

  /** A node: its address, config, SMTP port, the running process and its HTTP port. */
  final class Node {
    final int n;
    final String host;
    final Path home;
    final Path config;
    Process process;
    int httpPort;
    int starts;

    Node(int n, int smtpPort, int sinkPort, String peer) throws Exception {
      this.n = n;
      this.host = "127.0.0." + (10 + n);
      this.home = Files.createDirectories(dir.resolve("n" + n));
      this.config = home.resolve("peregrine.yaml");
      Files.writeString(config, "http:\n  host: " + host + "\n  port: 0\n"
          + "server:\n  host: " + host + "\n  port: " + smtpPort + "\n  hostname: n" + n + ".test\n"
          + "relay:\n  local-domains: [n" + n + ".test]\n  client-networks: [127.0.0.0/8]\n"
          + "maildir:\n  dir: " + home.resolve("maildir") + "\n"
          + "spool:\n  dir: " + home.resolve("queue") + "\n"
          + "queue:\n  min-backoff: 1s\n  max-backoff: 2s\n"
          + "mailer:\n  destination-rate: " + RATE + "\n"
          + "  client:\n    helo-name: n" + n + ".test\n    tls-policy: disabled\n"
          + "  dns:\n    servers: [\"" + dns.server() + "\"]\n    port: " + sinkPort + "\n"
          + "  pool:\n    max-per-host: " + CAP + "\n    max-per-key: " + CAP + "\n    pipeline-depth: " + PIPELINE_DEPTH
          + "\n    host-down-backoff: 1s\n"
          + "cluster:\n  redis:\n    endpoints: [\"" + redis.url() + "\"]\n    lease-time: 3s\n    timeout: 2s\n"
          + "    retry-period: 500ms\n  expected-nodes: 3\n  node-id: n" + n + "\n"
          + (peer == null ? "" : "  drain:\n    peer: \"" + peer + "\"\n    deliver-for: 3s\n    hand-off-for: 120s\n"));
    }

    Path log() {
      return home.resolve("serve-" + starts + ".log");
    }

    void start() throws Exception {
      starts++;
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      process = new ProcessBuilder(java, "-Xmx512m", "-Dperegrine.blocked-thread-stack-ms=1000",
          "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "--config", config.toString())
          .redirectErrorStream(true).redirectOutput(log().toFile()).start();
      processes.add(process);
    }

    /** Waits (bounded) until the process printed its HTTP port and answers 200 on /ready. */
    void awaitReady() throws Exception {
      await("n" + n + " printed its HTTP port", () -> httpPortIn(log()) > 0 || !process.isAlive());
      assertThat(process.isAlive()).as("n" + n + " running:\n" + read(log())).isTrue();
      httpPort = httpPortIn(log());
      await("n" + n + " ready", () -> ready().statusCode() == 200);
    }

    HttpResponse<String> ready() {
      try {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + httpPort + "/ready"))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      } catch (Exception e) {
        throw new IllegalStateException("n" + n + " /ready: " + e, e);
      }
    }

    String limits() {
      return new JsonObject(ready().body()).getString("limits");
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
    if (redis != null) {
      redis.close();
    }
    if (dns != null) {
      dns.close();
    }
  }

  @Test
  void threeNodesAsOneSenderThroughKillDrainAndRedisOutage() throws Exception {
    redis = new RedisFixture();
    dns = DnsFixture.start();
    Map<Integer, List<String>> deliveredBy = new ConcurrentHashMap<>();
    int sinkPort = Peer.freePort();
    List<Sink> sinks = new ArrayList<>();
    for (int d = 1; d <= DESTINATIONS; d++) {
      Sink sink = new Sink(vertx, deliveredBy);
      sinks.add(sink);
      SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0." + (20 + d)).setPort(sinkPort)
          .setHostname("mx" + d + ".test"), sink).listen().await(10, TimeUnit.SECONDS);
      dns.mx("d" + d + ".test", 300, 10, "mx" + d + ".test").a("mx" + d + ".test", 300, "127.0.0." + (20 + d));
    }
    int smtpPort = Peer.freePort();
    Node n1 = new Node(1, smtpPort, sinkPort, null);
    Node n2 = new Node(2, smtpPort, sinkPort, null);
    Node n3 = new Node(3, smtpPort, sinkPort, "[127.0.0.11]:" + smtpPort);
    List<Node> nodes = List.of(n1, n2, n3);
    for (Node node : nodes) {
      node.start();
    }
    for (Node node : nodes) {
      node.awaitReady();
      assertThat(node.limits()).startsWith("shared");
    }
    Supplier<Integer> delivered = deliveredBy::size;

    // 30,000 messages, each to one recipient, round robin over the nodes and the destinations.
    long injectStart = System.nanoTime();
    inject(nodes, smtpPort);
    double injectSeconds = (System.nanoTime() - injectStart) / 1e9;
    int atInjected = delivered.get();
    System.out.printf("ClusterIT: %d messages injected in %.1f s (%.0f msg/s); %d delivered by then%n",
        MESSAGES, injectSeconds, MESSAGES / injectSeconds, atInjected);

    // The rate: over the next 2,000 deliveries every destination still has mail queued.
    long windowStart = System.nanoTime();
    int target = atInjected + 2_000;
    await("2,000 more deliveries", () -> delivered.get() >= target, 120);
    long windowEnd = System.nanoTime();
    double window = (windowEnd - windowStart) / 1e9;
    List<Double> rates = new ArrayList<>();
    for (Sink sink : sinks) {
      long count = sink.times.stream().filter(t -> t >= windowStart && t < windowEnd).count();
      rates.add(count / window);
      assertThat(sink.times.size()).as("a destination had mail left to send all through the window")
          .isLessThan(MESSAGES / DESTINATIONS);
    }
    System.out.printf("ClusterIT: destination rates over %.1f s: %s msg/s (configured %d)%n", window, rates, RATE);

    // kill -9 node 2 and start it again on the same spool.
    n2.process.destroyForcibly();
    assertThat(n2.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    int atKill = delivered.get();
    n2.start();
    n2.awaitReady();

    // Drain node 3 at half way: its queue goes to node 1, its spool is empty once it exits.
    await("half delivered", () -> delivered.get() >= MESSAGES / 2, 300);
    int atDrain = delivered.get();
    Peer.Result drain = drain(n3);
    assertThat(drain.exit()).as(drain.output()).isZero();
    System.out.println("ClusterIT: n3 " + drain.output().trim());
    n3.process.destroy();
    assertThat(n3.process.waitFor(60, TimeUnit.SECONDS)).as("n3 exits after SIGTERM").isTrue();
    Spool spool = Spool.open(vertx, new SpoolOptions().setDir(n3.home.resolve("queue").toString())).await(30, TimeUnit.SECONDS);
    try {
      assertThat(spool.list()).as("n3's spool after the drain").isEmpty();
    } finally {
      spool.close().await(30, TimeUnit.SECONDS);
    }

    // Redis down at 65 %: delivery goes on under local limits; back up: shared again.
    List<Node> alive = List.of(n1, n2);
    await("65 % delivered", () -> delivered.get() >= MESSAGES * 65 / 100, 300);
    // Redis keeps the cap only while it answers: the slots a node holds when it goes stay open until those
    // sessions end, while every node may open its local share (cap / expected-nodes), so until then the
    // exchanger may see up to the cap plus the other live nodes' shares.
    sinks.forEach(x -> x.outage = true);
    redis.stop();
    int atOutage = delivered.get();
    for (Node node : alive) {
      await("n" + node.n + " on local limits", () -> node.limits().startsWith("local"), 30);
    }
    await("1,000 deliveries while Redis is down", () -> delivered.get() >= atOutage + 1_000, 120);
    redis.start();
    for (Node node : alive) {
      await("n" + node.n + " on shared limits again", () -> node.limits().startsWith("shared"), 30);
    }
    for (Sink sink : sinks) {
      await("the sessions of the outage ended", () -> sink.open.get() <= CAP, 120);
      sink.outage = false;
    }
    int atRedisBack = delivered.get();

    await("every message delivered", () -> delivered.get() >= MESSAGES, 600);
    List<String> duplicates = new ArrayList<>();
    Map<String, Integer> byNode = new TreeMap<>();
    for (var e : deliveredBy.entrySet()) {
      for (String helo : e.getValue()) {
        byNode.merge(helo, 1, Integer::sum);
      }
      if (e.getValue().size() > 1) {
        duplicates.add("m" + e.getKey() + " by " + e.getValue());
      }
    }
    int peak = sinks.stream().mapToInt(s -> s.peak.get()).max().orElse(0);
    List<String> peaks = sinks.stream().map(s -> s.peak.get() + " at " + s.peakAt + " (outage " + s.outagePeak.get() + ")").toList();
    System.out.printf("ClusterIT: kill at %d delivered, drain at %d, Redis down at %d, back at %d; deliveries by node %s;"
        + " %d duplicates %s; peak %d connections to one exchanger (cap %d; per exchanger, first reached when: %s)%n",
        atKill, atDrain, atOutage, atRedisBack, byNode, duplicates.size(), duplicates, peak, CAP, peaks);

    assertThat(deliveredBy).as("every message delivered").hasSize(MESSAGES);
    for (int i = 0; i < MESSAGES; i++) {
      assertThat(deliveredBy).containsKey(i);
    }
    // A duplicate needs a delivery in flight when node 2 was killed: at most its sessions' pipelines.
    assertThat(duplicates.size()).as("duplicates").isLessThanOrEqualTo(DESTINATIONS * CAP * PIPELINE_DEPTH);
    for (Sink sink : sinks) {
      assertThat(sink.peak.get()).as("connections to one exchanger at once, the whole cluster").isLessThanOrEqualTo(CAP);
      assertThat(sink.outagePeak.get()).as("the same while Redis was down: the cap, plus node 2's local share")
          .isLessThanOrEqualTo(CAP + Math.max(1, CAP / 3));
    }
    for (double r : rates) {
      assertThat(r).as("a destination's rate, the whole cluster").isBetween(RATE * 0.9, RATE * 1.1);
    }
    for (Node node : nodes) {
      for (int s = 1; s <= node.starts; s++) {
        String log = read(node.home.resolve("serve-" + s + ".log"));
        assertThat(log).as("n" + node.n + " start " + s).doesNotContain("has been blocked for")
            .doesNotContain("Unhandled exception").doesNotContain("moved aside");
      }
    }
  }

  /**
   * Sends message i to node i % 3 over 4 reused sessions per node, 4 transactions in flight on each; a
   * transaction that fails is sent again on a new session (at most 5 times).
   */
  private void inject(List<Node> nodes, int smtpPort) throws Exception {
    SmtpClient client = SmtpClient.create(vertx, new SmtpClientOptions().setTlsPolicy(TlsPolicy.DISABLED)
        .setHeloName("injector.test"));
    List<Future<Void>> lanes = new ArrayList<>();
    AtomicInteger failures = new AtomicInteger();
    for (Node node : nodes) {
      AtomicInteger next = new AtomicInteger(node.n - 1);
      for (int s = 0; s < 4; s++) {
        Promise<Void> lane = Promise.promise();
        lanes.add(lane.future());
        vertx.runOnContext(v -> client.connect(node.host, smtpPort).onComplete(ar -> {
          if (ar.failed()) {
            lane.fail(ar.cause());
            return;
          }
          List<Future<Void>> inFlight = new ArrayList<>();
          for (int k = 0; k < 4; k++) {
            inFlight.add(send(client, node.host, smtpPort, ar.result(), next, failures));
          }
          Future.all(inFlight).onComplete(x -> ar.result().quit().onComplete(q -> {
            if (x.failed()) {
              lane.fail(x.cause());
            } else {
              lane.complete();
            }
          }));
        }));
      }
    }
    Future.all(lanes).await(600, TimeUnit.SECONDS);
    System.out.println("ClusterIT: injection retries: " + failures.get());
  }

  private Future<Void> send(SmtpClient client, String host, int port, ClientSession session, AtomicInteger next,
                            AtomicInteger failures) {
    int i = next.getAndAdd(3);
    if (i >= MESSAGES) {
      return Future.succeededFuture();
    }
    return attempt(client, host, port, session, i, 1, failures)
        .compose(s -> send(client, host, port, s, next, failures));
  }

  /** Sends message i, on {@code session} or, after a failure, on a new one; the session to go on with. */
  private Future<ClientSession> attempt(SmtpClient client, String host, int port, ClientSession session, int i, int tries,
                                        AtomicInteger failures) {
    String to = "r" + i + "@d" + (i % DESTINATIONS + 1) + ".test";
    Buffer content = Buffer.buffer("Message-ID: <m" + i + "@cluster.test>\r\nFrom: a@sender.test\r\nTo: " + to
        + "\r\nSubject: cluster " + i + "\r\n\r\nmessage " + i + " of the cluster test\r\n");
    return session.send(MailTransaction.of("a@sender.test", List.of(to), content)).transform(ar -> {
      if (ar.succeeded() && ar.result().allDelivered()) {
        return Future.succeededFuture(session);
      }
      failures.incrementAndGet();
      if (tries >= 5) {
        return Future.failedFuture("message " + i + " not accepted after " + tries + " tries: "
            + (ar.succeeded() ? ar.result() : ar.cause()));
      }
      return client.connect(host, port).compose(s -> attempt(client, host, port, s, i, tries + 1, failures));
    });
  }

  /** {@code peregrine queue drain} in a process of its own, as the preStop hook runs it. */
  private static Peer.Result drain(Node node) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return Peer.run(List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(), "queue", "drain",
        "--http", node.host + ":" + node.httpPort, "--timeout", "PT4M"), 300);
  }

  private static int httpPortIn(Path log) {
    for (String line : read(log).split("\n")) {
      if (line.startsWith("peregrine: HTTP ")) {
        return Integer.parseInt(line.trim().replaceFirst("^.* on port (\\d+)$", "$1"));
      }
    }
    return 0;
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void await(String what, Supplier<Boolean> done) throws InterruptedException {
    await(what, done, 60);
  }

  /** Polls {@code done} (bounded by {@code seconds}): the processes give nothing to wait on but time. */
  private static void await(String what, Supplier<Boolean> done, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!done.get()) {
      assertThat(System.nanoTime() - deadline).as("timed out waiting for: " + what).isNegative();
      Thread.sleep(50);
    }
  }
}
