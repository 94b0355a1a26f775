package dev.peregrine.bench;

import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.TlsPolicy;
import dev.peregrine.dkim.DkimKeyOptions;
import dev.peregrine.dkim.DkimOptions;
import dev.peregrine.dns.MxResolverOptions;
import dev.peregrine.mailer.MailMessage;
import dev.peregrine.mailer.MailResult;
import dev.peregrine.mailer.Mailer;
import dev.peregrine.mailer.MailerOptions;
import dev.peregrine.pool.SessionPoolOptions;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Mailer end to end with DKIM signing off, RSA-2048 or Ed25519, in one run: {@value #BATCH} messages of
 * {@code size} octets per invocation, {@value #LANES} in flight, to our own server (a discarding handler) on
 * loopback in the same JVM, through 4 pooled sessions. One op = one message: ops/s is the Mailer's msg/s.
 * Client, server and the signer's worker threads share the machine's cores, as a relay's would.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class MailerDkimBench {

  static final int BATCH = 500;
  static final int LANES = 64;

  @Param({"off", "rsa-2048", "ed25519"})
  public String signing;

  @Param({"1024"})
  public int size;

  private Vertx vertx;
  private SmtpServer server;
  private Mailer mailer;
  private Buffer content;
  private Path dir;

  @Setup
  public void setup() throws Exception {
    vertx = Vertx.vertx();
    server = SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(0).setHostname("sink.test")
        .setMaxConnections(100).setMaxConnectionsPerIp(100), new DiscardServer.Discard());
    server.listen().await(10, TimeUnit.SECONDS);
    DkimOptions dkim = new DkimOptions().setReloadPeriod(Duration.ZERO);
    dir = Files.createTempDirectory("dkim-bench");
    if (!signing.equals("off")) {
      dkim.addKey(new DkimKeyOptions("example.org", "s", DkimSignBench.writeKey(dir, signing).toString()));
    }
    mailer = Mailer.create(vertx, new MailerOptions()
        .setClient(new SmtpClientOptions().setTlsPolicy(TlsPolicy.DISABLED).setHeloName("bench.test"))
        .setDns(new MxResolverOptions().addRoute("*", "[127.0.0.1]:" + server.actualPort()))
        .setPool(new SessionPoolOptions().setMaxPerKey(4).setMaxPerHost(4))
        .setDestinationConcurrency(LANES).setMaxInFlight(LANES * 2).setDkim(dkim));
    byte[] body = MessageContent.generate(size);
    content = Buffer.buffer(DkimSignBench.HEADERS).appendBytes(body);
    MailResult r = mailer.send(message(0)).await(30, TimeUnit.SECONDS);
    if (!r.allDelivered()) {
      throw new IllegalStateException("not delivered: " + r);
    }
  }

  private MailMessage message(int i) {
    return MailMessage.of("bounce@example.org", List.of("user" + (i % 1000) + "@example.com"), content);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    mailer.close().await(30, TimeUnit.SECONDS);
    server.close().await(10, TimeUnit.SECONDS);
    vertx.close().await(30, TimeUnit.SECONDS);
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.delete(p);
      }
    }
    Files.delete(dir);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void send() throws Exception {
    AtomicInteger next = new AtomicInteger();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int k = 0; k < LANES; k++) {
      lanes.add(lane(next));
    }
    Future.all(lanes).await(120, TimeUnit.SECONDS);
  }

  private Future<Void> lane(AtomicInteger next) {
    int i = next.getAndIncrement();
    if (i >= BATCH) {
      return Future.succeededFuture();
    }
    return mailer.send(message(i)).compose(r -> {
      if (!r.allDelivered()) {
        return Future.failedFuture("not delivered: " + r);
      }
      return lane(next);
    });
  }
}
