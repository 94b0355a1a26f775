package dev.peregrine.pool;

import dev.peregrine.client.ClientSession;
import dev.peregrine.client.MailTransaction;
import dev.peregrine.client.SmtpClient;
import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.TlsPolicy;
import dev.peregrine.pool.impl.SessionPoolImpl;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.server.SmtpSession;
import dev.peregrine.protocol.Reply;
import dev.peregrine.test.Peer;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The session pool against our server on loopback, counting connections on the server's side. */
class SessionPoolIT extends VertxFixture {

  /** Counts connections as the server sees them. */
  static final class Counting implements SmtpHandler {
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger current = new AtomicInteger();
    final AtomicInteger peak = new AtomicInteger();

    @Override
    public Future<Reply> connect(SmtpSession session) {
      connections.incrementAndGet();
      peak.accumulateAndGet(current.incrementAndGet(), Math::max);
      return Future.succeededFuture();
    }

    @Override
    public void disconnect(SmtpSession session) {
      current.decrementAndGet();
    }
  }

  private final Counting handler = new Counting();
  private int port;
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final AtomicInteger connects = new AtomicInteger();
  private SmtpClient client;
  private SessionPool pool;

  @BeforeEach
  void start() throws Exception {
    SmtpServer server = SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(0)
        .setHostname("mx.test"), handler);
    server.listen().await(10, TimeUnit.SECONDS);
    port = server.actualPort();
    client = SmtpClient.create(vertx, new SmtpClientOptions().setHeloName("client.test").setTlsPolicy(TlsPolicy.DISABLED));
  }

  @AfterEach
  void stop() throws Exception {
    if (pool != null) {
      pool.close().await(10, TimeUnit.SECONDS);
    }
  }

  private SessionPool pool(SessionPoolOptions options) {
    pool = new SessionPoolImpl(vertx, options, (key, name) -> {
      connects.incrementAndGet();
      return client.connect(key.address(), key.port());
    }, clock::get);
    return pool;
  }

  private PoolKey key() {
    return key(port);
  }

  private static PoolKey key(int port) {
    return new PoolKey("127.0.0.1", port, TlsPolicy.DISABLED, null, null);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(20, TimeUnit.SECONDS);
  }

  private static Throwable failure(Future<?> f) {
    try {
      f.await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      // checked below
    }
    assertThat(f.failed()).isTrue();
    return f.cause();
  }

  private static void send(Lease lease) throws Exception {
    assertThat(await(lease.session().send(MailTransaction.of("a@x.test", List.of("b@y.test"),
        Buffer.buffer("Subject: t\r\n\r\nhi\r\n")))).allDelivered()).isTrue();
  }

  @Test
  void aReleasedSessionIsReusedWithoutANewConnection() throws Exception {
    pool(new SessionPoolOptions());
    Lease first = await(pool.acquire(key(), "mx.test"));
    assertThat(first.reused()).isFalse();
    send(first);
    ClientSession s = first.session();
    first.release();
    first.release(); // idempotent
    Lease second = await(pool.acquire(key(), "mx.test"));
    assertThat(second.session()).isSameAs(s);
    assertThat(second.reused()).isTrue();
    send(second);
    second.release();
    assertThat(handler.connections.get()).isEqualTo(1);
    PoolStats stats = pool.stats();
    assertThat(stats.opened()).isEqualTo(1);
    assertThat(stats.leases()).isEqualTo(2);
    assertThat(stats.reuseRatio()).isEqualTo(0.5);
  }

  @Test
  void atTheCapCallersWaitForAReleasedSession() throws Exception {
    pool(new SessionPoolOptions().setMaxPerKey(2).setPipelineDepth(1));
    Lease a = await(pool.acquire(key(), "mx.test"));
    Lease b = await(pool.acquire(key(), "mx.test"));
    Future<Lease> c = pool.acquire(key(), "mx.test");
    assertThat(c.isComplete()).isFalse();
    b.release();
    assertThat(await(c).session()).isSameAs(b.session());
    assertThat(pool.open(key())).isEqualTo(2);
    assertThat(handler.connections.get()).isEqualTo(2);
    a.release();
    c.result().release();
  }

  @Test
  void aBusySessionTakesASecondTransactionInItsPipeline() throws Exception {
    pool(new SessionPoolOptions().setMaxPerKey(1).setPipelineDepth(2));
    Lease a = await(pool.acquire(key(), "mx.test"));
    Lease b = await(pool.acquire(key(), "mx.test"));
    assertThat(b.session()).isSameAs(a.session());
    Future<Lease> c = pool.acquire(key(), "mx.test");
    assertThat(c.isComplete()).as("depth 2 reached: the third waits").isFalse();
    a.release();
    await(c).release();
    b.release();
  }

  @Test
  void aSessionEndsAtItsMessageCapAndANewOneOpensForTheNextCaller() throws Exception {
    pool(new SessionPoolOptions().setMaxMessagesPerSession(2));
    Lease a = await(pool.acquire(key(), "mx.test"));
    send(a);
    a.release();
    Lease b = await(pool.acquire(key(), "mx.test"));
    assertThat(b.session()).isSameAs(a.session());
    send(b);
    b.release();
    Lease c = await(pool.acquire(key(), "mx.test"));
    assertThat(c.session()).isNotSameAs(a.session());
    await(a.session().close()); // gone already: QUIT was sent on the cap
    c.release();
    assertThat(pool.stats().opened()).isEqualTo(2);
    assertThat(pool.stats().closed()).isEqualTo(1);
  }

  @Test
  void idleAndAgeCapsRetireSessions() throws Exception {
    pool(new SessionPoolOptions().setMaxIdle(Duration.ofSeconds(60)).setMaxAge(Duration.ofSeconds(300)));
    Lease a = await(pool.acquire(key(), "mx.test"));
    a.release();
    clock.addAndGet(Duration.ofSeconds(61).toNanos());
    Lease b = await(pool.acquire(key(), "mx.test"));
    assertThat(b.session()).as("idle 61 s > 60 s").isNotSameAs(a.session());
    for (int i = 0; i < 5; i++) {
      b.release();
      clock.addAndGet(Duration.ofSeconds(59).toNanos());
      Lease again = await(pool.acquire(key(), "mx.test"));
      assertThat(again.session()).isSameAs(b.session());
      b = again;
    }
    b.release();
    clock.addAndGet(Duration.ofSeconds(59).toNanos());
    Lease c = await(pool.acquire(key(), "mx.test"));
    assertThat(c.session()).as("age 354 s > 300 s").isNotSameAs(b.session());
    c.release();
    assertThat(connects.get()).isEqualTo(3);
  }

  @Test
  void waitersTimeOutAndTheQueueIsBounded() throws Exception {
    pool(new SessionPoolOptions().setMaxPerKey(1).setPipelineDepth(1).setMaxWaiters(1)
        .setWaitTimeout(Duration.ofMillis(200)));
    Lease a = await(pool.acquire(key(), "mx.test"));
    Future<Lease> waiting = pool.acquire(key(), "mx.test");
    Future<Lease> refused = pool.acquire(key(), "mx.test");
    assertThat(failure(refused)).isInstanceOf(PoolExhaustedException.class).hasMessageContaining("waiting");
    assertThat(failure(waiting)).isInstanceOf(PoolExhaustedException.class).hasMessageContaining("within 200 ms");
    a.release();
  }

  @Test
  void anAddressThatRefusesConnectionsIsMarkedDownForTheBackoff() throws Exception {
    int closed = Peer.freePort();
    pool(new SessionPoolOptions().setHostDownBackoff(Duration.ofSeconds(30)));
    Throwable first = failure(pool.acquire(key(closed), "mx.test"));
    assertThat(first).isInstanceOf(dev.peregrine.client.SmtpConnectionException.class);
    assertThat(connects.get()).isEqualTo(1);
    Throwable fast = failure(pool.acquire(key(closed), "mx.test"));
    assertThat(fast).isInstanceOf(HostDownException.class).hasMessageContaining("127.0.0.1:" + closed);
    assertThat(connects.get()).as("refused without a new attempt").isEqualTo(1);
    clock.addAndGet(Duration.ofSeconds(31).toNanos());
    assertThat(failure(pool.acquire(key(closed), "mx.test"))).isNotInstanceOf(HostDownException.class);
    assertThat(connects.get()).isEqualTo(2);
    assertThat(pool.stats().connectFailures()).isEqualTo(2);
  }

  @Test
  void aDownEndpointLeavesOtherPortsOfTheAddressAlone() throws Exception {
    pool(new SessionPoolOptions().setHostDownBackoff(Duration.ofSeconds(30)));
    Lease open = await(pool.acquire(key(), "mx.test"));
    open.release();
    int closed = Peer.freePort();
    failure(pool.acquire(key(closed), "mx.test")); // 127.0.0.1:closed is down now, 127.0.0.1:port is not
    Lease again = await(pool.acquire(key(), "mx.test"));
    assertThat(again.session()).isSameAs(open.session());
    again.release();
  }

  @Test
  void theHostCapIsSharedByKeysAndAnIdleSessionOfAnotherKeyMakesRoom() throws Exception {
    pool(new SessionPoolOptions().setMaxPerHost(1));
    PoolKey other = new PoolKey("127.0.0.1", port, TlsPolicy.DISABLED, null, "127.0.0.1");
    Lease a = await(pool.acquire(key(), "mx.test"));
    a.release();
    Lease b = await(pool.acquire(other, "mx.test"));
    assertThat(b.session()).isNotSameAs(a.session());
    assertThat(pool.open(key())).isZero();
    assertThat(pool.open(other)).isEqualTo(1);
    b.release();
    assertThat(handler.peak.get()).isLessThanOrEqualTo(2); // the evicted one may still be closing
  }

  @Test
  void aSessionTheServerClosedIsReplaced() throws Exception {
    pool(new SessionPoolOptions());
    Lease a = await(pool.acquire(key(), "mx.test"));
    a.release();
    await(a.session().close());
    Lease b = await(pool.acquire(key(), "mx.test"));
    assertThat(b.session()).isNotSameAs(a.session());
    assertThat(b.session().isOpen()).isTrue();
    b.release();
  }

  @Test
  void theCapHoldsAcrossEventLoops() throws Exception {
    pool(new SessionPoolOptions().setMaxPerKey(3).setPipelineDepth(1));
    List<Future<Void>> all = new ArrayList<>();
    for (int loop = 0; loop < 4; loop++) {
      Context ctx = vertx.getOrCreateContext();
      for (int i = 0; i < 50; i++) {
        Promise<Void> done = Promise.promise();
        all.add(done.future());
        ctx.runOnContext(v -> pool.acquire(key(), "mx.test")
            .compose(lease -> lease.session().send(MailTransaction.of("a@x.test", List.of("b@y.test"),
                Buffer.buffer("hi\r\n"))).onComplete(ar -> lease.release()))
            .<Void>mapEmpty().onComplete(done));
      }
    }
    await(Future.all(all));
    assertThat(handler.peak.get()).as("connections open at once, seen by the server").isLessThanOrEqualTo(3);
    assertThat(pool.stats().peakPerHost().get("127.0.0.1")).isLessThanOrEqualTo(3);
    assertThat(pool.stats().leases()).isEqualTo(200);
    assertThat(pool.stats().opened()).isLessThanOrEqualTo(3);
  }
}
