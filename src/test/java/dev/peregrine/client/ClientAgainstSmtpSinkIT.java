package dev.peregrine.client;

import dev.peregrine.test.Peer;
import dev.peregrine.protocol.Timeouts;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Our client against Postfix's smtp-sink, with its fault injection (-r, -f, -Q, -p). */
class ClientAgainstSmtpSinkIT extends VertxFixture {

  private Peer.Daemon sink;

  @AfterEach
  void stop() throws Exception {
    if (sink != null) {
      sink.close();
    }
  }

  /** Starts smtp-sink with {@code flags} on a free loopback port; waits (bounded) until it accepts. */
  private int sink(String... flags) throws Exception {
    int port = Peer.freePort();
    List<String> cmd = new ArrayList<>(List.of("/usr/sbin/smtp-sink"));
    if ("root".equals(System.getProperty("user.name"))) {
      cmd.addAll(List.of("-u", "nobody"));
    }
    cmd.addAll(List.of(flags));
    cmd.addAll(List.of("127.0.0.1:" + port, "100"));
    sink = Peer.daemon(cmd, port, 10);
    return port;
  }

  private ClientSession connect(int port) throws Exception {
    return SmtpClient.create(vertx, new SmtpClientOptions().setHeloName("client.test")).connect("127.0.0.1", port)
        .await(20, TimeUnit.SECONDS);
  }

  @Test
  void pipelinesFiveHundredMessagesOnOneSession() throws Exception {
    int port = sink();
    ClientSession s = connect(port);
    assertThat(s.capabilities().pipelining()).isTrue();
    List<Future<DeliveryResult>> all = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      all.add(s.send(MailTransaction.of("a@example.org", List.of("b@example.com", "c@example.com"),
          Buffer.buffer("Subject: " + i + "\r\n\r\n.body " + i + "\r\n"))));
    }
    Future.all(all).await(60, TimeUnit.SECONDS);
    assertThat(all).allMatch(f -> f.result().allDelivered());
    assertThat(s.completedTransactions()).isEqualTo(500);
    s.quit().await(10, TimeUnit.SECONDS);
  }

  @Test
  void softRejectedRecipientsAreDeferredAndTheSessionGoesOnWithoutPipelining() throws Exception {
    int port = sink("-r", "RCPT");
    ClientSession s = connect(port);
    assertThat(s.capabilities().pipelining()).as("-r implies no PIPELINING").isFalse();
    for (int i = 0; i < 3; i++) {
      DeliveryResult r = s.send(MailTransaction.of("a@example.org", List.of("b@example.com"), Buffer.buffer("x\r\n")))
          .await(20, TimeUnit.SECONDS);
      assertThat(r.recipients().get(0).deferred()).isTrue();
      assertThat(r.dataReply()).as("no DATA without a recipient").isNull();
    }
  }

  @Test
  void aRefusedSenderFailsEveryRecipient() throws Exception {
    int port = sink("-f", "MAIL");
    ClientSession s = connect(port);
    DeliveryResult r = s.send(MailTransaction.of("a@example.org", List.of("b@example.com", "c@example.com"), Buffer.buffer("x\r\n")))
        .await(20, TimeUnit.SECONDS);
    assertThat(r.mailReply().isPermanent()).isTrue();
    assertThat(r.recipients()).allMatch(DeliveryResult.RecipientResult::failed);
  }

  @Test
  void aServerThatHangsUpWith421MidTransactionDefersTheRecipientsWithItsReply() throws Exception {
    int port = sink("-Q", "RCPT");
    ClientSession s = connect(port);
    // 421 answers every command still pending (RFC 5321 §3.8): the recipient's outcome is the server's
    // reply, a transient one, rather than "connection closed".
    DeliveryResult r = s.send(MailTransaction.of("a@example.org", List.of("b@example.com"), Buffer.buffer("x\r\n")))
        .await(20, TimeUnit.SECONDS);
    assertThat(r.recipients().get(0).deferred()).isTrue();
    assertThat(r.recipients().get(0).finalReply().code()).isEqualTo(421);
    assertThat(r.dataReply()).isNull();
    assertThat(s.isOpen()).isFalse();
    assertThatThrownBy(() -> s.send(MailTransaction.of("a@example.org", List.of("b@example.com"), Buffer.buffer("x\r\n")))
        .await(20, TimeUnit.SECONDS)).isInstanceOf(SmtpConnectionException.class);
  }

  @Test
  void aReplySlowerThanItsTimeoutFailsNamingTheCommandAndAFasterOneIsWaitedFor() throws Exception {
    // One second before each reply to DATA. (-W rcpt:1 is no use here: under pipelining smtp-sink answers
    // DATA with 503 before the delayed RCPT.)
    int port = sink("-w", "1");
    SmtpClientOptions impatient = new SmtpClientOptions().setHeloName("client.test");
    impatient.setTimeouts(impatient.getTimeouts().with(Timeouts.Phase.DATA_INIT, Duration.ofMillis(300)));
    ClientSession s = SmtpClient.create(vertx, impatient).connect("127.0.0.1", port).await(20, TimeUnit.SECONDS);
    assertThatThrownBy(() -> s.send(MailTransaction.of("a@example.org", List.of("b@example.com"), Buffer.buffer("x\r\n")))
        .await(20, TimeUnit.SECONDS))
        .isInstanceOf(SmtpConnectionException.class).hasMessageContaining("did not answer DATA within PT0.3S");
    assertThat(s.isOpen()).isFalse();
    // The default DATA timeout (2 minutes) waits the second out.
    ClientSession patient = connect(port);
    assertThat(patient.send(MailTransaction.of("a@example.org", List.of("b@example.com"), Buffer.buffer("x\r\n")))
        .await(20, TimeUnit.SECONDS).allDelivered()).isTrue();
  }
}
