package dev.peregrine.server;

import dev.peregrine.server.impl.SmtpServerImpl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * A non-blocking SMTP server (RFC 5321 with PIPELINING, SIZE, 8BITMIME, SMTPUTF8, CHUNKING/BINARYMIME,
 * DSN, ENHANCEDSTATUSCODES, STARTTLS, AUTH PLAIN/LOGIN, the PROXY protocol) that asks an
 * {@link SmtpHandler} what to do with each step.
 *
 * <p>One instance listens on one address from one event loop; deploy {@link SmtpServerVerticle} once per
 * loop to use every core (connection limits are shared by all instances on an address). Futures complete on
 * the context that called {@link #listen()}.
 */
public interface SmtpServer {

  static SmtpServer create(Vertx vertx, SmtpServerOptions options, SmtpHandler handler) {
    return new SmtpServerImpl(vertx, options, handler);
  }

  /** Starts listening; fails with the bind error (address in use, bad certificate path...). */
  Future<SmtpServer> listen();

  /** The port listened on (the chosen one when the options said 0); 0 before {@link #listen()}. */
  int actualPort();

  /** Connections open on this instance. */
  int connectionCount();

  /**
   * Stops accepting, answers idle sessions with 421 4.3.2, lets transactions in flight finish within
   * the grace period, then sends 421 and closes what is left. Completes when every connection is closed.
   */
  Future<Void> shutdown();

  /** Closes the listener and every connection at once. */
  Future<Void> close();
}
