package dev.peregrine.mailer.impl;

import dev.peregrine.test.VertxFixture;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The concurrency and rate limit, on a clock the test moves. */
class ThrottleTest extends VertxFixture {

  private final AtomicLong clock = new AtomicLong(5_000_000_000L);

  private static void awaitAll(List<Future<Void>> fs) throws Exception {
    for (Future<Void> f : fs) {
      f.await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void concurrencyIsCappedAndWaitersGoInOrder() throws Exception {
    Throttle t = new Throttle(vertx, 2, 0, 0, clock::get);
    List<Future<Void>> fs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      fs.add(t.acquire());
    }
    awaitAll(fs.subList(0, 2));
    assertThat(fs.get(2).isComplete()).isFalse();
    t.release();
    fs.get(2).await(10, TimeUnit.SECONDS);
    assertThat(fs.get(3).isComplete()).isFalse();
    t.release();
    fs.get(3).await(10, TimeUnit.SECONDS);
    assertThat(t.active()).isEqualTo(2);
  }

  @Test
  void theRateAllowsABurstThenOnePerInterval() throws Exception {
    Throttle t = new Throttle(vertx, Integer.MAX_VALUE, 2, 2, clock::get); // 2 per second, burst 2
    List<Future<Void>> fs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      fs.add(t.acquire());
    }
    awaitAll(fs.subList(0, 2));
    assertThat(fs.subList(2, 5)).noneMatch(Future::isComplete);
    clock.addAndGet(500_000_000L); // one token
    fs.get(2).await(10, TimeUnit.SECONDS);
    assertThat(fs.get(3).isComplete()).isFalse();
    clock.addAndGet(1_000_000_000L); // two tokens
    awaitAll(fs.subList(3, 5));
  }
}
