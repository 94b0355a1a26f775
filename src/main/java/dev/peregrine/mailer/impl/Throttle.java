package dev.peregrine.mailer.impl;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * A concurrency limit and a token-bucket rate limit in one, shared across event loops: {@link #acquire()}
 * completes (on the caller's context) when a permit and a token are both free, in arrival order; a
 * timer wakes the queue when it waits for tokens only. {@code rate} 0 means no rate limit.
 */
final class Throttle {

  private final Vertx vertx;
  private final int maxConcurrent;
  private final double ratePerNano;
  private final double burst;
  private final LongSupplier clock;
  private record Waiting(ContextInternal context, Promise<Void> promise) {
  }

  private final ArrayDeque<Waiting> queue = new ArrayDeque<>();
  private int active;
  private double tokens;
  private long refilledAt;
  private boolean timerSet;
  /** Holders between {@link MailerImpl}'s lookup and release; changed only inside the map's compute. */
  int users;

  Throttle(Vertx vertx, int maxConcurrent, double ratePerSecond, double burst, LongSupplier clock) {
    this.vertx = vertx;
    this.maxConcurrent = maxConcurrent;
    this.ratePerNano = ratePerSecond / 1e9;
    this.burst = Math.max(1, burst);
    this.clock = clock;
    this.tokens = this.burst;
    this.refilledAt = clock.getAsLong();
  }

  Future<Void> acquire() {
    ContextInternal ctx = (ContextInternal) vertx.getOrCreateContext();
    Promise<Void> p = ctx.promise();
    synchronized (this) {
      if (queue.isEmpty() && active < maxConcurrent && takeToken()) {
        active++;
        p.complete(); // at once, on the caller's own stack
        return p.future();
      }
      queue.add(new Waiting(ctx, p));
    }
    drain();
    return p.future();
  }

  void release() {
    synchronized (this) {
      active--;
    }
    drain();
  }

  synchronized int active() {
    return active;
  }

  /** Nothing running or waiting, and a full bucket: forgetting it now changes no limit. */
  synchronized boolean idle() {
    if (active > 0 || !queue.isEmpty()) {
      return false;
    }
    if (ratePerNano <= 0) {
      return true;
    }
    long now = clock.getAsLong();
    return tokens + (now - refilledAt) * ratePerNano >= burst;
  }

  private void drain() {
    List<Waiting> ready = new ArrayList<>();
    synchronized (this) {
      while (!queue.isEmpty() && active < maxConcurrent && takeToken()) {
        active++;
        ready.add(queue.poll());
      }
      if (!queue.isEmpty() && active < maxConcurrent && !timerSet) {
        // Waiting for a token: wake when the next one is due.
        timerSet = true;
        long delayMs = Math.max(1, (long) Math.ceil((1 - tokens) / ratePerNano / 1e6));
        vertx.setTimer(delayMs, id -> {
          synchronized (this) {
            timerSet = false;
          }
          drain();
        });
      }
    }
    for (Waiting w : ready) {
      // A task of its own on the waiter's event loop: completing inline would run the waiter's whole
      // transaction, whose release drains the next one, on this stack (deep with a long queue).
      w.context().runOnContext(v -> w.promise().complete());
    }
  }

  private boolean takeToken() {
    if (ratePerNano <= 0) {
      return true;
    }
    long now = clock.getAsLong();
    tokens = Math.min(burst, tokens + (now - refilledAt) * ratePerNano);
    refilledAt = now;
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }
}
