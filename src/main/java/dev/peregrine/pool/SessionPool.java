package dev.peregrine.pool;

import dev.peregrine.pool.impl.SessionPoolImpl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Warm SMTP sessions per {@link PoolKey}, shared by every event loop: a lease goes to an idle session when
 * there is one, to a new session while the caps allow, to a busy session that has room in its pipeline,
 * or else waits (bounded queue, timeout). Sessions end at their message, age or idle cap; an address whose
 * connection failed is marked down for a back-off interval and refused fast meanwhile.
 */
public interface SessionPool {

  static SessionPool create(Vertx vertx, SessionPoolOptions options, SessionConnector connector) {
    return new SessionPoolImpl(vertx, options, connector);
  }

  /**
   * A session for {@code key}. Fails with {@link HostDownException}, {@link PoolExhaustedException}, or what
   * the connector failed with. Completes on the caller's context.
   */
  Future<Lease> acquire(PoolKey key, String serverName);

  PoolStats stats();

  /**
   * Ends the idle sessions to {@code address} (those no transaction uses now), as when another node of a
   * cluster waits for one of the address's shared slots. Returns how many it starts to end.
   */
  int closeIdle(String address);

  /** Sessions open now for {@code key}. */
  int open(PoolKey key);

  /** QUITs every session and fails every waiter. */
  Future<Void> close();
}
