package dev.peregrine.examples;

import dev.peregrine.client.MailTransaction;
import dev.peregrine.client.SmtpClient;
import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.TlsPolicy;
import dev.peregrine.config.PeregrineConfig;
import dev.peregrine.mailer.MailMessage;
import dev.peregrine.mailer.Mailer;
import dev.peregrine.mailer.MailerOptions;
import dev.peregrine.mutiny.MutinyMailer;
import dev.peregrine.protocol.Reply;
import dev.peregrine.server.Envelope;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServerVerticle;
import dev.peregrine.server.SmtpSession;
import io.smallrye.mutiny.Multi;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.streams.ReadStream;

import java.util.List;

/**
 * The README's code blocks, as sources that compile: each block between a {@code // readme:NAME} and an
 * {@code // end:NAME} line appears in README.md after {@code <!-- example: NAME -->}, and
 * {@link ReadmeExamplesTest} checks the two are the same text. What the blocks use but do not define
 * (a store, a message, the configuration) is declared around them here.
 */
@SuppressWarnings("unused")
final class ReadmeExamples {

  private ReadmeExamples() {
  }

  static Future<String> store(Envelope envelope, ReadStream<Buffer> content) {
    return Future.succeededFuture("id");
  }

  static void log(Object what) {
    System.out.println(what);
  }

  static void embeddingTheServer(Vertx vertx) {
    // readme:server
    SmtpHandler handler = new SmtpHandler() {
      @Override
      public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
        // Stream the content somewhere durable; complete with null (250) only once it is safe.
        return store(envelope, content).map(id -> Reply.of(250, "2.0.0", "OK queued as " + id));
      }
    };
    vertx.deployVerticle(() -> new SmtpServerVerticle(() -> handler),
        new DeploymentOptions().setInstances(4).setConfig(new JsonObject().put("port", 2525)));
    // end:server
  }

  static void sendingWithTheClient(Vertx vertx, Buffer message) {
    // readme:client
    SmtpClient client = SmtpClient.create(vertx, new SmtpClientOptions()
        .setTlsPolicy(TlsPolicy.OPPORTUNISTIC).setUsername("alice").setPassword("secret"));
    client.connect("mx.example.com", 25).compose(session ->
        session.send(MailTransaction.of("a@example.org", List.of("b@example.com", "c@example.com"), message))
            .onSuccess(result -> result.recipients().forEach(r ->
                System.out.println(r.path() + " " + (r.delivered() ? "delivered" : r.deferred() ? "deferred" : "failed")
                    + ": " + r.finalReply())))
            .compose(result -> session.quit()));
    // end:client
  }

  static void sendingInBulk(Vertx vertx, JsonObject config, Buffer content) {
    // readme:mailer
    Mailer mailer = Mailer.create(vertx, PeregrineConfig.mailer(config));   // or new MailerOptions()...
    mailer.send(MailMessage.of("news@example.org", List.of("a@example.com", "b@example.net"), content))
        .onSuccess(result -> result.recipients().forEach(o ->
            System.out.println(o.recipient() + " " + o.status() + " by " + o.host() + ": " + o.reply())));
    // end:mailer
  }

  static void mutiny(Vertx vertx, MailerOptions options, List<MailMessage> messages) {
    // readme:mutiny
    MutinyMailer mailer = MutinyMailer.create(vertx, options);
    mailer.sendAll(Multi.createFrom().iterable(messages), 100)      // at most 100 messages in flight
        .subscribe().with(result -> log(result.recipients()));
    // end:mutiny
  }

  static void eventBus(Vertx vertx) {
    // readme:event-bus
    vertx.eventBus().<JsonObject>request("peregrine.mail", new JsonObject()
        .put("from", "Zoë <zoe@example.org>").put("to", new JsonArray().add("jorg@example.com"))
        .put("bcc", "audit@example.org")                       // envelope only, never a header
        .put("subject", "Grüße").put("text", "Hallo").put("html", "<p>Hallo <img src=\"cid:logo\"></p>")
        .put("attachments", new JsonArray().add(new JsonObject().put("filename", "logo.png")
            .put("content-type", "image/png").put("path", "/srv/logo.png").put("inline", true).put("content-id", "logo"))))
      .onSuccess(reply -> reply.body().getJsonArray("recipients"))   // {recipient, status, code, enhanced, text, host}
      .onFailure(e -> ((ReplyException) e).failureCode());          // 400: bad request (names the field), 500: retry
    // end:event-bus
  }
}
