package dev.peregrine.mutiny;

import dev.peregrine.client.ClientSession;
import dev.peregrine.client.DeliveryResult;
import dev.peregrine.client.MailTransaction;
import dev.peregrine.protocol.Capabilities;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;

/** A {@link ClientSession} with Mutiny types; calls run on the session's context. */
public final class MutinyClientSession {

  private final Context context;
  private final ClientSession delegate;

  MutinyClientSession(Context context, ClientSession delegate) {
    this.context = context;
    this.delegate = delegate;
  }

  public ClientSession getDelegate() {
    return delegate;
  }

  public Capabilities capabilities() {
    return delegate.capabilities();
  }

  public boolean isTls() {
    return delegate.isTls();
  }

  public boolean isOpen() {
    return delegate.isOpen();
  }

  public int completedTransactions() {
    return delegate.completedTransactions();
  }

  /** {@link ClientSession#send}: per-recipient outcomes; fails as the Future does. */
  public Uni<DeliveryResult> send(MailTransaction transaction) {
    return Unis.of(context, () -> delegate.send(transaction));
  }

  /** {@link ClientSession#quit()}. */
  public Uni<Void> quit() {
    return Unis.of(context, delegate::quit);
  }

  /** {@link ClientSession#close()}. */
  public Uni<Void> close() {
    return Unis.of(context, delegate::close);
  }
}
