package dev.peregrine.cluster.impl;

import dev.peregrine.cluster.ClusterOptions;
import dev.peregrine.cluster.SharedLimits;
import dev.peregrine.test.RedisFixture;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The cluster-wide limits against a real redis-server: two nodes (two {@link RedisLimits} in one JVM, as
 * two processes would be) share a cap and a rate; a node that dies frees its leases within the lease time;
 * with Redis killed the nodes fall back to local limits of cap / expected nodes, and go back to shared
 * limits once it answers again.
 */
class RedisLimitsIT extends VertxFixture {

  private static final long WAIT = 30;

  private RedisFixture redis;
  private final List<SharedLimits> nodes = new ArrayList<>();
  private final String prefix = "test-" + System.nanoTime() + ":";

  @BeforeEach
  void startRedis() throws Exception {
    redis = new RedisFixture();
  }

  @AfterEach
  void stop() throws Exception {
    for (SharedLimits n : nodes) {
      n.close().await(WAIT, TimeUnit.SECONDS);
    }
    redis.close();
  }

  private RedisLimits node(String id, Duration lease) {
    RedisLimits n = new RedisLimits(vertx, new ClusterOptions().setRedisEndpoints(List.of(redis.url())).setNodeId(id)
        .setLeaseTime(lease).setTimeout(Duration.ofMillis(300)).setRetryPeriod(Duration.ofMillis(200))
        .setExpectedNodes(2).setKeyPrefix(prefix));
    nodes.add(n);
    return n;
  }

  @Test
  void aCapHoldsAcrossNodesAndAReleasedSlotGoesToTheOtherNode() throws Exception {
    RedisLimits a = node("a", Duration.ofSeconds(30));
    RedisLimits b = node("b", Duration.ofSeconds(30));
    List<SharedLimits.Permit> held = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      held.add(a.acquire("mx:10.0.0.1", 3, 1000).await(WAIT, TimeUnit.SECONDS));
    }
    held.add(b.acquire("mx:10.0.0.1", 3, 1000).await(WAIT, TimeUnit.SECONDS));
    // Full across the cluster: neither node gets a fourth while the three are held.
    assertThatThrownBy(() -> a.acquire("mx:10.0.0.1", 3, 300).await(WAIT, TimeUnit.SECONDS))
        .isInstanceOf(SharedLimits.LimitWaitException.class).hasMessageContaining("cap 3 across the cluster");
    assertThatThrownBy(() -> b.acquire("mx:10.0.0.1", 3, 300).await(WAIT, TimeUnit.SECONDS))
        .isInstanceOf(SharedLimits.LimitWaitException.class);
    // Another key has its own slots.
    b.acquire("mx:10.0.0.2", 3, 1000).await(WAIT, TimeUnit.SECONDS).release();
    // A waiting node gets the slot the other frees.
    Future<SharedLimits.Permit> waiting = b.acquire("mx:10.0.0.1", 3, 10_000);
    held.remove(0).release();
    held.add(waiting.await(WAIT, TimeUnit.SECONDS));
    assertThat(a.isShared()).isTrue();
    assertThat(a.state()).startsWith("shared: Redis redis://127.0.0.1:");
    assertThat(a.redisCalls() + b.redisCalls()).isGreaterThanOrEqualTo(7);
    held.forEach(SharedLimits.Permit::release);
  }

  @Test
  void theLeasesOfANodeThatStopsRenewingExpire() throws Exception {
    RedisLimits dead = node("dead", Duration.ofMillis(1500));
    RedisLimits alive = node("alive", Duration.ofMillis(1500));
    for (int i = 0; i < 2; i++) {
      dead.acquire("mx:x", 2, 1000).await(WAIT, TimeUnit.SECONDS);
    }
    // Renewed while held: for three lease times the slots stay taken.
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(4500);
    while (System.nanoTime() < until) {
      assertThatThrownBy(() -> alive.acquire("mx:x", 2, 500).await(WAIT, TimeUnit.SECONDS))
          .isInstanceOf(SharedLimits.LimitWaitException.class);
    }
    dead.abandon(); // as if the process died: no renewal, no release
    alive.acquire("mx:x", 2, 10_000).await(WAIT, TimeUnit.SECONDS);
    alive.acquire("mx:x", 2, 10_000).await(WAIT, TimeUnit.SECONDS);
  }

  @Test
  void aRateHoldsAcrossNodes() throws Exception {
    RedisLimits a = node("a", Duration.ofSeconds(30));
    RedisLimits b = node("b", Duration.ofSeconds(30));
    long t0 = System.nanoTime();
    List<Future<Void>> turns = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      turns.add((i % 2 == 0 ? a : b).rate("dest:example.com", 10, 1, 10_000));
    }
    Future.all(turns).await(WAIT, TimeUnit.SECONDS);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    // 10 per second across both: the 20th turn comes 1.9 s after the first at the earliest.
    assertThat(ms).as("20 turns at 10/s across two nodes").isGreaterThanOrEqualTo(1850);
    // A turn further away than the caller will wait is refused, not reserved.
    assertThatThrownBy(() -> a.rate("dest:slow.example", 0.1, 1, 10_000).compose(v ->
        b.rate("dest:slow.example", 0.1, 1, 100)).await(WAIT, TimeUnit.SECONDS))
        .isInstanceOf(SharedLimits.LimitWaitException.class).hasMessageContaining("across the cluster");
  }

  @Test
  void withoutRedisTheNodesUseLocalLimitsAndGoBackWhenItAnswers() throws Exception {
    RedisLimits a = node("a", Duration.ofSeconds(30));
    a.acquire("mx:y", 4, 1000).await(WAIT, TimeUnit.SECONDS).release();
    assertThat(a.isShared()).isTrue();
    redis.stop();
    // The first call finds Redis gone and is served locally: cap 4 / 2 expected nodes = 2 here.
    SharedLimits.Permit p1 = a.acquire("mx:y", 4, 1000).await(WAIT, TimeUnit.SECONDS);
    SharedLimits.Permit p2 = a.acquire("mx:y", 4, 1000).await(WAIT, TimeUnit.SECONDS);
    assertThat(a.isShared()).isFalse();
    assertThat(a.state()).startsWith("local: Redis redis://127.0.0.1:").contains("each cap and rate / 2");
    assertThatThrownBy(() -> a.acquire("mx:y", 4, 200).await(WAIT, TimeUnit.SECONDS))
        .isInstanceOf(SharedLimits.LimitWaitException.class);
    // Rates go on locally too (10/s / 2).
    a.rate("dest:z", 10, 1, 1000).await(WAIT, TimeUnit.SECONDS);
    p1.release();
    p2.release();

    redis.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!a.isShared() && System.nanoTime() < deadline) {
      Thread.sleep(20); // the probe runs every 200 ms: nothing to wait on but time
    }
    assertThat(a.isShared()).as(a.state()).isTrue();
    List<SharedLimits.Permit> held = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      held.add(a.acquire("mx:y", 4, 1000).await(WAIT, TimeUnit.SECONDS));
    }
    assertThatThrownBy(() -> a.acquire("mx:y", 4, 200).await(WAIT, TimeUnit.SECONDS))
        .isInstanceOf(SharedLimits.LimitWaitException.class).hasMessageContaining("across the cluster");
    held.forEach(SharedLimits.Permit::release);
  }
}
