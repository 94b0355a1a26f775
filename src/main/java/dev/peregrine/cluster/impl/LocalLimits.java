package dev.peregrine.cluster.impl;

import dev.peregrine.cluster.SharedLimits;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Limits held in this process only: each cap and rate divided by {@code divisor} (the expected node count
 * when standing in for a cluster whose Redis is unreachable; 1 for a node alone), a cap at least one.
 * Slots are granted in arrival order; rates are a GCRA that reserves the caller's turn, so a caller told to
 * wait is sure to get it. Thread-safe (one lock); futures complete on the caller's context.
 */
public final class LocalLimits implements SharedLimits {

  private final Vertx vertx;
  private final int divisor;
  private final Map<String, Slots> slots = new HashMap<>();
  private final Map<String, Long> tats = new HashMap<>();
  private boolean closed;

  public LocalLimits(Vertx vertx, int divisor) {
    this.vertx = vertx;
    this.divisor = Math.max(1, divisor);
  }

  private static final class Slots {
    int held;
    final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  }

  private record Waiter(ContextInternal ctx, Promise<Permit> promise, long[] timer) {
  }

  /** The share of {@code cap} this process may use. */
  int localCap(int cap) {
    return Math.max(1, cap / divisor);
  }

  @Override
  public Future<Permit> acquire(String key, int cap, long waitMillis) {
    ContextInternal ctx = (ContextInternal) vertx.getOrCreateContext();
    Promise<Permit> p = ctx.promise();
    int local = localCap(cap);
    synchronized (this) {
      if (closed) {
        return ctx.failedFuture(new IllegalStateException("the limits are closed"));
      }
      Slots s = slots.computeIfAbsent(key, k -> new Slots());
      if (s.waiters.isEmpty() && s.held < local) {
        s.held++;
        p.complete(permit(key));
        return p.future();
      }
      long[] timer = {-1};
      Waiter w = new Waiter(ctx, p, timer);
      s.waiters.add(w);
      timer[0] = vertx.setTimer(Math.max(1, waitMillis), id -> expire(key, w, waitMillis));
    }
    return p.future();
  }

  private void expire(String key, Waiter w, long waitMillis) {
    boolean removed;
    synchronized (this) {
      Slots s = slots.get(key);
      removed = s != null && s.waiters.remove(w);
      if (s != null && s.held == 0 && s.waiters.isEmpty()) {
        slots.remove(key);
      }
    }
    if (removed) {
      w.promise().tryFail(new LimitWaitException("no slot of " + key + " came free within " + waitMillis + " ms"));
    }
  }

  private Permit permit(String key) {
    AtomicBoolean done = new AtomicBoolean();
    return () -> {
      if (done.compareAndSet(false, true)) {
        release(key);
      }
    };
  }

  private void release(String key) {
    Waiter next = null;
    synchronized (this) {
      Slots s = slots.get(key);
      if (s == null) {
        return;
      }
      s.held--;
      next = s.waiters.poll();
      if (next != null) {
        s.held++;
        vertx.cancelTimer(next.timer()[0]);
      } else if (s.held <= 0) {
        slots.remove(key);
      }
    }
    if (next != null) {
      Waiter w = next;
      w.ctx().runOnContext(v -> w.promise().complete(permit(key)));
    }
  }

  @Override
  public Future<Void> rate(String key, double perSecond, double burst, long waitMillis) {
    ContextInternal ctx = (ContextInternal) vertx.getOrCreateContext();
    if (perSecond <= 0) {
      return ctx.succeededFuture();
    }
    long delay = reserve(key, perSecond / divisor, Math.max(1, burst / divisor), waitMillis * 1000);
    if (delay < 0) {
      return ctx.failedFuture(new LimitWaitException("the rate of " + key + " allows no turn within " + waitMillis + " ms"));
    }
    if (delay == 0) {
      return ctx.succeededFuture();
    }
    Promise<Void> p = ctx.promise();
    vertx.setTimer(Math.max(1, (delay + 999) / 1000), id -> ctx.runOnContext(v -> p.complete()));
    return p.future();
  }

  /** GCRA in microseconds: the wait before this caller's turn (reserved), or -1 when over {@code maxWait}. */
  synchronized long reserve(String key, double perSecond, double burst, long maxWaitMicros) {
    long now = System.nanoTime() / 1000;
    long interval = Math.max(1, (long) (1_000_000 / perSecond));
    long tolerance = (long) ((burst - 1) * interval);
    long tat = Math.max(tats.getOrDefault(key, now), now);
    long delay = Math.max(0, tat - now - tolerance);
    if (delay > maxWaitMicros) {
      return -1;
    }
    tats.put(key, tat + interval);
    if (tats.size() > 10_000) {
      // Forget the keys whose bucket is full again: their next turn is now.
      for (Iterator<Map.Entry<String, Long>> it = tats.entrySet().iterator(); it.hasNext(); ) {
        if (it.next().getValue() < now) {
          it.remove();
        }
      }
    }
    return delay;
  }

  @Override
  public boolean isShared() {
    return false;
  }

  @Override
  public String state() {
    return divisor == 1 ? "local (a node alone)" : "local: each cap and rate / " + divisor;
  }

  @Override
  public long redisCalls() {
    return 0;
  }

  @Override
  public Future<Void> close() {
    List<Waiter> failed = new ArrayList<>();
    synchronized (this) {
      closed = true;
      for (Slots s : slots.values()) {
        failed.addAll(s.waiters);
        s.waiters.clear();
      }
    }
    for (Waiter w : failed) {
      vertx.cancelTimer(w.timer()[0]);
      w.promise().tryFail(new IllegalStateException("the limits are closed"));
    }
    return Future.succeededFuture();
  }
}
