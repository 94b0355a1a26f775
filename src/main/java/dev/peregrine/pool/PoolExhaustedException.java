package dev.peregrine.pool;

/** No session became free for a waiter within the wait timeout, or the queue of waiters was full. */
public class PoolExhaustedException extends RuntimeException {

  public PoolExhaustedException(String message) {
    super(message);
  }
}
