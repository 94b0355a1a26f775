package dev.peregrine.client;

import dev.peregrine.test.BlockedThreadDetector;
import dev.peregrine.test.DovecotAuth;
import dev.peregrine.test.PostfixInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Our client against a real Postfix smtpd (a private instance on a loopback port, see
 * {@link PostfixInstance}): PIPELINING, CHUNKING, STARTTLS, AUTH, SIZE, refusals, and the mail really
 * delivered to Maildirs by Postfix.
 */
@ExtendWith(BlockedThreadDetector.class)
class ClientAgainstPostfixIT {

  @TempDir
  static Path dir;
  private static Vertx vertx;
  private static PostfixInstance postfix;

  @BeforeAll
  static void start() throws Exception {
    vertx = BlockedThreadDetector.vertx();
    SelfSignedCertificate cert = SelfSignedCertificate.create("localhost");
    int sasl = DovecotAuth.start(vertx, Map.of("alice", "s3cret"));
    postfix = PostfixInstance.start(dir.resolve("postfix"), cert.certificatePath(), cert.privateKeyPath(), sasl, 200_000);
  }

  @AfterAll
  static void stop() throws Exception {
    if (postfix != null) {
      postfix.close();
    }
    vertx.close().await(20, TimeUnit.SECONDS);
  }

  private static ClientSession connect(SmtpClientOptions o) throws Exception {
    return SmtpClient.create(vertx, o.setHeloName("client.test")).connect("127.0.0.1", postfix.port).await(30, TimeUnit.SECONDS);
  }

  /** Postfix delivers after it queued: waits (bounded) until {@code user} has {@code count} messages. */
  private static List<String> awaitDelivered(String user, int count) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    List<String> got = postfix.delivered(user);
    while (got.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(50);  // the queue manager works on its own schedule; nothing to wait on but the files
      got = postfix.delivered(user);
    }
    assertThat(got).as("messages delivered to " + user + "\n" + postfix.log()).hasSize(count);
    return got;
  }

  @Test
  void pipelinesOverStartTlsWithAuthUsingBdatAndData() throws Exception {
    int sent = 0;
    for (boolean chunking : new boolean[] {true, false}) {
      ClientSession s = connect(new SmtpClientOptions().setTlsPolicy(TlsPolicy.REQUIRED).setChunking(chunking)
          .setUsername("alice").setPassword("s3cret"));
      assertThat(s.isTls()).isTrue();
      assertThat(s.capabilities().pipelining()).isTrue();
      assertThat(s.capabilities().chunking()).isTrue();
      List<Future<DeliveryResult>> all = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        all.add(s.send(MailTransaction.of("sender@client.test", List.of("bob@example.test"),
            Buffer.buffer("Subject: m" + sent++ + " chunking=" + chunking + "\r\n\r\n.dotted\r\nbody\r\n"))));
      }
      Future.all(all).await(60, TimeUnit.SECONDS);
      for (Future<DeliveryResult> f : all) {
        assertThat(f.result().allDelivered()).as(String.valueOf(f.result())).isTrue();
        assertThat(f.result().dataReply().text()).contains("queued as");
      }
      s.quit().await(10, TimeUnit.SECONDS);
    }
    List<String> mail = awaitDelivered("bob", 40);
    assertThat(mail).allMatch(m -> m.contains("\n.dotted\nbody\n"));
    assertThat(mail).filteredOn(m -> m.contains("chunking=true")).hasSize(20);
    // Postfix records the session: ESMTPSA = ESMTP over TLS (S) with AUTH (A).
    assertThat(mail).allMatch(m -> m.contains(" with ESMTPSA id "));
  }

  @Test
  void refusalsArePerRecipientAndTheSessionGoesOn() throws Exception {
    ClientSession s = connect(new SmtpClientOptions());
    assertThat(s.isTls()).as("opportunistic STARTTLS").isTrue();
    DeliveryResult r = s.send(MailTransaction.of("sender@client.test",
        List.of("alice@example.test", "nobody@example.test", "someone@elsewhere.test"), Buffer.buffer("Subject: mixed\r\n\r\nx\r\n")))
        .await(30, TimeUnit.SECONDS);
    assertThat(r.recipients().get(0).delivered()).isTrue();
    assertThat(r.recipients().get(1).failed()).isTrue();
    assertThat(r.recipients().get(1).finalReply().enhanced().toString()).isEqualTo("5.1.1");
    // Relaying without AUTH: Postfix says 454 4.7.1 (transient) by default.
    assertThat(r.recipients().get(2).finalReply().text()).contains("Relay access denied");
    assertThat(r.recipients().get(2).delivered()).isFalse();
    DeliveryResult none = s.send(MailTransaction.of("sender@client.test", List.of("nobody@example.test"), Buffer.buffer("x\r\n")))
        .await(30, TimeUnit.SECONDS);
    assertThat(none.recipients().get(0).failed()).isTrue();
    DeliveryResult after = s.send(MailTransaction.of("sender@client.test", List.of("alice@example.test"),
        Buffer.buffer("Subject: after\r\n\r\ny\r\n"))).await(30, TimeUnit.SECONDS);
    assertThat(after.allDelivered()).isTrue();
    List<String> mail = awaitDelivered("alice", 2);
    assertThat(String.join("", mail)).contains("Subject: mixed").contains("Subject: after");
  }

  @Test
  void wrongPasswordAndOversizedMessagesAreRefused() throws Exception {
    assertThatThrownBy(() -> connect(new SmtpClientOptions().setUsername("alice").setPassword("wrong")))
        .isInstanceOf(SmtpClientException.class).hasMessageContaining("535");
    ClientSession s = connect(new SmtpClientOptions());
    assertThat(s.capabilities().size()).hasValue(200_000);
    assertThatThrownBy(() -> s.send(MailTransaction.of("sender@client.test", List.of("alice@example.test"),
        Buffer.buffer("x".repeat(300_000)))).await(30, TimeUnit.SECONDS)).hasMessageContaining("552 5.3.4");
    assertThat(s.send(MailTransaction.of("sender@client.test", List.of("alice@example.test"), Buffer.buffer("ok\r\n")))
        .await(30, TimeUnit.SECONDS).allDelivered()).isTrue();
  }
}
