package dev.peregrine.pool;

import java.util.Map;

/**
 * Counters of a {@link SessionPool} since it started: sessions opened and failed to open, leases (and how
 * many went to an already used session), sessions closed, those open now, and the most sessions ever open at
 * once per remote address.
 */
public record PoolStats(long opened, long connectFailures, long leases, long reusedLeases, long closed, int open,
                        Map<String, Integer> peakPerHost) {

  /** Leases served by a session that had been used before, as a share of all leases. */
  public double reuseRatio() {
    return leases == 0 ? 0 : (double) reusedLeases / leases;
  }
}
