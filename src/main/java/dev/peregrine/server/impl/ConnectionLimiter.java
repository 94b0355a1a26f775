package dev.peregrine.server.impl;

import io.vertx.core.shareddata.Shareable;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Connection counts for one listening address, shared by every server instance on it (one per event loop),
 * so that the limits hold for the process and not per loop. Lock-free; any thread.
 */
final class ConnectionLimiter implements Shareable {

  private final AtomicInteger total = new AtomicInteger();
  private final ConcurrentHashMap<String, Integer> perIp = new ConcurrentHashMap<>();

  /** Takes a slot for {@code ip}; false when a limit is reached (nothing taken). */
  boolean tryAcquire(String ip, int maxTotal, int maxPerIp) {
    if (total.incrementAndGet() > maxTotal) {
      total.decrementAndGet();
      return false;
    }
    boolean[] taken = {false};
    // compute() runs atomically per key, so a count can never be incremented after it was removed.
    perIp.compute(ip, (k, n) -> {
      int count = n == null ? 0 : n;
      if (count >= maxPerIp) {
        return n;
      }
      taken[0] = true;
      return count + 1;
    });
    if (!taken[0]) {
      total.decrementAndGet();
    }
    return taken[0];
  }

  void release(String ip) {
    total.decrementAndGet();
    perIp.computeIfPresent(ip, (k, n) -> n <= 1 ? null : n - 1);
  }

  int total() {
    return total.get();
  }
}
