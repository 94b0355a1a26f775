package dev.peregrine.mutiny;

import dev.peregrine.mailer.MailMessage;
import dev.peregrine.mailer.MailResult;
import dev.peregrine.mailer.Mailer;
import dev.peregrine.mailer.MailerMetrics;
import dev.peregrine.mailer.MailerOptions;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * The {@link Mailer} with Mutiny types: one method per Future method, no logic of its own. Calls run on the
 * context that created the facade (an event loop when created off Vert.x), and items arrive there.
 */
public final class MutinyMailer {

  private final Mailer delegate;
  private final Context context;

  public MutinyMailer(Vertx vertx, Mailer delegate) {
    this.delegate = delegate;
    this.context = vertx.getOrCreateContext();
  }

  public static MutinyMailer create(Vertx vertx, MailerOptions options) {
    return new MutinyMailer(vertx, Mailer.create(vertx, options));
  }

  public Mailer getDelegate() {
    return delegate;
  }

  /** {@link Mailer#send}: the outcome of every recipient; never fails for a recipient. */
  public Uni<MailResult> send(MailMessage message) {
    return Unis.of(context, () -> delegate.send(message));
  }

  /**
   * Sends every message of {@code messages}, at most {@code concurrency} at once, and emits each result as it
   * completes (completion order, not input order). Back-pressure holds end to end: messages are requested
   * from upstream only as results are requested downstream, so a slow consumer bounds the messages in
   * flight to {@code concurrency} plus what it has asked for. Use the mailer's {@code max-in-flight} or less.
   */
  public Multi<MailResult> sendAll(Multi<MailMessage> messages, int concurrency) {
    return messages.onItem().transformToUni(this::send).merge(concurrency);
  }

  public MailerMetrics metrics() {
    return delegate.metrics();
  }

  /** {@link Mailer#close}. */
  public Uni<Void> close() {
    return Unis.of(context, delegate::close);
  }
}
