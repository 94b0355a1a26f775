package dev.peregrine.server;

import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.protocol.SmtpException;
import dev.peregrine.test.Wire;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Handlers that misbehave on purpose, one way per test, at each entry from Vert.x into a connection (socket
 * data, close, handler-future continuations, content-stream callbacks, the sweeper's timers). Whatever
 * happens, the client gets a reply and a close, the connection's slot is released, and no exception reaches
 * Vert.x's "Unhandled exception" logger (the fixture fails the test if one does).
 */
class MisbehavingHandlerIT extends ServerFixture {

  private static String codes(List<Reply> replies) {
    return String.join(" ", replies.stream().map(r -> r.code() + " " + r.enhanced()).toList());
  }

  /** Waits (bounded) until the server has forgotten every connection. */
  private void awaitNoConnections() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (server.connectionCount() != 0) {
      assertThat(System.nanoTime()).as("connections released within 10 s").isLessThan(deadline);
      // The count is read across threads; the close runs on the server's event loop.
      Thread.sleep(5);
    }
  }

  /** Issue 16 §4: handler.reset on the read path throws; the group's earlier replies still go out. */
  @Test
  void aThrowingResetIsAnswered421AfterTheRepliesBeforeIt() throws Exception {
    int port = start(options(), new RecordingHandler() {
      @Override
      public void reset(SmtpSession session, Envelope envelope) {
        throw new IllegalStateException("reset broke");
      }
    });
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      w.send("MAIL FROM:<a@x.test>\r\nNOOP\r\nRSET\r\nNOOP\r\n");
      assertThat(codes(w.read(3))).isEqualTo("250 2.1.0 250 2.0.0 421 4.3.0");
      assertThat(w.closedByServer()).isTrue();
    }
    awaitNoConnections();
  }

  /** Issue 16 §4: the handler's content callback throws. */
  @Test
  void aThrowingContentHandlerIsAnswered421() throws Exception {
    int port = start(options(), new RecordingHandler() {
      @Override
      public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
        content.handler(b -> {
          throw new IllegalStateException("content handler broke");
        });
        return Promise.<Reply>promise().future();
      }
    });
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      w.beginData();
      w.send("Subject: x\r\n\r\nbody\r\n.\r\n");
      assertThat(codes(List.of(w.read()))).isEqualTo("421 4.3.0");
      assertThat(w.closedByServer()).isTrue();
    }
    awaitNoConnections();
  }

  /**
   * Issue 16 §3: reset and disconnect throw at the close; the per-IP slot is released all the same (the next
   * connection from the same address is served), and a transaction ended by QUIT is reset.
   */
  @Test
  void theSlotIsReleasedWhenTheCloseCallbacksThrow() throws Exception {
    AtomicInteger resets = new AtomicInteger();
    int port = start(options().setMaxConnectionsPerIp(1), new RecordingHandler() {
      @Override
      public void reset(SmtpSession session, Envelope envelope) {
        resets.incrementAndGet();
        throw new IllegalStateException("reset broke");
      }

      @Override
      public void disconnect(SmtpSession session) {
        throw new IllegalStateException("disconnect broke");
      }
    });
    for (int i = 0; i < 3; i++) {
      try (Wire w = Wire.connect(port)) {
        assertThat(w.read().code()).as("connection %d greeted", i).isEqualTo(220);
        w.cmd("EHLO c");
        assertThat(w.cmd("MAIL FROM:<a@x.test>").code()).isEqualTo(250);
        assertThat(w.cmd("QUIT").code()).isEqualTo(221);
        assertThat(w.closedByServer()).isTrue();
      }
      awaitNoConnections();
    }
    assertThat(resets.get()).as("each transaction ended by QUIT was reset").isEqualTo(3);
  }

  /** Issue 16 §2: data() fails at once; the content is drained and the end of data gets the handler's reply. */
  @Test
  void aDataHandlerThatFailsAtOnceIsAnsweredAtTheEndOfData() throws Exception {
    int port = start(withTimeout(options(), Duration.ofSeconds(60)), new RecordingHandler() {
      @Override
      public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
        return Future.failedFuture(new SmtpException(Reply.of(554, "5.6.0", "Content refused")));
      }
    });
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      w.beginData();
      // More than any socket buffer: a stalled server would stop reading and never answer.
      byte[] big = ("x".repeat(998) + "\r\n").repeat(4096).getBytes();
      w.sendBytes(big);
      w.send(".\r\n");
      assertThat(codes(List.of(w.read()))).isEqualTo("554 5.6.0");
      assertThat(w.cmd("NOOP").code()).as("the session goes on").isEqualTo(250);
    }
  }

  /** Issue 16 §2, later: the handler fails in the middle of the content. */
  @Test
  void aDataHandlerThatFailsMidwayIsAnsweredAtTheEndOfData() throws Exception {
    int port = start(withTimeout(options(), Duration.ofSeconds(60)), new RecordingHandler() {
      @Override
      public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
        Promise<Reply> verdict = Promise.promise();
        AtomicInteger chunks = new AtomicInteger();
        content.handler(b -> {
          if (chunks.incrementAndGet() == 1) {
            // Stop reading and fail: without a drain the socket would stay paused.
            content.pause();
            verdict.fail(new IllegalStateException("disk full"));
          }
        });
        return verdict.future();
      }
    });
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      w.beginData();
      w.sendBytes(("y".repeat(998) + "\r\n").repeat(4096).getBytes());
      w.send(".\r\n");
      assertThat(codes(List.of(w.read()))).isEqualTo("451 4.3.0");
      assertThat(w.cmd("NOOP").code()).isEqualTo(250);
    }
  }

  /**
   * A handler that stops reading and answers with a refusal (a reply, not a failed future) before the content
   * ended, as the relay does when its spool runs out of space: the rest is drained and the refusal answers the
   * end of data (before, the socket stayed paused until the data-block timeout).
   */
  @Test
  void aDataHandlerThatRefusesMidwayIsAnsweredAtTheEndOfData() throws Exception {
    int port = start(withTimeout(options(), Duration.ofSeconds(60)), new RecordingHandler() {
      @Override
      public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
        Promise<Reply> verdict = Promise.promise();
        AtomicInteger chunks = new AtomicInteger();
        content.handler(b -> {
          if (chunks.incrementAndGet() == 1) {
            content.pause();
            verdict.complete(Reply.of(452, "4.3.1", "Insufficient system storage"));
          }
        });
        return verdict.future();
      }
    });
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      w.beginData();
      w.sendBytes(("y".repeat(998) + "\r\n").repeat(4096).getBytes());
      w.send(".\r\n");
      assertThat(codes(List.of(w.read()))).isEqualTo("452 4.3.1");
      assertThat(w.cmd("NOOP").code()).isEqualTo(250);
    }
  }

  /** Issue 16 §6: a handler future that never completes is bounded by the command timeout. */
  @Test
  void aHandlerThatNeverAnswersTimesOut() throws Exception {
    int port = start(withTimeout(options(), Duration.ofMillis(300)), new RecordingHandler() {
      @Override
      public Future<Reply> mail(SmtpSession session, Envelope envelope) {
        return Promise.<Reply>promise().future();
      }
    });
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      assertThat(codes(List.of(w.cmd("MAIL FROM:<a@x.test>")))).isEqualTo("421 4.3.0");
      assertThat(w.closedByServer()).isTrue();
    }
    awaitNoConnections();
  }

  /** Issue 16 §7: a future completed on another thread; the connection goes on on its own event loop. */
  @Test
  void aFutureCompletedOnAnotherThreadContinuesOnTheConnectionsContext() throws Exception {
    List<String> threads = new CopyOnWriteArrayList<>();
    List<Context> contexts = new CopyOnWriteArrayList<>();
    int port = start(options(), new RecordingHandler() {
      @Override
      public Future<Reply> mail(SmtpSession session, Envelope envelope) {
        threads.add(Thread.currentThread().getName());
        contexts.add(Vertx.currentContext());
        CompletableFuture<Reply> later = new CompletableFuture<>();
        Thread t = new Thread(() -> later.complete(null), "not-vertx");
        t.start();
        return Future.fromCompletionStage(later);
      }

      @Override
      public Future<Reply> rcpt(SmtpSession session, Envelope envelope, SmtpCommand.RcptTo rcpt) {
        threads.add(Thread.currentThread().getName());
        contexts.add(Vertx.currentContext());
        return Future.succeededFuture();
      }
    });
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      w.send("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\n");
      assertThat(codes(w.read(2))).isEqualTo("250 2.1.0 250 2.1.5");
    }
    assertThat(threads).hasSize(2);
    assertThat(threads.get(1)).as("RCPT handled on the connection's event loop").isEqualTo(threads.get(0));
    assertThat(contexts.get(1)).isSameAs(contexts.get(0));
  }

  /** Issue 16 §1: a refused BDAT that reaches max-errors ends the session; nothing after it is read. */
  @Test
  void aRefusedBdatAtTheErrorLimitDoesNotReviveTheSession() throws Exception {
    AtomicInteger mails = new AtomicInteger();
    int port = start(options().setMaxErrors(2), new RecordingHandler() {
      @Override
      public Future<Reply> mail(SmtpSession session, Envelope envelope) {
        mails.incrementAndGet();
        return Future.succeededFuture();
      }
    });
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      assertThat(codes(List.of(w.cmd("BOGUS")))).isEqualTo("500 5.5.2");
      // No MAIL: the BDAT is refused, the second error closes the session; its chunk and the pipelined
      // commands after it must not be read as commands.
      w.send("BDAT 5 LAST\r\nhelloMAIL FROM:<a@x.test>\r\nNOOP\r\n");
      assertThat(codes(List.of(w.read()))).isEqualTo("421 4.7.0");
      assertThat(w.closedByServer()).isTrue();
    }
    awaitNoConnections();
    assertThat(mails.get()).isZero();
  }
}
