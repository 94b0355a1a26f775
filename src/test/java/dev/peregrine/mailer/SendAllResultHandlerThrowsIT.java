package dev.peregrine.mailer;

import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.TlsPolicy;
import dev.peregrine.dns.MxResolverOptions;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The caller's results handler of {@link Mailer#sendAll} throws: the other results still reach it, and the
 * returned future fails with that exception once every result is in, instead of never completing.
 */
class SendAllResultHandlerThrowsIT extends VertxFixture {

  private Mailer mailer;

  @AfterEach
  void close() throws Exception {
    if (mailer != null) {
      mailer.close().await(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void theFutureFailsWithTheHandlersExceptionOnceEveryResultIsIn() throws Exception {
    SmtpServer server = SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(0),
        new SmtpHandler() { });
    server.listen().await(10, TimeUnit.SECONDS);
    mailer = Mailer.create(vertx, new MailerOptions().setMaxInFlight(2)
        .setClient(new SmtpClientOptions().setTlsPolicy(TlsPolicy.DISABLED))
        .setDns(new MxResolverOptions().setPort(server.actualPort())));
    List<MailMessage> messages = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      messages.add(MailMessage.of("a@x.test", List.of("r" + i + "@[127.0.0.1]"), Buffer.buffer("m" + i + "\r\n")));
    }
    List<MailResult> seen = new CopyOnWriteArrayList<>();
    IllegalStateException bug = new IllegalStateException("a bug in the results handler");
    var done = mailer.sendAll(new MailerIT.CountingStream<>(vertx, messages), r -> {
      seen.add(r);
      if (seen.size() == 2) {
        throw bug;
      }
    });
    assertThatThrownBy(() -> done.await(10, TimeUnit.SECONDS)).isSameAs(bug);
    assertThat(seen).hasSize(6).allMatch(MailResult::allDelivered);
  }
}
