package dev.peregrine.pool;

import dev.peregrine.client.ClientSession;
import io.vertx.core.Context;

/**
 * The right to run one transaction on a pooled session. Give it back with {@link #release()} once the
 * transaction's result (or failure) is in; a session that broke meanwhile is dropped by the pool.
 */
public interface Lease {

  ClientSession session();

  /** The session's event loop, where its results complete. */
  Context context();

  /** True when the session had been leased before (so a 421 or EOF now means it went stale while idle). */
  boolean reused();

  /** Hands the session back to the pool. Idempotent. */
  void release();

  /** Closes the session (it is stale or broken) and frees its slot. Idempotent. */
  void discard();
}
