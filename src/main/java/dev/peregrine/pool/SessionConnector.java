package dev.peregrine.pool;

import dev.peregrine.client.ClientSession;
import io.vertx.core.Future;

/** Opens a ready session for a key; called on the event loop that will own the session. */
@FunctionalInterface
public interface SessionConnector {

  /** {@code serverName} is the MX host's name, for SNI and certificate checks. */
  Future<ClientSession> connect(PoolKey key, String serverName);
}
