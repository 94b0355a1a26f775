package dev.peregrine.client.impl;

import dev.peregrine.client.SmtpClientException;
import dev.peregrine.client.SmtpConnectionException;
import dev.peregrine.protocol.DotStuffer;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.protocol.impl.Bytes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Sends a message's content once the server is ready for it: DATA content (dot-stuffed, from a buffer or a
 * stream) and BDAT chunks from a stream (RFC 3030). Holds the one content stream in flight, its
 * back-pressure (pause while the socket's write queue is full) and the RFC 5321 §4.5.3.2.5 data-block
 * clock. Calls into the caller's stream are guarded: what they throw is that stream failing.
 *
 * <p>Runs on the session's context; the stream's callbacks come in through the session's guard.
 */
final class ContentSender {

  private record Streaming(ReadStream<Buffer> stream, Promise<Answer> fin, Promise<Void> contentWritten) {
  }

  private final ClientSessionImpl session;
  /** The content stream being sent, if any. */
  private Streaming streaming;
  /** While content streams: when a chunk was last written or drained (System.nanoTime()); 0 otherwise. */
  private long progressAt;

  ContentSender(ClientSessionImpl session) {
    this.session = session;
  }

  /** DATA content held whole: dot-stuffed as it is written, in the same write as what follows it. */
  Future<Answer> sendBuffer(Buffer content, Promise<Void> contentWritten) {
    Future<Answer> fin = session.queue.expect(new Awaited.EndOfData());
    session.outbox.addStuffed(content);
    // The next transaction's group joins the same write.
    contentWritten.tryComplete();
    return fin;
  }

  /** DATA content from a stream: dot-stuffed chunk by chunk, paused while the socket's write queue is full. */
  Future<Answer> sendStream(ReadStream<Buffer> stream, Promise<Void> contentWritten) {
    Promise<Answer> fin = session.context.promise();
    DotStuffer stuffer = new DotStuffer();
    Streaming st = start(stream, fin, contentWritten);
    call(st, () -> {
      stream.endHandler(v -> session.guard("content end", () -> {
        if (streaming != st) {
          return;  // the session or the stream failed meanwhile
        }
        ended();
        session.queue.expect(new Awaited.EndOfData()).onComplete(fin);
        session.outbox.add(stuffer.finish());
        contentWritten.tryComplete();
      }));
      stream.handler(chunk -> session.guard("content chunk", () -> {
        if (streaming != st) {
          return;
        }
        session.outbox.writeNow(stuffer.encode(chunk));
        pauseWhileFull(st);
      }));
      stream.resume();
    });
    return fin.future();
  }

  /**
   * BDAT content from a stream (RFC 3030): one {@code BDAT n} per chunk (line endings repaired unless the
   * content is binary), then {@code BDAT 0 LAST} or the last repaired octets. With PIPELINING the chunks go
   * out back to back and their replies are read as they come; without it each chunk waits for its reply.
   * The result is the first refused chunk's answer, else the answer to the last.
   */
  Future<Answer> sendBdatStream(ReadStream<Buffer> stream, boolean binary, boolean pipelined,
                                Promise<Void> contentWritten) {
    Promise<Answer> fin = session.context.promise();
    DotStuffer lines = binary ? null : DotStuffer.lineEndingsOnly();
    List<Future<Answer>> chunkAnswers = new ArrayList<>();
    Streaming st = start(stream, fin, contentWritten);
    call(st, () -> stream.endHandler(v -> session.guard("content end", () -> {
      if (streaming != st) {
        return;  // the session or the stream failed meanwhile
      }
      ended();
      Buffer tail = lines == null ? Buffer.buffer() : lines.finish();
      Awaited.Command last = new Awaited.Command(new SmtpCommand.Bdat(tail.length(), true));
      Future<Answer> lastAnswer = session.queue.expect(last);
      session.outbox.add(Buffer.buffer(last.line()).appendBuffer(tail));
      contentWritten.tryComplete();
      lastAnswer.map(la -> firstRefused(chunkAnswers, la)).onComplete(fin);
    })));
    call(st, () -> stream.handler(chunk -> session.guard("content chunk", () -> {
      if (streaming != st) {
        return;
      }
      Buffer data = lines == null ? chunk : lines.encode(chunk);
      if (data.length() == 0) {
        return;
      }
      Awaited.Command bdat = new Awaited.Command(new SmtpCommand.Bdat(data.length(), false));
      Future<Answer> answer = session.queue.expect(bdat);
      chunkAnswers.add(answer);
      session.outbox.writeNow(Bytes.concat(List.of(Buffer.buffer(bdat.line()), data)));
      if (pipelined) {
        pauseWhileFull(st);
      } else {
        // RFC 3030 §4.2 without PIPELINING: the next BDAT waits for this one's reply.
        call(st, stream::pause);
        answer.onSuccess(a -> {
          progressAt = System.nanoTime();
          call(st, stream::resume);
        });
      }
    })));
    call(st, stream::resume);
    return fin.future();
  }

  private static Answer firstRefused(List<Future<Answer>> chunks, Answer last) {
    for (Future<Answer> f : chunks) {
      if (!f.result().reply().isPositive()) {
        return f.result();
      }
    }
    return last;
  }

  /** Sends what is queued, starts the data-block clock, and makes {@code stream} the one in flight. */
  private Streaming start(ReadStream<Buffer> stream, Promise<Answer> fin, Promise<Void> contentWritten) {
    session.outbox.flush();
    progressAt = System.nanoTime();
    Streaming st = new Streaming(stream, fin, contentWritten);
    streaming = st;
    call(st, () -> stream.exceptionHandler(e -> session.guard("content failure", () -> failed(st, e))));
    return st;
  }

  private void ended() {
    streaming = null;
    progressAt = 0;
  }

  /**
   * Calls into the caller's content stream (registering handlers, pause, resume): what it throws is that
   * stream failing, and must not unwind into the reply loop or leave the server waiting for content.
   */
  private void call(Streaming st, Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      failed(st, e);
    }
  }

  /** A message cannot be withdrawn half-way through its content: a failed stream drops the session. */
  private void failed(Streaming st, Throwable e) {
    if (streaming != st) {
      return; // already ended, or the session failed first
    }
    ended();
    session.queue.close();
    session.socket.close();
    // Our content source failed, not the server: a transaction failure (the session is closed, since
    // DATA cannot be abandoned half-way), which another exchanger would not fix.
    st.fin.tryFail(unreadable(e));
    st.contentWritten.tryComplete();
  }

  /** The message's own content could not be read: refused locally, 451. */
  static SmtpClientException unreadable(Throwable e) {
    return new SmtpClientException.RefusedLocally(SmtpClientException.Phase.CONTENT, Reply.of(451, "4.3.0",
        "The message content could not be read: " + Reply.lineText(String.valueOf(e.getMessage()))), e);
  }

  /** Write-queue back-pressure; each chunk written or drained is progress for the data-block timeout. */
  private void pauseWhileFull(Streaming st) {
    progressAt = System.nanoTime();
    if (session.socket.writeQueueFull()) {
      call(st, st.stream::pause);
      session.socket.drainHandler(d -> session.guard("drain", () -> {
        progressAt = System.nanoTime();
        call(st, st.stream::resume);
      }));
    }
  }

  /**
   * RFC 5321 §4.5.3.2.5: no block of content could be sent (or none came from the stream) within
   * {@code block} by {@code now}; null otherwise.
   */
  SmtpConnectionException.TimedOut blockOverdue(long now, Duration block) {
    long progress = progressAt;
    if (progress == 0 || now - progress <= block.toNanos()) {
      return null;
    }
    progressAt = 0;
    return new SmtpConnectionException.TimedOut("no content could be sent to " + session.host + " within " + block
        + " (data block timeout)");
  }

  /** The session failed: stop reading the stream in flight and fail its transaction (no reply is awaited yet). */
  void failAll(Throwable cause) {
    progressAt = 0;
    Streaming st = streaming;
    if (st != null) {
      streaming = null;
      call(st, st.stream::pause);
      st.fin.tryFail(cause);
      st.contentWritten.tryComplete();
    }
  }
}
