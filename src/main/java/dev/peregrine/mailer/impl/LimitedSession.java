package dev.peregrine.mailer.impl;

import dev.peregrine.client.ClientSession;
import dev.peregrine.client.DeliveryResult;
import dev.peregrine.client.MailTransaction;
import dev.peregrine.cluster.SharedLimits;
import dev.peregrine.protocol.Capabilities;
import io.vertx.core.Future;

/**
 * A session that holds a cluster-wide connection slot ({@link SharedLimits.Permit}) for its exchanger
 * address, released once the session is closed (QUIT or close: the pool ends every session it drops with
 * one of them, whoever closed it first).
 */
final class LimitedSession implements ClientSession {

  private final ClientSession session;
  private final SharedLimits.Permit permit;

  LimitedSession(ClientSession session, SharedLimits.Permit permit) {
    this.session = session;
    this.permit = permit;
  }

  @Override
  public String id() {
    return session.id();
  }

  @Override
  public Capabilities capabilities() {
    return session.capabilities();
  }

  @Override
  public boolean isTls() {
    return session.isTls();
  }

  @Override
  public boolean isOpen() {
    return session.isOpen();
  }

  @Override
  public int completedTransactions() {
    return session.completedTransactions();
  }

  @Override
  public Future<DeliveryResult> send(MailTransaction transaction) {
    return session.send(transaction);
  }

  @Override
  public Future<Void> quit() {
    // Released once the connection is gone, so the next holder's connect does not overlap ours.
    return session.quit().onComplete(ar -> permit.release());
  }

  @Override
  public Future<Void> close() {
    return session.close().onComplete(ar -> permit.release());
  }
}
