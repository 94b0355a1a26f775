package dev.peregrine.server;

import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.SmtpCommand;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * What the server asks the application at each step of the dialogue. Every method has a default, so a
 * handler implements only what it decides.
 *
 * <p>Replies: a future completed with {@code null} means "the usual positive reply"; a {@link Reply} is
 * sent as it is (a positive one may carry a queue id; a 4xx/5xx refuses the step). A failed future is
 * answered with 451 4.3.0, or with the reply of an {@link dev.peregrine.protocol.SmtpException}.
 *
 * <p>Threading: every method is called on the connection's event loop and must not block; return a future
 * that completes later instead. The server reads no further command of that connection until it completes.
 * The future may be completed on any thread (a {@code CompletionStage}, a non-Vert.x client): the server
 * goes on on the connection's own context either way. Each wait is bounded: {@code server-command} for
 * the dialogue's steps, {@code data-end} for the verdict on a message; past it the client gets
 * {@code 421 4.3.0} and the connection closes.
 *
 * <p>Failures: a method that throws is treated as a failed future. A {@code reset}, {@code disconnect} or
 * content-stream callback that throws on the read path ends the session with {@code 421 4.3.0}; at the close
 * it is logged and the cleanup goes on. Nothing a handler throws reaches Vert.x.
 */
public interface SmtpHandler {

  /** A client connected; a negative reply refuses it (sent instead of the greeting, then close). */
  default Future<Reply> connect(SmtpSession session) {
    return Future.succeededFuture();
  }

  /** EHLO or HELO with the client's name. */
  default Future<Reply> helo(SmtpSession session, String domain) {
    return Future.succeededFuture();
  }

  /**
   * Checks AUTH credentials: {@code true} accepts (235), {@code false} refuses (535 5.7.8, after the
   * configured delay). The default knows no users.
   */
  default Future<Boolean> authenticate(SmtpSession session, Credentials credentials) {
    return Future.succeededFuture(false);
  }

  /** MAIL FROM; {@link Envelope#mail()} holds the command, no recipients yet. */
  default Future<Reply> mail(SmtpSession session, Envelope envelope) {
    return Future.succeededFuture();
  }

  /** RCPT TO; {@code envelope} holds the recipients accepted before this one. */
  default Future<Reply> rcpt(SmtpSession session, Envelope envelope, SmtpCommand.RcptTo rcpt) {
    return Future.succeededFuture();
  }

  /**
   * The message content (after DATA, or the BDAT chunks), un-stuffed, CRLF line endings, as a stream with
   * back-pressure: pause it and the server stops reading the socket. The stream fails with an
   * {@link dev.peregrine.protocol.SmtpException} when the server refuses the message (size, bare CR/LF,
   * RSET or disconnect mid-way); the server then sends its own reply. Otherwise the returned future's
   * reply answers the end of data once both it has completed and the stream has ended: complete it only
   * when the message is safe (e.g. on stable storage), since its 250 tells the client it may forget it.
   * A future that fails, or completes with a negative reply, before the content has ended (or completes with
   * no handler reading the stream) has the rest of the content drained and answers the end of data.
   *
   * <p>The default reads and discards the content.
   */
  default Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
    Promise<Reply> done = Promise.promise();
    content.handler(b -> { }).exceptionHandler(done::tryFail).endHandler(v -> done.tryComplete());
    return done.future();
  }

  /**
   * The transaction ended without a message: RSET, EHLO, STARTTLS, refused or failed content, or the
   * connection's end in the middle of it (QUIT, a timeout, a 421, the client going away). Called once per
   * such transaction.
   */
  default void reset(SmtpSession session, Envelope envelope) {
  }

  /** The connection closed. */
  default void disconnect(SmtpSession session) {
  }
}
