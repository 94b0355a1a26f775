package dev.peregrine.cluster;

import dev.peregrine.cluster.impl.LocalLimits;
import dev.peregrine.cluster.impl.RedisLimits;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Limits that concern the receiving side, shared by the nodes of a cluster: connection caps held as leases
 * and rates as cluster-wide throttles. {@link #create} gives the Redis-backed one when {@link ClusterOptions}
 * names an endpoint (falling back to local limits of cap / expected nodes while Redis is unreachable), else
 * limits local to this node. Every future completes on the caller's context; none fails except when the
 * limits are closed or a wait outlives its deadline.
 */
public interface SharedLimits {

  static SharedLimits create(Vertx vertx, ClusterOptions options) {
    return options.isShared() ? new RedisLimits(vertx, options) : new LocalLimits(vertx, 1);
  }

  /**
   * One of {@code cap} cluster-wide slots of {@code key} (an exchanger address, a destination), held until
   * {@link Permit#release()}; waits while all are taken, until {@code waitMillis} have passed (then fails
   * with a {@link LimitWaitException}).
   */
  Future<Permit> acquire(String key, int cap, long waitMillis);

  /**
   * Completes when one more event of {@code key} fits {@code perSecond} across the cluster (burst: at most
   * {@code burst} at once); fails with a {@link LimitWaitException} when that would be after {@code waitMillis}.
   */
  Future<Void> rate(String key, double perSecond, double burst, long waitMillis);

  /**
   * Called (on no particular thread) with a key this node holds slots of when another node has waited for
   * one lately: a holder should give back the slots it does not use (idle sessions), or the waiter may
   * wait for as long as they stay idle. Local limits never call it.
   */
  default void contentionHandler(java.util.function.Consumer<String> handler) {
  }

  /** True while the limits are shared (Redis answers), false on local limits. */
  boolean isShared();

  /** A line for /ready and the logs: where the limits are held now, and why. */
  String state();

  /** Calls made to Redis so far (round trips), for metrics and benchmarks. */
  long redisCalls();

  /** Releases every permit held and stops renewing them. */
  Future<Void> close();

  /** A slot held; release it exactly once (more calls do nothing). */
  interface Permit {
    void release();
  }

  /** A wait for a slot or a rate outlived its deadline. */
  final class LimitWaitException extends RuntimeException {
    public LimitWaitException(String message) {
      super(message, null, false, false);
    }
  }
}
