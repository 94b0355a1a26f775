package dev.peregrine.mailer;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A mail service on the event bus: JSON messages in, a JSON result per recipient back, so that any verticle
 * (or another node of a clustered Vert.x) sends mail with {@code vertx.eventBus().request(address, json)}.
 *
 * <p>Config: {@code address} (default {@value #DEFAULT_ADDRESS}) and {@code mailer} (the keys of the
 * {@code mailer} section of {@code config/peregrine.yaml}). A request is a {@link MailRequest} in JSON
 * ({@code from}, {@code to}, {@code cc}, {@code bcc}, {@code subject}, {@code text}, {@code html},
 * {@code attachments}, or {@code raw}); the reply is
 * {@code {"recipients": [{"recipient", "status", "code", "enhanced", "text", "host"}]}}. A request that
 * cannot be sent fails with a {@link ReplyException} whose code a caller can act on: {@value #BAD_REQUEST}
 * (the message names the field), {@value #INTERNAL} (the mailer failed; retry later).
 */
public class MailServiceVerticle extends VerticleBase {

  public static final String DEFAULT_ADDRESS = "peregrine.mail";
  public static final int BAD_REQUEST = 400;
  public static final int INTERNAL = 500;

  private Mailer mailer;
  private MessageConsumer<JsonObject> consumer;

  @Override
  public Future<?> start() {
    JsonObject cfg = config();
    try {
      mailer = Mailer.create(vertx, new MailerOptions(cfg.getJsonObject("mailer", new JsonObject())));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    consumer = vertx.eventBus().consumer(cfg.getString("address", DEFAULT_ADDRESS), this::handle);
    return consumer.completion();
  }

  private void handle(Message<JsonObject> request) {
    // Building reads attachment files and encodes MIME: on a worker, never on the event loop.
    vertx.executeBlocking(() -> MailRequest.fromJson(request.body()).toMessage(), false)
        .onFailure(e -> request.fail(e instanceof IllegalArgumentException ? BAD_REQUEST : INTERNAL,
            e instanceof IllegalArgumentException ? e.getMessage() : "cannot build the message: " + e))
        .onSuccess(message -> mailer.send(message).onComplete(ar -> {
          if (ar.failed()) {
            request.fail(INTERNAL, String.valueOf(ar.cause().getMessage()));
            return;
          }
          JsonArray out = new JsonArray();
          for (RecipientOutcome o : ar.result().recipients()) {
            out.add(new JsonObject()
                .put("recipient", o.recipient().mailbox() == null ? "Postmaster" : o.recipient().mailbox().toString())
                .put("status", o.status().name().toLowerCase(java.util.Locale.ROOT))
                .put("code", o.reply().code())
                .put("enhanced", o.reply().enhanced() == null ? null : o.reply().enhanced().toString())
                .put("text", o.reply().text())
                .put("host", o.host()));
          }
          request.reply(new JsonObject().put("recipients", out));
        }));
  }

  @Override
  public Future<?> stop() {
    Future<Void> unregistered = consumer == null ? Future.succeededFuture() : consumer.unregister();
    return unregistered.eventually(() -> mailer == null ? Future.succeededFuture() : mailer.close());
  }

  /** True for a reply failure this service sent on purpose (not a timeout or a missing consumer). */
  public static boolean isServiceFailure(Throwable t) {
    return t instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE;
  }
}
