package dev.peregrine.client;

import dev.peregrine.protocol.Timeouts;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Each of the four kinds of client failure, from the situation that makes it, over loopback. */
class ClientFailureKindsIT extends VertxFixture {

  private static SmtpClientFailure failure(Throwable e) {
    assertThat(e).isInstanceOf(SmtpClientFailure.class);
    return (SmtpClientFailure) e;
  }

  @Test
  void refusedLocallyRejectedLostAndTimedOut() throws Exception {
    SmtpServer server = SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(0)
        .setMaxMessageSize(100), new SmtpHandler() { });
    server.listen().await(10, TimeUnit.SECONDS);
    SmtpClient client = SmtpClient.create(vertx, new SmtpClientOptions().setTlsPolicy(TlsPolicy.DISABLED));
    ClientSession s = client.connect("127.0.0.1", server.actualPort()).await(20, TimeUnit.SECONDS);

    SmtpClientFailure tooBig = failure(catchThrowable(() -> s.send(MailTransaction.of("a@x.test", List.of("b@y.test"),
        Buffer.buffer("x".repeat(200)))).await(10, TimeUnit.SECONDS)));
    assertThat(tooBig.kind()).isEqualTo(SmtpClientFailure.Kind.REFUSED_LOCALLY);
    assertThat(((SmtpClientException) tooBig).phase()).isEqualTo(SmtpClientException.Phase.MAIL);
    assertThat(((SmtpClientException) tooBig).command()).isNull();

    // The server knows no users: AUTH is refused with 535, answering AUTH PLAIN (the secret not shown).
    SmtpClientFailure refused = failure(catchThrowable(() -> SmtpClient.create(vertx, new SmtpClientOptions()
        .setTlsPolicy(TlsPolicy.DISABLED).setUsername("u").setPassword("p"))
        .connect("127.0.0.1", SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(0)
            .setAllowPlaintextAuth(true), new SmtpHandler() { }).listen().await(10, TimeUnit.SECONDS).actualPort())
        .await(20, TimeUnit.SECONDS)));
    assertThat(refused.kind()).isEqualTo(SmtpClientFailure.Kind.REJECTED);
    assertThat(((SmtpClientException) refused).phase()).isEqualTo(SmtpClientException.Phase.AUTH);
    assertThat(((SmtpClientException) refused).command()).isEqualTo("AUTH PLAIN ****");
    assertThat(((SmtpClientException) refused).reply().code()).isEqualTo(535);

    s.close().await(10, TimeUnit.SECONDS);
    SmtpClientFailure closed = failure(catchThrowable(() -> s.send(MailTransaction.of("a@x.test", List.of("b@y.test"),
        Buffer.buffer("x\r\n"))).await(10, TimeUnit.SECONDS)));
    assertThat(closed.kind()).isEqualTo(SmtpClientFailure.Kind.CONNECTION_LOST);

    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
      SmtpClientOptions o = new SmtpClientOptions();
      o.setTimeouts(o.getTimeouts().with(Timeouts.Phase.GREETING, Duration.ofMillis(300)));
      SmtpClientFailure late = failure(catchThrowable(() -> SmtpClient.create(vertx, o)
          .connect("127.0.0.1", silent.getLocalPort()).await(20, TimeUnit.SECONDS)));
      assertThat(late.kind()).isEqualTo(SmtpClientFailure.Kind.TIMED_OUT);
    }
  }

  @Test
  void onlyTheTransactionsPhasesAreTheMessages() {
    assertThat(List.of(SmtpClientException.Phase.values()))
        .filteredOn(SmtpClientException.Phase::isTransaction)
        .containsExactly(SmtpClientException.Phase.MAIL, SmtpClientException.Phase.RCPT, SmtpClientException.Phase.DATA,
            SmtpClientException.Phase.CONTENT, SmtpClientException.Phase.RSET);
  }
}
