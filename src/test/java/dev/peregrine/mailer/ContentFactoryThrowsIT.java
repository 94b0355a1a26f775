package dev.peregrine.mailer;

import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.TlsPolicy;
import dev.peregrine.dns.MxResolverOptions;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.test.VertxFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The message's content factory throws, with CR and LF in its message (a multi-line exception text is
 * common): the recipients fail with the intended 554 5.6.0, the text made fit for a reply line, not with a
 * 451 for a reply that could not be built.
 */
class ContentFactoryThrowsIT extends VertxFixture {

  private Mailer mailer;

  @AfterEach
  void close() throws Exception {
    if (mailer != null) {
      mailer.close().await(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void theRecipientsFailWith554AndTheExceptionsTextOnOneLine() throws Exception {
    SmtpServer server = SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(0),
        new SmtpHandler() { });
    server.listen().await(10, TimeUnit.SECONDS);
    mailer = Mailer.create(vertx, new MailerOptions()
        .setClient(new SmtpClientOptions().setTlsPolicy(TlsPolicy.DISABLED))
        .setDns(new MxResolverOptions().setPort(server.actualPort())));
    MailMessage m = MailMessage.streamed("a@x.test", List.of("b@[127.0.0.1]", "c@[127.0.0.1]"), () -> {
      throw new IllegalStateException("cannot open /spool/1\r\ncaused by: no such file");
    });
    MailResult r = mailer.send(m).await(20, TimeUnit.SECONDS);
    assertThat(r.recipients()).hasSize(2).allSatisfy(o -> {
      assertThat(o.status()).isEqualTo(RecipientOutcome.Status.FAILED);
      assertThat(o.reply().code()).isEqualTo(554);
      assertThat(o.reply().enhanced()).hasToString("5.6.0");
      assertThat(o.reply().text()).isEqualTo("Cannot open the content: cannot open /spool/1  caused by: no such file");
    });
  }
}
