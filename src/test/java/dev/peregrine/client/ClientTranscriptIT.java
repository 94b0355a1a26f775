package dev.peregrine.client;

import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.peregrine.client.ScriptedServer.step;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The client's exact bytes and write grouping against a scripted peer: each group below must arrive as one
 * read, which is what one write per group (RFC 2920) looks like on a loopback socket.
 */
class ClientTranscriptIT extends VertxFixture {

  private static final String GREETING = "220 mx.test ESMTP\r\n";
  private static final String EHLO = "EHLO client.test\r\n";

  private ClientSession connect(ScriptedServer server, SmtpClientOptions o) throws Exception {
    return SmtpClient.create(vertx, o.setHeloName("client.test").setTlsPolicy(TlsPolicy.DISABLED))
        .connect("127.0.0.1", server.port).await(20, TimeUnit.SECONDS);
  }

  /**
   * Connects and sends both transactions in one task on the session's event loop (connect completes
   * there), as a caller on that loop would. From another thread each send is a task of its own, and how
   * they interleave with replies would depend on scheduling.
   */
  private List<Future<DeliveryResult>> sendTogether(ScriptedServer server, MailTransaction a, MailTransaction b)
      throws Exception {
    return SmtpClient.create(vertx, new SmtpClientOptions().setHeloName("client.test").setTlsPolicy(TlsPolicy.DISABLED))
        .connect("127.0.0.1", server.port)
        .map(session -> List.of(session.send(a), session.send(b)))
        .await(20, TimeUnit.SECONDS);
  }

  private static void finished(ScriptedServer server) {
    assertThat(server.problems()).isEmpty();
    assertThat(server.done()).as("every step of the script ran").isEqualTo(server.steps());
  }

  private static Buffer latin1(String s) {
    return Buffer.buffer(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  @Test
  void theEndOfOneMessageAndTheNextGroupGoOutInOneWrite() throws Exception {
    ScriptedServer server = ScriptedServer.start(vertx, GREETING, List.of(
        step(EHLO, "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n250 8BITMIME\r\n"),
        step("MAIL FROM:<a@x.test> SIZE=5\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n",
            "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 No such user\r\n354 Go ahead\r\n"),
        step("one\r\n.\r\nMAIL FROM:<a@x.test> SIZE=6\r\nRCPT TO:<d@y.test>\r\nDATA\r\n",
            "250 2.0.0 Ok: queued as ONE\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 Go ahead\r\n"),
        step("..two\r\n.\r\n", "250 2.0.0 Ok: queued as TWO\r\n")));
    // Both queued at once: the second group waits for the first message's content, then joins it.
    List<Future<DeliveryResult>> sent = sendTogether(server,
        MailTransaction.of("a@x.test", List.of("b@y.test", "c@y.test"), latin1("one\r\n")),
        MailTransaction.of("a@x.test", List.of("d@y.test"), latin1(".two\r\n")));
    DeliveryResult r1 = sent.get(0).await(20, TimeUnit.SECONDS);
    DeliveryResult r2 = sent.get(1).await(20, TimeUnit.SECONDS);
    finished(server);
    assertThat(r1.recipients().get(0).delivered()).isTrue();
    assertThat(r1.recipients().get(0).finalReply().text()).isEqualTo("Ok: queued as ONE");
    assertThat(r1.recipients().get(1).failed()).isTrue();
    assertThat(r1.recipients().get(1).finalReply().code()).isEqualTo(550);
    assertThat(r2.dataReply().text()).isEqualTo("Ok: queued as TWO");
  }

  @Test
  void withChunkingWholeTransactionsShareOneWriteAndOneRoundTrip() throws Exception {
    ScriptedServer server = ScriptedServer.start(vertx, GREETING, List.of(
        step(EHLO, "250-mx.test\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SIZE 1000\r\n"),
        step("MAIL FROM:<a@x.test> SIZE=5\r\nRCPT TO:<b@y.test>\r\nBDAT 5 LAST\r\none\r\n"
                + "MAIL FROM:<a@x.test> SIZE=5\r\nRCPT TO:<c@y.test>\r\nBDAT 5 LAST\r\ntwo\r\n",
            "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok: queued as ONE\r\n"
                + "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok: queued as TWO\r\n")));
    List<Future<DeliveryResult>> sent = sendTogether(server,
        MailTransaction.of("a@x.test", List.of("b@y.test"), latin1("one\r\n")),
        MailTransaction.of("a@x.test", List.of("c@y.test"), latin1("two\r\n")));
    Future<DeliveryResult> first = sent.get(0);
    Future<DeliveryResult> second = sent.get(1);
    assertThat(first.await(20, TimeUnit.SECONDS).dataReply().text()).isEqualTo("Ok: queued as ONE");
    assertThat(second.await(20, TimeUnit.SECONDS).dataReply().text()).isEqualTo("Ok: queued as TWO");
    finished(server);
  }

  @Test
  void afterAPartWayFailureRsetIsPipelinedWithTheNextMail() throws Exception {
    ScriptedServer server = ScriptedServer.start(vertx, GREETING, List.of(
        step(EHLO, "250-mx.test\r\n250 PIPELINING\r\n"),
        step("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n",
            "250 2.1.0 Ok\r\n550 5.1.1 No such user\r\n554 5.5.1 No valid recipients\r\n"),
        step("RSET\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n",
            "250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 Go ahead\r\n"),
        step("two\r\n.\r\n", "250 2.0.0 Ok: queued as TWO\r\n")));
    ClientSession s = connect(server, new SmtpClientOptions());
    DeliveryResult r1 = s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), latin1("one\r\n"))).await(20, TimeUnit.SECONDS);
    assertThat(r1.recipients().get(0).failed()).isTrue();
    assertThat(r1.dataReply()).as("no content after a refused DATA").isNull();
    DeliveryResult r2 = s.send(MailTransaction.of("a@x.test", List.of("c@y.test"), latin1("two\r\n"))).await(20, TimeUnit.SECONDS);
    assertThat(r2.allDelivered()).isTrue();
    finished(server);
  }

  @Test
  void withoutPipeliningEachCommandWaitsForItsReply() throws Exception {
    ScriptedServer server = ScriptedServer.start(vertx, GREETING, List.of(
        step(EHLO, "250-mx.test\r\n250 8BITMIME\r\n"),
        step("MAIL FROM:<a@x.test>\r\n", "250 2.1.0 Ok\r\n"),
        step("RCPT TO:<b@y.test>\r\n", "250 2.1.5 Ok\r\n"),
        step("DATA\r\n", "354 Go ahead\r\n"),
        step("one\r\n.\r\n", "250 2.0.0 Ok: queued as ONE\r\n")));
    ClientSession s = connect(server, new SmtpClientOptions());
    assertThat(s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), latin1("one\r\n"))).await(20, TimeUnit.SECONDS)
        .allDelivered()).isTrue();
    finished(server);
  }

  @Test
  void binaryContentGoesExactlyAsGivenWithBinaryMime() throws Exception {
    String binary = "a\0b\nc\r";
    ScriptedServer server = ScriptedServer.start(vertx, GREETING, List.of(
        step(EHLO, "250-mx.test\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-8BITMIME\r\n250 BINARYMIME\r\n"),
        step("MAIL FROM:<a@x.test> BODY=BINARYMIME\r\nRCPT TO:<b@y.test>\r\nBDAT 6 LAST\r\n" + binary,
            "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n"),
        // 8-bit text: BODY=8BITMIME, and line endings are still repaired (bare LF -> CRLF).
        step("MAIL FROM:<a@x.test> BODY=8BITMIME\r\nRCPT TO:<b@y.test>\r\nBDAT 7 LAST\r\n\u00c3\u00a9\r\nx\r\n",
            "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n")));
    ClientSession s = connect(server, new SmtpClientOptions());
    assertThat(s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), latin1(binary))).await(20, TimeUnit.SECONDS)
        .allDelivered()).isTrue();
    assertThat(s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), latin1("\u00c3\u00a9\nx\r\n")))
        .await(20, TimeUnit.SECONDS).allDelivered()).isTrue();
    finished(server);
  }

  @Test
  void binaryContentIsRefusedLocallyWithoutBinaryMime() throws Exception {
    ScriptedServer server = ScriptedServer.start(vertx, GREETING, List.of(
        step(EHLO, "250-mx.test\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n"),
        step("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nBDAT 5 LAST\r\nfine\n", "unused")));
    ClientSession s = connect(server, new SmtpClientOptions());
    assertThatThrownBy(() -> s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), latin1("a\0b\r\n")))
        .await(20, TimeUnit.SECONDS)).isInstanceOf(SmtpClientException.class).hasMessageContaining("554 5.6.3")
        .hasMessageContaining("Binary content");
    assertThatThrownBy(() -> s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), latin1("text\r\n"))
            .withBody(EsmtpParam.BodyType.BINARY_MIME)).await(20, TimeUnit.SECONDS))
        .isInstanceOf(SmtpClientException.class).hasMessageContaining("554 5.6.3");
    assertThat(server.problems()).isEmpty();
    assertThat(server.done()).as("nothing sent after EHLO").isEqualTo(1);
  }
}
