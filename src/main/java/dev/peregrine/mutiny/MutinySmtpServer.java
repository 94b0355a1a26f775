package dev.peregrine.mutiny;

import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/** The {@link SmtpServer} with Mutiny types; calls run on the context that created the facade. */
public final class MutinySmtpServer {

  private final SmtpServer delegate;
  private final Context context;

  public MutinySmtpServer(Vertx vertx, SmtpServer delegate) {
    this.delegate = delegate;
    this.context = vertx.getOrCreateContext();
  }

  public static MutinySmtpServer create(Vertx vertx, SmtpServerOptions options, SmtpHandler handler) {
    return new MutinySmtpServer(vertx, SmtpServer.create(vertx, options, handler));
  }

  public SmtpServer getDelegate() {
    return delegate;
  }

  /** {@link SmtpServer#listen()}. */
  public Uni<MutinySmtpServer> listen() {
    return Unis.of(context, delegate::listen).replaceWith(this);
  }

  public int actualPort() {
    return delegate.actualPort();
  }

  public int connectionCount() {
    return delegate.connectionCount();
  }

  /** {@link SmtpServer#shutdown()}. */
  public Uni<Void> shutdown() {
    return Unis.of(context, delegate::shutdown);
  }

  /** {@link SmtpServer#close()}. */
  public Uni<Void> close() {
    return Unis.of(context, delegate::close);
  }
}
