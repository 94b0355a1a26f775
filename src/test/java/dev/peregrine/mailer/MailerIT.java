package dev.peregrine.mailer;

import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.TlsPolicy;
import dev.peregrine.dns.MxResolverOptions;
import dev.peregrine.pool.SessionPoolOptions;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.SmtpCommand;
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
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mailer end to end: a DNS server on loopback ({@link DnsFixture}) names mail exchangers on
 * 127.0.0.2, 127.0.0.3 ..., each one of our servers on the same port.
 */
class MailerIT extends VertxFixture {

  /** Keeps each transaction's recipients; can refuse a recipient or answer MAIL with a reply. */
  static final class Recording implements SmtpHandler {
    final List<List<String>> transactions = new CopyOnWriteArrayList<>();
    volatile Reply mailReply;
    final AtomicInteger connections = new AtomicInteger();

    @Override
    public Future<Reply> connect(SmtpSession session) {
      connections.incrementAndGet();
      return Future.succeededFuture();
    }

    @Override
    public Future<Reply> mail(SmtpSession session, Envelope envelope) {
      return Future.succeededFuture(mailReply);
    }

    @Override
    public Future<Reply> rcpt(SmtpSession session, Envelope envelope, SmtpCommand.RcptTo rcpt) {
      return Future.succeededFuture(rcpt.path().toString().contains("nobody")
          ? Reply.of(550, "5.1.1", "No such user") : null);
    }

    @Override
    public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
      Promise<Reply> done = Promise.promise();
      content.handler(b -> { }).exceptionHandler(done::tryFail).endHandler(v -> {
        transactions.add(envelope.forwardPaths().stream().map(Object::toString).toList());
        done.tryComplete();
      });
      return done.future();
    }
  }

  private DnsFixture dns;
  private int port;
  private Mailer mailer;
  private final Map<String, Recording> servers = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws Exception {
    dns = DnsFixture.start();
    port = Peer.freePort();
  }

  @AfterEach
  void stop() throws Exception {
    if (mailer != null) {
      mailer.close().await(20, TimeUnit.SECONDS);
    }
    dns.close();
  }

  private Recording server(String address, SmtpServerOptions extra) throws Exception {
    Recording h = new Recording();
    SmtpServer.create(vertx, extra.setHost(address).setPort(port).setHostname("mx-" + address), h)
        .listen().await(10, TimeUnit.SECONDS);
    servers.put(address, h);
    return h;
  }

  private Recording server(String address) throws Exception {
    return server(address, new SmtpServerOptions());
  }

  private MailerOptions options() {
    return new MailerOptions()
        .setClient(new SmtpClientOptions().setHeloName("sender.test").setTlsPolicy(TlsPolicy.DISABLED))
        .setDns(new MxResolverOptions().addServer(dns.server()).setPort(port).setQueryTimeout(Duration.ofSeconds(2)))
        .setPool(new SessionPoolOptions().setHostDownBackoff(Duration.ofSeconds(30)));
  }

  private Mailer mailer(MailerOptions options) {
    mailer = Mailer.create(vertx, options);
    return mailer;
  }

  private static MailMessage message(String... to) {
    return MailMessage.of("sender@origin.test", List.of(to), Buffer.buffer("Subject: hello\r\n\r\nbody\r\n"));
  }

  private MailResult send(MailMessage m) throws Exception {
    return mailer.send(m).await(30, TimeUnit.SECONDS);
  }

  @Test
  void domainsThatShareMailExchangersShareATransactionAndEveryRecipientGetsAnOutcome() throws Exception {
    dns.mx("one.test", 300, 10, "mx.hosting.test").mx("two.test", 300, 10, "mx.hosting.test")
        .a("mx.hosting.test", 300, "127.0.0.2").nullMx("null.test", 300).servfail("sick.test");
    Recording mx = server("127.0.0.2");
    mailer(options());
    MailResult r = send(message("a@one.test", "b@two.test", "nobody@one.test", "c@null.test", "d@gone.test",
        "e@sick.test"));
    assertThat(r.recipients()).extracting(RecipientOutcome::status).containsExactly(
        RecipientOutcome.Status.DELIVERED, RecipientOutcome.Status.DELIVERED, RecipientOutcome.Status.FAILED,
        RecipientOutcome.Status.FAILED, RecipientOutcome.Status.FAILED, RecipientOutcome.Status.DEFERRED);
    assertThat(r.recipients().get(0).host()).isEqualTo("mx.hosting.test");
    assertThat(r.recipients().get(2).reply().enhanced()).hasToString("5.1.1");
    assertThat(r.recipients().get(3).reply().enhanced()).hasToString("5.1.10");
    assertThat(r.recipients().get(4).reply().enhanced()).hasToString("5.1.2");
    assertThat(r.recipients().get(5).reply().enhanced()).hasToString("4.4.3");
    assertThat(mx.transactions).containsExactly(List.of("<a@one.test>", "<b@two.test>"));
    MailerMetrics m = mailer.metrics();
    assertThat(m.messages()).isEqualTo(1);
    assertThat(m.delivered()).isEqualTo(2);
    assertThat(m.failed()).isEqualTo(3);
    assertThat(m.deferred()).isEqualTo(1);
  }

  @Test
  void aHostThatRefusesConnectionsFailsOverToTheNextAndIsThenSkipped() throws Exception {
    dns.mx("f.test", 300, 10, "down.f.test").mx("f.test", 300, 20, "up.f.test")
        .a("down.f.test", 300, "127.0.0.3").a("up.f.test", 300, "127.0.0.2");
    Recording up = server("127.0.0.2");
    mailer(options());
    for (int i = 0; i < 5; i++) {
      MailResult r = send(message("x" + i + "@f.test"));
      assertThat(r.allDelivered()).isTrue();
      assertThat(r.recipients().get(0).host()).isEqualTo("up.f.test");
    }
    assertThat(up.transactions).hasSize(5);
    assertThat(((dev.peregrine.mailer.impl.MailerImpl) mailer).pool().stats().connectFailures())
        .as("marked down after the first refusal").isEqualTo(1);
  }

  @Test
  void a421AtMailMovesTheTransactionToTheNextExchanger() throws Exception {
    dns.mx("g.test", 300, 10, "busy.g.test").mx("g.test", 300, 20, "ok.g.test")
        .a("busy.g.test", 300, "127.0.0.3").a("ok.g.test", 300, "127.0.0.2");
    Recording busy = server("127.0.0.3");
    busy.mailReply = Reply.of(421, "4.3.2", "Too busy");
    Recording ok = server("127.0.0.2");
    mailer(options());
    MailResult r = send(message("a@g.test", "b@g.test"));
    assertThat(r.allDelivered()).isTrue();
    assertThat(r.recipients()).allMatch(o -> o.host().equals("ok.g.test"));
    assertThat(ok.transactions).hasSize(1);
    assertThat(busy.transactions).isEmpty();
    assertThat(mailer.metrics().failovers()).isEqualTo(1);
  }

  @Test
  void whenNoExchangerTakesItTheRecipientsAreDeferredWithTheLastReason() throws Exception {
    dns.mx("h.test", 300, 10, "busy.h.test").a("busy.h.test", 300, "127.0.0.2")
        .mx("i.test", 300, 10, "dead.i.test").a("dead.i.test", 300, "127.0.0.4");
    server("127.0.0.2").mailReply = Reply.of(421, "4.3.2", "Too busy");
    mailer(options());
    MailResult r = send(message("a@h.test", "b@i.test"));
    assertThat(r.recipients()).extracting(RecipientOutcome::status)
        .containsExactly(RecipientOutcome.Status.DEFERRED, RecipientOutcome.Status.DEFERRED);
    assertThat(r.recipients().get(0).reply().text()).contains("Too busy");
    assertThat(r.recipients().get(1).reply().enhanced()).hasToString("4.4.1");
    assertThat(r.recipients().get(1).reply().text()).contains("dead.i.test");
  }

  @Test
  void recipientsAreSplitAtTheTransactionLimitAndAt452() throws Exception {
    dns.mx("s.test", 300, 10, "mx.s.test").a("mx.s.test", 300, "127.0.0.2");
    Recording mx = server("127.0.0.2", new SmtpServerOptions().setMaxRecipients(2));
    mailer(options().setMaxRecipientsPerTransaction(3));
    List<String> to = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      to.add("r" + i + "@s.test");
    }
    MailResult r = send(message(to.toArray(String[]::new)));
    assertThat(r.allDelivered()).isTrue();
    // 3 + 3 + 1 by the limit; the server takes 2 at a time, so each 3 becomes 2 + 1.
    assertThat(mx.transactions).extracting(List::size).containsExactlyInAnyOrder(2, 1, 2, 1, 1);
    assertThat(mx.transactions.stream().mapToInt(List::size).sum()).isEqualTo(7);
  }

  @Test
  void atMostMaxInFlightMessagesAreWorkedOnAndAStreamIsPaced() throws Exception {
    dns.mx("b.test", 300, 10, "mx.b.test").a("mx.b.test", 300, "127.0.0.2");
    Recording mx = server("127.0.0.2");
    mailer(options().setMaxInFlight(4));
    List<MailMessage> all = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      all.add(message("u" + i + "@b.test"));
    }
    CountingStream<MailMessage> in = new CountingStream<>(vertx, all);
    List<MailResult> results = new CopyOnWriteArrayList<>();
    mailer.sendAll(in, results::add).await(60, TimeUnit.SECONDS);
    assertThat(results).hasSize(200).allMatch(MailResult::allDelivered);
    assertThat(mx.transactions).hasSize(200);
    assertThat(in.pauses.get()).as("the stream was paused when the mailer was full").isPositive();
    assertThat(mailer.full()).isFalse();
  }

  @Test
  void sessionsAreReusedAcrossMessagesAndDomains() throws Exception {
    for (int d = 0; d < 10; d++) {
      dns.mx("d" + d + ".test", 300, 10, "mx.shared.test");
    }
    dns.a("mx.shared.test", 300, "127.0.0.2");
    Recording mx = server("127.0.0.2");
    mailer(options().setPool(new SessionPoolOptions().setMaxPerKey(2)));
    List<Future<MailResult>> all = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      all.add(mailer.send(message("u" + i + "@d" + (i % 10) + ".test")));
    }
    for (Future<MailResult> f : all) {
      assertThat(f.await(30, TimeUnit.SECONDS).allDelivered()).isTrue();
    }
    assertThat(mx.connections.get()).isLessThanOrEqualTo(4);
    assertThat(((dev.peregrine.mailer.impl.MailerImpl) mailer).throttles()).as("idle throttles are forgotten").isZero();
    MailerMetrics m = mailer.metrics();
    assertThat(m.sessionsOpened()).isLessThanOrEqualTo(4);
    assertThat(m.reuseRatio()).isGreaterThan(0.98);
  }

  @Test
  void aLongQueueBehindADownHostEndsWithoutDeepStacks() throws Exception {
    dns.mx("down.test", 300, 10, "mx.down.test").a("mx.down.test", 300, "127.0.0.4");
    mailer(options().setDestinationConcurrency(1).setMaxInFlight(5000));
    List<Future<MailResult>> all = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      all.add(mailer.send(message("u" + i + "@down.test")));
    }
    for (Future<MailResult> f : all) {
      RecipientOutcome o = f.await(60, TimeUnit.SECONDS).recipients().get(0);
      assertThat(o.status()).isEqualTo(RecipientOutcome.Status.DEFERRED);
      assertThat(o.reply().enhanced()).hasToString("4.4.1");
    }
  }

  @Test
  void domainsThatRankTheSameHostsDifferentlyEachGoToTheirOwnPrimary() throws Exception {
    dns.mx("p.test", 300, 10, "a.mx.test").mx("p.test", 300, 20, "b.mx.test")
        .mx("q.test", 300, 10, "b.mx.test").mx("q.test", 300, 20, "a.mx.test")
        .a("a.mx.test", 300, "127.0.0.2").a("b.mx.test", 300, "127.0.0.3");
    Recording a = server("127.0.0.2");
    Recording b = server("127.0.0.3");
    mailer(options());
    MailResult r = send(message("x@p.test", "y@q.test"));
    assertThat(r.allDelivered()).isTrue();
    assertThat(a.transactions).containsExactly(List.of("<x@p.test>"));
    assertThat(b.transactions).containsExactly(List.of("<y@q.test>"));
  }

  @Test
  void aContentSourceThatFailsDefersWithoutFailover() throws Exception {
    dns.mx("c.test", 300, 10, "one.c.test").mx("c.test", 300, 20, "two.c.test")
        .a("one.c.test", 300, "127.0.0.2").a("two.c.test", 300, "127.0.0.3");
    server("127.0.0.2");
    Recording two = server("127.0.0.3");
    mailer(options());
    MailMessage broken = MailMessage.streamed("s@origin.test", List.of("r@c.test"), () -> new FailingStream(vertx));
    RecipientOutcome o = send(broken).recipients().get(0);
    assertThat(o.status()).isEqualTo(RecipientOutcome.Status.DEFERRED);
    assertThat(o.reply().enhanced()).hasToString("4.3.0");
    assertThat(o.reply().text()).contains("disk gone");
    assertThat(mailer.metrics().failovers()).isZero();
    assertThat(two.connections.get()).isZero();
  }

  @Test
  void aServerWithoutAnExtensionTheMessageNeedsIsSkippedForOneWithIt() throws Exception {
    dns.mx("e.test", 300, 10, "old.e.test").mx("e.test", 300, 20, "new.e.test")
        .a("old.e.test", 300, "127.0.0.2").a("new.e.test", 300, "127.0.0.3");
    Recording old = server("127.0.0.2", new SmtpServerOptions().setEightBitMime(false).setBinaryMime(false)
        .setChunking(false));
    Recording current = server("127.0.0.3");
    mailer(options());
    MailMessage eightBit = MailMessage.of("s@origin.test", List.of("r@e.test"),
        Buffer.buffer("Subject: caf\u00e9\r\n\r\nd\u00e9j\u00e0 vu\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    RecipientOutcome o = send(eightBit).recipients().get(0);
    assertThat(o.status()).isEqualTo(RecipientOutcome.Status.DELIVERED);
    assertThat(o.host()).isEqualTo("new.e.test");
    assertThat(old.transactions).isEmpty();
    assertThat(current.transactions).hasSize(1);
  }

  /**
   * Rate limits, checked from below only: a limiter may never let work through faster than its rate, while a
   * busy machine can only make the run slower, so the bound cannot flake.
   */
  @Test
  void theDestinationRateHoldsTransactionsBack() throws Exception {
    dns.mx("r.test", 300, 10, "mx.r.test").a("mx.r.test", 300, "127.0.0.2");
    Recording mx = server("127.0.0.2");
    mailer(options().setDestinationRate(5)); // 5 per second, a burst of 5
    double seconds = secondsToDeliver(15, "r.test");
    assertThat(seconds).as("15 transactions at 5/s after a burst of 5 take 2 s at least").isGreaterThanOrEqualTo(1.9);
    assertThat(mx.transactions).hasSize(15);
  }

  @Test
  void newConnectionsPerMinuteHoldSessionsBack() throws Exception {
    dns.mx("n.test", 300, 10, "mx.n.test").a("mx.n.test", 300, "127.0.0.2");
    Recording mx = server("127.0.0.2");
    mailer(options().setConnectionsPerMinute(120) // 2 per second, a burst of 2
        .setPool(new SessionPoolOptions().setMaxPerKey(6).setPipelineDepth(1).setMaxMessagesPerSession(1)));
    double seconds = secondsToDeliver(6, "n.test");
    assertThat(mx.connections.get()).as("one message per session").isEqualTo(6);
    assertThat(seconds).as("6 sessions at 2/s after a burst of 2 take 2 s at least").isGreaterThanOrEqualTo(1.9);
  }

  /** Sends {@code n} messages to u0..u(n-1)@{@code domain} at once; seconds until all were delivered. */
  private double secondsToDeliver(int n, String domain) throws Exception {
    long t0 = System.nanoTime();
    List<Future<MailResult>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(mailer.send(message("u" + i + "@" + domain)));
    }
    for (Future<MailResult> f : all) {
      assertThat(f.await(30, TimeUnit.SECONDS).allDelivered()).isTrue();
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  /** A content stream that gives one chunk, then fails as a disk would. */
  static final class FailingStream implements ReadStream<Buffer> {
    private final Vertx vertx;
    private io.vertx.core.Handler<Buffer> handler;
    private io.vertx.core.Handler<Throwable> failure;
    private boolean started;

    FailingStream(Vertx vertx) {
      this.vertx = vertx;
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(io.vertx.core.Handler<Throwable> h) {
      failure = h;
      return this;
    }

    @Override
    public ReadStream<Buffer> handler(io.vertx.core.Handler<Buffer> h) {
      handler = h;
      return this;
    }

    @Override
    public ReadStream<Buffer> pause() {
      return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
      if (!started && handler != null) {
        started = true;
        vertx.runOnContext(v -> {
          handler.handle(Buffer.buffer("Subject: part\r\n\r\nfirst part\r\n"));
          vertx.runOnContext(w -> failure.handle(new java.io.IOException("disk gone")));
        });
      }
      return this;
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
      return resume();
    }

    @Override
    public ReadStream<Buffer> endHandler(io.vertx.core.Handler<Void> h) {
      return this;
    }
  }

  /** A ReadStream over a list that honours pause/resume and counts pauses. */
  static final class CountingStream<T> implements ReadStream<T> {
    private final Vertx vertx;
    private final List<T> items;
    private int next;
    private boolean paused;
    private boolean scheduled;
    private io.vertx.core.Handler<T> handler;
    private io.vertx.core.Handler<Void> end;
    final AtomicInteger pauses = new AtomicInteger();

    CountingStream(Vertx vertx, List<T> items) {
      this.vertx = vertx;
      this.items = items;
    }

    @Override
    public synchronized ReadStream<T> handler(io.vertx.core.Handler<T> h) {
      handler = h;
      schedule();
      return this;
    }

    @Override
    public synchronized ReadStream<T> pause() {
      if (!paused) {
        pauses.incrementAndGet();
      }
      paused = true;
      return this;
    }

    @Override
    public synchronized ReadStream<T> resume() {
      paused = false;
      schedule();
      return this;
    }

    @Override
    public ReadStream<T> fetch(long amount) {
      return resume();
    }

    @Override
    public synchronized ReadStream<T> endHandler(io.vertx.core.Handler<Void> h) {
      end = h;
      return this;
    }

    @Override
    public ReadStream<T> exceptionHandler(io.vertx.core.Handler<Throwable> h) {
      return this;
    }

    private void schedule() {
      if (!scheduled && handler != null) {
        scheduled = true;
        vertx.runOnContext(v -> emit());
      }
    }

    private void emit() {
      while (true) {
        T item;
        io.vertx.core.Handler<T> h;
        synchronized (this) {
          scheduled = false;
          if (paused || handler == null) {
            return;
          }
          if (next == items.size()) {
            if (end != null) {
              io.vertx.core.Handler<Void> e = end;
              end = null;
              e.handle(null);
            }
            return;
          }
          item = items.get(next++);
          h = handler;
        }
        h.handle(item);
      }
    }
  }
}
