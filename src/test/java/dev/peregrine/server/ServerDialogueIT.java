package dev.peregrine.server;

import dev.peregrine.protocol.Reply;
import dev.peregrine.test.Wire;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The dialogue over a real loopback socket, one command or pipelined group at a time. */
class ServerDialogueIT extends ServerFixture {

  private static String codes(List<Reply> replies) {
    return String.join(" ", replies.stream().map(r -> r.code() + (r.enhanced() == null ? "" : " " + r.enhanced())).toList());
  }

  @Test
  void greetsAdvertisesAndTakesAMessage() throws Exception {
    int port = start(options());
    try (Wire w = Wire.connect(port)) {
      Reply greeting = w.read();
      assertThat(greeting.code()).isEqualTo(220);
      assertThat(greeting.text()).startsWith("mx.test ESMTP");
      Reply ehlo = w.cmd("EHLO client.test");
      assertThat(ehlo.code()).isEqualTo(250);
      assertThat(ehlo.lines()).contains("PIPELINING", "SIZE 26214400", "8BITMIME", "SMTPUTF8", "CHUNKING",
          "BINARYMIME", "DSN", "ENHANCEDSTATUSCODES");
      assertThat(ehlo.lines()).noneMatch(l -> l.startsWith("STARTTLS") || l.startsWith("AUTH"));
      assertThat(w.cmd("MAIL FROM:<a@example.org> SIZE=100").code()).isEqualTo(250);
      assertThat(w.cmd("RCPT TO:<b@example.com>").code()).isEqualTo(250);
      assertThat(w.cmd("DATA").code()).isEqualTo(354);
      Reply queued = w.cmd("Subject: hi\r\n\r\n..dotted\r\nline\r\n.");
      assertThat(queued.code()).isEqualTo(250);
      assertThat(queued.text()).startsWith("OK queued as ");
      assertThat(w.cmd("QUIT").code()).isEqualTo(221);
      assertThat(w.closedByServer()).isTrue();
    }
    RecordingHandler.Message m = handler.next();
    assertThat(m.sender()).isEqualTo("<a@example.org>");
    assertThat(m.recipients()).containsExactly("<b@example.com>");
    assertThat(m.content().toString(StandardCharsets.ISO_8859_1)).isEqualTo("Subject: hi\r\n\r\n.dotted\r\nline\r\n");
    assertThat(m.helo()).isEqualTo("client.test");
  }

  @Test
  void answersAPipelinedGroupAndAGroupThatStartsWithContent() throws Exception {
    int port = start(options());
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      w.send("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<bad@>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n");
      assertThat(codes(w.read(5))).isEqualTo("250 2.1.0 250 2.1.5 501 5.1.3 250 2.1.5 354");
      w.send("one\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<d@y.test>\r\nDATA\r\n");
      assertThat(codes(w.read(4))).isEqualTo("250 2.0.0 250 2.1.0 250 2.1.5 354");
      w.send("two\r\n.\r\nQUIT\r\n");
      assertThat(codes(w.read(2))).isEqualTo("250 2.0.0 221 2.0.0");
    }
    assertThat(handler.next().recipients()).containsExactly("<b@y.test>", "<c@y.test>");
    RecordingHandler.Message second = handler.next();
    assertThat(second.sender()).isEqualTo("<>");
    assertThat(second.content().toString()).isEqualTo("two\r\n");
  }

  @Test
  void aHandlerThatAnswers421ClosesTheSession() throws Exception {
    int port = start(options(), new SmtpHandler() {
      @Override
      public Future<Reply> mail(SmtpSession session, Envelope envelope) {
        return Future.succeededFuture(Reply.of(421, "4.3.2", "Try again later"));
      }
    });
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      assertThat(codes(List.of(w.cmd("MAIL FROM:<a@x.test>")))).isEqualTo("421 4.3.2");
      assertThat(w.closedByServer()).as("RFC 5321 §3.8: 421 closes").isTrue();
    }
  }

  @Test
  void refusesCommandsOutOfSequence() throws Exception {
    int port = start(options());
    try (Wire w = Wire.connect(port)) {
      w.read();
      assertThat(codes(List.of(w.cmd("MAIL FROM:<a@x.test>")))).isEqualTo("503 5.5.1");
      w.cmd("HELO c");
      assertThat(codes(List.of(w.cmd("RCPT TO:<b@x.test>")))).isEqualTo("503 5.5.1");
      assertThat(codes(List.of(w.cmd("DATA")))).isEqualTo("503 5.5.1");
      w.cmd("MAIL FROM:<a@x.test>");
      assertThat(codes(List.of(w.cmd("MAIL FROM:<a@x.test>")))).isEqualTo("503 5.5.1");
      assertThat(codes(List.of(w.cmd("DATA")))).isEqualTo("554 5.5.1");
      assertThat(codes(List.of(w.cmd("MAIL FROM:<a@x.test> SIZE=10")))).as("ESMTP parameter after HELO").isEqualTo("503 5.5.1");
    }
  }

  @Test
  void answersSyntaxErrorsSpecificallyAndClosesAfterTooMany() throws Exception {
    int port = start(options().setMaxErrors(5));
    try (Wire w = Wire.connect(port)) {
      w.read();
      assertThat(codes(List.of(w.cmd("EHLO")))).isEqualTo("501 5.5.4");
      assertThat(codes(List.of(w.cmd("FROB")))).isEqualTo("500 5.5.2");
      w.cmd("EHLO c");
      assertThat(codes(List.of(w.cmd("MAIL FROM:<a@x.test> FROB=1")))).isEqualTo("555 5.5.4");
      assertThat(codes(List.of(w.cmd("MAIL FROM:a@x.test")))).isEqualTo("501 5.1.7");
      assertThat(codes(List.of(w.cmd("RSET now")))).isEqualTo("501 5.5.4");
      Reply last = w.cmd("NOOP " + "x".repeat(600));
      assertThat(codes(List.of(last))).isEqualTo("500 5.5.2");
      assertThat(codes(List.of(w.read()))).isEqualTo("421 4.7.0");
      assertThat(w.closedByServer()).isTrue();
    }
  }

  @Test
  void answersTheSimpleCommands() throws Exception {
    int port = start(options());
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      assertThat(codes(List.of(w.cmd("NOOP"), w.cmd("HELP"), w.cmd("VRFY postmaster"), w.cmd("EXPN staff"),
          w.cmd("RSET"), w.cmd("STARTTLS"), w.cmd("AUTH PLAIN"))))
          .as("no TLS configured: STARTTLS unavailable, AUTH needs encryption; VRFY and EXPN off by default")
          .isEqualTo("250 2.0.0 214 2.0.0 502 5.5.1 502 5.5.1 250 2.0.0 454 4.7.0 538 5.7.11");
    }
  }

  @Test
  void vrfyAndExpnAnswerTheNonCommittal252WhenEnabled() throws Exception {
    int port = start(options().setVrfy(true).setExpn(true));
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      assertThat(codes(List.of(w.cmd("VRFY postmaster"), w.cmd("EXPN staff")))).isEqualTo("252 2.5.0 252 2.5.0");
    }
  }

  @Test
  void enforcesSizeWhileStreamingAndRecipientLimits() throws Exception {
    int port = start(options().setMaxMessageSize(100).setMaxRecipients(2));
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      assertThat(codes(List.of(w.cmd("MAIL FROM:<a@x.test> SIZE=101")))).isEqualTo("552 5.3.4");
      w.cmd("MAIL FROM:<a@x.test>");
      w.send("RCPT TO:<1@x.test>\r\nRCPT TO:<2@x.test>\r\nRCPT TO:<3@x.test>\r\nDATA\r\n");
      assertThat(codes(w.read(4))).isEqualTo("250 2.1.5 250 2.1.5 452 4.5.3 354");
      w.send("x".repeat(98) + "\r\n" + "y".repeat(500) + "\r\n.\r\n");
      assertThat(codes(List.of(w.read()))).isEqualTo("552 5.3.4");
      assertThat(codes(List.of(w.cmd("NOOP")))).as("the session goes on").isEqualTo("250 2.0.0");
    }
    assertThat(handler.messages).isEmpty();
  }

  @Test
  void refusesBareLineEndingsAndStaysInStep() throws Exception {
    int port = start(options());
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      w.beginData();
      // The classic smuggling payload: a lax server would end the data at "\n.\n" and run the MAIL.
      w.send("body\n.\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@x.test>\r\nDATA\r\nspoof\r\n.\r\n");
      Reply r = w.read();
      assertThat(codes(List.of(r))).isEqualTo("550 5.6.0");
      assertThat(r.text()).contains("bare LF");
      assertThat(codes(List.of(w.cmd("NOOP")))).isEqualTo("250 2.0.0");
    }
    assertThat(handler.messages).isEmpty();
  }

  @Test
  void takesBdatChunksPipelinedWithTheNextTransaction() throws Exception {
    int port = start(options());
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      w.send("MAIL FROM:<a@x.test> BODY=BINARYMIME\r\nRCPT TO:<b@x.test>\r\nBDAT 5\r\nhel\nlBDAT 3 LAST\r\no\r\n"
          + "MAIL FROM:<c@x.test>\r\nRCPT TO:<d@x.test>\r\nBDAT 0 LAST\r\n");
      assertThat(codes(w.read(7))).isEqualTo("250 2.1.0 250 2.1.5 250 2.0.0 250 2.0.0 250 2.1.0 250 2.1.5 250 2.0.0");
      assertThat(codes(List.of(w.send("BDAT 4 LAST\r\nabcd").read()))).as("BDAT without MAIL is read, then refused").isEqualTo("503 5.5.1");
      w.send("MAIL FROM:<a@x.test> BODY=BINARYMIME\r\nRCPT TO:<b@x.test>\r\nDATA\r\n");
      assertThat(codes(w.read(3))).isEqualTo("250 2.1.0 250 2.1.5 503 5.5.1");
    }
    assertThat(handler.next().content().toString()).isEqualTo("hel\nlo\r\n");
    assertThat(handler.next().content().length()).isZero();
  }

  @Test
  void closesAnIdleSessionAtTheCommandTimeout() throws Exception {
    int port = start(withTimeout(options(), Duration.ofMillis(300)));
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      assertThat(codes(List.of(w.read()))).isEqualTo("421 4.4.2");
      assertThat(w.closedByServer()).isTrue();
    }
  }

  @Test
  void aSlowlorisSendingOneByteAtATimeStillHitsTheTimeout() throws Exception {
    int port = start(withTimeout(options(), Duration.ofMillis(400)));
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      w.beginData();
      // One byte now and then keeps resetting an idle timer; 421 must still come (a bounded number of bytes).
      long start = System.nanoTime();
      boolean closed = false;
      for (int i = 0; i < 100 && !closed; i++) {
        try {
          w.send("x");
        } catch (java.io.IOException e) {
          closed = true;
          break;
        }
        Thread.sleep(i < 3 ? 100 : 500);
        closed = System.nanoTime() - start > 30_000_000_000L;
      }
      Reply r = w.read();
      assertThat(codes(List.of(r))).isEqualTo("421 4.4.2");
    }
  }

  @Test
  void hangsUpOnHttp() throws Exception {
    int port = start(options());
    try (Wire w = Wire.connect(port)) {
      w.read();
      assertThat(codes(List.of(w.cmd("GET / HTTP/1.1")))).isEqualTo("221 2.7.0");
      assertThat(w.closedByServer()).isTrue();
    }
  }

  @Test
  void refusesAnEarlyTalker() throws Exception {
    int port = start(options().setGreetingDelay(Duration.ofMillis(500)));
    try (Wire w = Wire.connect(port)) {
      w.send("EHLO impatient\r\n");
      assertThat(codes(List.of(w.read()))).isEqualTo("554 5.5.1");
      assertThat(w.closedByServer()).isTrue();
    }
  }

  @Test
  void limitsConnectionsPerClientAddress() throws Exception {
    int port = start(options().setMaxConnectionsPerIp(2));
    try (Wire a = Wire.connect(port); Wire b = Wire.connect(port); Wire c = Wire.connect(port)) {
      assertThat(a.read().code()).isEqualTo(220);
      assertThat(b.read().code()).isEqualTo(220);
      assertThat(codes(List.of(c.read()))).isEqualTo("421 4.7.0");
      assertThat(c.closedByServer()).isTrue();
      a.cmd("QUIT");
      assertThat(a.closedByServer()).isTrue();
    }
    // The server learns of the closes asynchronously: wait (bounded) until both sessions are gone.
    int disconnects = 0;
    while (disconnects < 2) {
      String e = handler.events.poll(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(e).as("both sessions end").isNotNull();
      if (e.equals("disconnect")) {
        disconnects++;
      }
    }
    try (Wire d = Wire.connect(port)) {
      assertThat(d.read().code()).as("a slot freed").isEqualTo(220);
    }
  }
}
