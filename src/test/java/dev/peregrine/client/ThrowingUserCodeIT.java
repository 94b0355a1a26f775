package dev.peregrine.client;

import dev.peregrine.test.ChunkStream;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.peregrine.client.ScriptedServer.step;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * User code that throws while the client is matching replies to commands (a result listener, a content
 * stream's resume()): the client's reply matching must stay in step, and the transaction whose stream
 * broke must fail at once rather than wait for a timeout.
 */
class ThrowingUserCodeIT extends VertxFixture {

  private static final String GREETING = "220 mx.test ESMTP\r\n";
  private static final String EHLO = "EHLO client.test\r\n";

  private SmtpClient client() {
    return SmtpClient.create(vertx, new SmtpClientOptions().setHeloName("client.test").setTlsPolicy(TlsPolicy.DISABLED));
  }

  @Test
  void aResultListenerThatThrowsIsReportedAndTheNextTransactionKeepsItsReplies() throws Exception {
    List<Throwable> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
    vertx.exceptionHandler(reported::add);
    // The first message's final reply and the second transaction's replies come in one read.
    ScriptedServer server = ScriptedServer.start(vertx, GREETING, List.of(
        step(EHLO, "250-mx.test\r\n250 PIPELINING\r\n"),
        step("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n", "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 Go ahead\r\n"),
        step("one\r\n.\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n",
            "250 2.0.0 queued as ONE\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 Go ahead\r\n"),
        step("two\r\n.\r\n", "250 2.0.0 queued as TWO\r\n")));
    IllegalStateException bug = new IllegalStateException("a bug in the caller's listener");
    List<Future<DeliveryResult>> sent = client().connect("127.0.0.1", server.port).map(s -> {
      Future<DeliveryResult> first = s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), Buffer.buffer("one\r\n")));
      first.onSuccess(r -> {
        throw bug;
      });
      return List.of(first, s.send(MailTransaction.of("a@x.test", List.of("c@y.test"), Buffer.buffer("two\r\n"))));
    }).await(20, TimeUnit.SECONDS);
    assertThat(sent.get(0).await(5, TimeUnit.SECONDS).dataReply().text()).isEqualTo("queued as ONE");
    assertThat(sent.get(1).await(5, TimeUnit.SECONDS).dataReply().text()).isEqualTo("queued as TWO");
    assertThat(server.problems()).isEmpty();
    assertThat(server.done()).isEqualTo(server.steps());
    // Not swallowed: Vert.x reports it (the context's exception handler, else its log).
    assertThat(reported).containsExactly(bug);
  }

  @Test
  void aStreamThatThrowsAfterThe354DropsTheSessionRatherThanSendTheNextCommandsAsContent() throws Exception {
    ScriptedServer server = ScriptedServer.start(vertx, GREETING, List.of(
        step(EHLO, "250-mx.test\r\n250 PIPELINING\r\n"),
        step("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n", "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 Go ahead\r\n")));
    ReadStream<Buffer> broken = new ChunkStream(vertx.getOrCreateContext(), List.of(Buffer.buffer("never\r\n"))) {
      @Override
      public ReadStream<Buffer> resume() {
        throw new IllegalStateException("the stream broke on resume");
      }
    };
    List<Future<DeliveryResult>> sent = client().connect("127.0.0.1", server.port).map(s -> List.of(
        s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), broken)),
        s.send(MailTransaction.of("a@x.test", List.of("c@y.test"), Buffer.buffer("second\r\n"))))).await(20, TimeUnit.SECONDS);
    assertThatThrownBy(() -> sent.get(0).await(5, TimeUnit.SECONDS))
        .isInstanceOfSatisfying(SmtpClientException.class, e -> {
          assertThat(e.phase()).isEqualTo(SmtpClientException.Phase.CONTENT);
          assertThat(e.reply().text()).contains("the stream broke on resume");
        });
    assertThatThrownBy(() -> sent.get(1).await(5, TimeUnit.SECONDS)).isInstanceOf(SmtpConnectionException.class);
    // The server, after its 354, got nothing: not the next transaction's commands as message content.
    assertThat(server.problems()).isEmpty();
    assertThat(server.done()).isEqualTo(server.steps());
  }

  @Test
  void aStreamWhoseResumeThrowsFailsItsTransactionAtOnce() throws Exception {
    // Without PIPELINING each BDAT waits for its reply, then resumes the stream: that resume() throws.
    ScriptedServer server = ScriptedServer.start(vertx, GREETING, List.of(
        step(EHLO, "250-mx.test\r\n250 CHUNKING\r\n"),
        step("MAIL FROM:<a@x.test>\r\n", "250 2.1.0 Ok\r\n"),
        step("RCPT TO:<b@y.test>\r\n", "250 2.1.5 Ok\r\n"),
        step("BDAT 5\r\nfirst", "250 2.0.0 5 octets\r\n")));
    ClientSession s = client().connect("127.0.0.1", server.port).await(20, TimeUnit.SECONDS);
    int[] resumes = {0};
    ReadStream<Buffer> stream = new ChunkStream(vertx.getOrCreateContext(),
        List.of(Buffer.buffer("first"), Buffer.buffer("second"))) {
      @Override
      public ReadStream<Buffer> resume() {
        if (++resumes[0] == 2) {
          throw new IllegalStateException("the stream broke on resume");
        }
        return super.resume();
      }
    };
    assertThatThrownBy(() -> s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), stream)).await(5, TimeUnit.SECONDS))
        .isInstanceOfSatisfying(SmtpClientException.class, e -> {
          assertThat(e.phase()).isEqualTo(SmtpClientException.Phase.CONTENT);
          assertThat(e.reply().code()).isEqualTo(451);
          assertThat(e.reply().text()).contains("the stream broke on resume");
        });
    // A message cannot be withdrawn half-way through its content: the session is dropped.
    assertThat(s.isOpen()).isFalse();
    assertThat(server.problems()).isEmpty();
    assertThat(server.done()).isEqualTo(server.steps());
  }
}
