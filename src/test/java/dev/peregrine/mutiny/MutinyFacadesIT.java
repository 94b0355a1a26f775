package dev.peregrine.mutiny;

import dev.peregrine.client.MailTransaction;
import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.TlsPolicy;
import dev.peregrine.dns.MxResolverOptions;
import dev.peregrine.mailer.MailMessage;
import dev.peregrine.mailer.MailResult;
import dev.peregrine.mailer.MailerOptions;
import dev.peregrine.protocol.Reply;
import dev.peregrine.server.Envelope;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.server.SmtpSession;
import dev.peregrine.test.VertxFixture;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Mutiny facades against the same loopback peer as the Future API tests (our server, a handler that
 * keeps each message's subject): server, client session and mailer, and back-pressure through
 * {@link MutinyMailer#sendAll}.
 */
class MutinyFacadesIT extends VertxFixture {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private final Set<String> received = ConcurrentHashMap.newKeySet();
  private MutinySmtpServer server;
  private MutinyMailer mailer;

  @BeforeEach
  void startServer() {
    SmtpHandler keep = new SmtpHandler() {
      @Override
      public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
        Promise<Reply> done = Promise.promise();
        Buffer all = Buffer.buffer();
        content.handler(all::appendBuffer).exceptionHandler(done::tryFail).endHandler(v -> {
          received.add(all.toString().lines().findFirst().orElse(""));
          done.tryComplete();
        });
        return done.future();
      }
    };
    server = MutinySmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(0), keep)
        .listen().await().atMost(WAIT);
  }

  @AfterEach
  void stop() {
    if (mailer != null) {
      mailer.close().await().atMost(WAIT);
    }
    server.close().await().atMost(WAIT);
  }

  private static Buffer content(int i) {
    return Buffer.buffer("Subject: m" + i + "\r\n\r\nbody " + i + "\r\n");
  }

  @Test
  void clientSessionSendsThroughUni() {
    MutinySmtpClient client = MutinySmtpClient.create(vertx, new SmtpClientOptions().setTlsPolicy(TlsPolicy.DISABLED));
    MutinyClientSession session = client.connect("127.0.0.1", server.actualPort()).await().atMost(WAIT);
    for (int i = 0; i < 3; i++) {
      var result = session.send(MailTransaction.of("a@x.test", List.of("b@y.test"), content(i))).await().atMost(WAIT);
      assertThat(result.recipients()).allMatch(r -> r.delivered());
    }
    session.quit().await().atMost(WAIT);
    client.close().await().atMost(WAIT);
    assertThat(received).containsExactlyInAnyOrder("Subject: m0", "Subject: m1", "Subject: m2");
  }

  @Test
  void aUniIsLazyAndEachSubscriptionSendsAgain() {
    mailer = MutinyMailer.create(vertx, mailerOptions());
    var send = mailer.send(MailMessage.of("a@x.test", List.of("b@y.test"), content(7)));
    assertThat(received).as("nothing sent before a subscription").isEmpty();
    assertThat(send.await().atMost(WAIT).allDelivered()).isTrue();
    assertThat(send.await().atMost(WAIT).allDelivered()).isTrue();
    assertThat(mailer.metrics().toString()).isNotEmpty();
    assertThat(received).containsExactly("Subject: m7");
  }

  private MailerOptions mailerOptions() {
    return new MailerOptions()
        .setClient(new SmtpClientOptions().setHeloName("sender.test").setTlsPolicy(TlsPolicy.DISABLED))
        .setDns(new MxResolverOptions().addRoute("*", "[127.0.0.1]:" + server.actualPort()));
  }

  /**
   * A consumer that asks for one result at a time: the mailer never has more than the merge's concurrency
   * plus the consumer's demand in flight, however fast the upstream could produce.
   */
  @Test
  void aSlowConsumerBoundsTheMessagesInFlight() {
    mailer = MutinyMailer.create(vertx, mailerOptions());
    int total = 200;
    int concurrency = 4;
    AtomicInteger produced = new AtomicInteger();
    Multi<MailMessage> messages = Multi.createFrom().range(0, total)
        .onItem().invoke(i -> produced.incrementAndGet())
        .map(i -> MailMessage.of("a@x.test", List.of("b@y.test"), content(i)));
    AssertSubscriber<MailResult> consumer = mailer.sendAll(messages, concurrency)
        .subscribe().withSubscriber(AssertSubscriber.create(0));
    int maxAhead = 0;
    for (int k = 1; k <= total; k++) {
      consumer.request(1);
      consumer.awaitItems(k, WAIT);
      int ahead = produced.get() - k;
      maxAhead = Math.max(maxAhead, ahead);
      assertThat(ahead).as("messages taken beyond what the consumer has seen, after %d", k).isLessThanOrEqualTo(concurrency);
    }
    consumer.awaitCompletion(WAIT);
    assertThat(consumer.getItems()).hasSize(total).allMatch(MailResult::allDelivered);
    assertThat(received).hasSize(total);
    assertThat(maxAhead).as("the merge kept messages in flight").isPositive();
  }
}
