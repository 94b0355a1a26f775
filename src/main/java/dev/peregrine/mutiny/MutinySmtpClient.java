package dev.peregrine.mutiny;

import dev.peregrine.client.SmtpClient;
import dev.peregrine.client.SmtpClientOptions;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/** The {@link SmtpClient} with Mutiny types; calls run on the context that created the facade. */
public final class MutinySmtpClient {

  private final SmtpClient delegate;
  private final Context context;

  public MutinySmtpClient(Vertx vertx, SmtpClient delegate) {
    this.delegate = delegate;
    this.context = vertx.getOrCreateContext();
  }

  public static MutinySmtpClient create(Vertx vertx, SmtpClientOptions options) {
    return new MutinySmtpClient(vertx, SmtpClient.create(vertx, options));
  }

  public SmtpClient getDelegate() {
    return delegate;
  }

  /** {@link SmtpClient#connect(String, int)}. */
  public Uni<MutinyClientSession> connect(String host, int port) {
    return Unis.of(context, () -> delegate.connect(host, port)).map(s -> new MutinyClientSession(context, s));
  }

  /** {@link SmtpClient#connect(String, int, String)}. */
  public Uni<MutinyClientSession> connect(String address, int port, String serverName) {
    return Unis.of(context, () -> delegate.connect(address, port, serverName))
        .map(s -> new MutinyClientSession(context, s));
  }

  /** {@link SmtpClient#close()}. */
  public Uni<Void> close() {
    return Unis.of(context, delegate::close);
  }
}
