package dev.peregrine.examples;

import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.TlsPolicy;
import dev.peregrine.dns.MxResolverOptions;
import dev.peregrine.mailer.MailRequest;
import dev.peregrine.mailer.Mailer;
import dev.peregrine.mailer.MailerOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.StartTLSOptions;

import java.util.List;

/** The README's migration example: the same program on vertx-mail-client and on Peregrine. */
final class MigrationExample {

  private MigrationExample() {
  }

  static Future<List<String>> withVertxMailClient(Vertx vertx, String host, int port) {
    // readme:migration-vertx-mail
    MailClient client = MailClient.create(vertx, new MailConfig()
        .setHostname(host).setPort(port).setStarttls(StartTLSOptions.OPTIONAL));
    MailMessage message = new MailMessage()
        .setFrom("news@example.org").setTo(List.of("a@example.com", "b@example.net"))
        .setSubject("Hello").setText("Hello from Vert.x");
    return client.sendMail(message).map(result -> result.getRecipients());
    // end:migration-vertx-mail
  }

  /** {@code smarthost}: {@code host:port}, or {@code [address]:port} for an IP address. */
  static Future<List<String>> withPeregrine(Vertx vertx, String smarthost) {
    // readme:migration-peregrine
    Mailer mailer = Mailer.create(vertx, new MailerOptions()
        .setClient(new SmtpClientOptions().setTlsPolicy(TlsPolicy.OPPORTUNISTIC))
        .setDns(new MxResolverOptions().addRoute("*", smarthost)));   // without a route: MX lookups per domain
    dev.peregrine.mailer.MailMessage message = MailRequest.fromJson(new JsonObject()
        .put("from", "news@example.org").put("to", List.of("a@example.com", "b@example.net"))
        .put("subject", "Hello").put("text", "Hello from Peregrine")).toMessage();
    return mailer.send(message).map(result -> result.recipients().stream()
        .filter(o -> o.status() == dev.peregrine.mailer.RecipientOutcome.Status.DELIVERED)
        .map(o -> o.recipient().mailbox().toString()).toList());
    // end:migration-peregrine
  }
}
