package dev.peregrine.cluster;

import dev.peregrine.mailer.MailMessage;
import dev.peregrine.mailer.MailResult;
import dev.peregrine.mailer.Mailer;
import dev.peregrine.mailer.MailerOptions;
import dev.peregrine.mailer.RecipientOutcome;
import dev.peregrine.pool.SessionPoolOptions;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.test.CountingExchanger;
import dev.peregrine.test.RedisFixture;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two Mailers as two nodes of a cluster (each with its own {@link SharedLimits} on one real redis-server)
 * sending to one exchanger that counts its concurrent connections: with {@code pool.max-per-host} 2 the
 * exchanger never sees more than 2 at once from both nodes together, every message is delivered; the same
 * two Mailers without shared limits open up to 2 each (so the check can fail).
 */
class ClusterMailerIT extends VertxFixture {

  private static final int PER_NODE = 30;

  private RedisFixture redis;
  private final List<SharedLimits> limits = new ArrayList<>();
  private final List<Mailer> mailers = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (Mailer m : mailers) {
      m.close().await(30, TimeUnit.SECONDS);
    }
    for (SharedLimits l : limits) {
      l.close().await(30, TimeUnit.SECONDS);
    }
    if (redis != null) {
      redis.close();
    }
  }

  private int server(CountingExchanger h) throws Exception {
    SmtpServer s = SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(0)
        .setHostname("mx.test"), h);
    s.listen().await(10, TimeUnit.SECONDS);
    return s.actualPort();
  }

  private Mailer node(String id, int port, boolean shared) {
    MailerOptions o = new MailerOptions().setPool(new SessionPoolOptions().setMaxPerHost(2).setMaxPerKey(2)
        .setMaxMessagesPerSession(3).setWaitTimeout(Duration.ofSeconds(60)));
    o.getDns().addRoute("*", "[127.0.0.1]:" + port);
    SharedLimits l = null;
    if (shared) {
      l = SharedLimits.create(vertx, new ClusterOptions().setRedisEndpoints(List.of(redis.url())).setNodeId(id)
          .setKeyPrefix("mailer-it:"));
      limits.add(l);
    }
    Mailer m = Mailer.create(vertx, o, null, l);
    mailers.add(m);
    return m;
  }

  private void sendFromBoth(Mailer a, Mailer b) throws Exception {
    List<Future<MailResult>> sent = new ArrayList<>();
    for (int i = 0; i < PER_NODE; i++) {
      Buffer content = Buffer.buffer("Subject: " + i + "\r\n\r\nbody\r\n");
      sent.add(a.send(MailMessage.of("a@node.test", List.of("x" + i + "@dest.test"), content)));
      sent.add(b.send(MailMessage.of("b@node.test", List.of("y" + i + "@dest.test"), content)));
    }
    Future.all(sent).await(120, TimeUnit.SECONDS);
    for (Future<MailResult> f : sent) {
      assertThat(f.result().recipients()).allMatch(r -> r.status() == RecipientOutcome.Status.DELIVERED);
    }
  }

  @Test
  void theCapOfAnExchangerHoldsForTheWholeCluster() throws Exception {
    redis = new RedisFixture();
    CountingExchanger h = new CountingExchanger(vertx, 30); // holds each message 30 ms: sessions overlap
    int port = server(h);
    sendFromBoth(node("a", port, true), node("b", port, true));
    assertThat(h.messages).hasValue(2 * PER_NODE);
    assertThat(h.peak.get()).as("connections open at once, both nodes together").isLessThanOrEqualTo(2);
    long calls = limits.stream().mapToLong(SharedLimits::redisCalls).sum();
    System.out.printf("cluster cap: peak %d connections, %d Redis calls for %d messages (%.2f per message)%n",
        h.peak.get(), calls, 2 * PER_NODE, calls / (double) (2 * PER_NODE));
  }

  @Test
  void withoutSharedLimitsEachNodeUsesTheWholeCap() throws Exception {
    CountingExchanger h = new CountingExchanger(vertx, 30); // holds each message 30 ms: sessions overlap
    int port = server(h);
    sendFromBoth(node("a", port, false), node("b", port, false));
    assertThat(h.messages).hasValue(2 * PER_NODE);
    assertThat(h.peak.get()).as("connections open at once, both nodes together").isGreaterThan(2);
  }
}
