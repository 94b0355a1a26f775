package dev.peregrine.server.impl;

import dev.peregrine.protocol.BdatDecoder;
import dev.peregrine.protocol.DataDecoder;
import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.ServerReplies;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.protocol.SmtpException;
import dev.peregrine.server.impl.ServerConnection.State;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/**
 * The mail transaction commands of one connection: MAIL, RCPT, DATA, BDAT and RSET, and the content they
 * stream to the handler (dot-unstuffed DATA or BDAT chunks, with back-pressure) up to the verdict that
 * answers the end of data. The transaction itself is a {@link Transaction}, replaced as a whole.
 *
 * <p>Runs on the connection's context, inside {@link ServerConnection}'s guard; never blocks.
 */
final class TransactionCommands {

  private static final Reply R250_QUEUED = Reply.of(250, "2.0.0", "OK: queued");
  private static final Reply R503_BINARYMIME_NEEDS_BDAT = Reply.of(503, "5.5.1", "BODY=BINARYMIME needs BDAT, not DATA");
  private static final Reply R451_ABORTED = Reply.of(451, "4.3.0", "Transaction aborted by the client");

  private final ServerConnection conn;
  private final DataDecoder dataDecoder;
  private final BdatDecoder bdatDecoder = new BdatDecoder();
  /** A refused BDAT whose chunk is still being read (RFC 3030 §2), answered at its end. */
  private Reply bdatRefusal;

  TransactionCommands(ServerConnection conn) {
    this.conn = conn;
    this.dataDecoder = new DataDecoder(conn.options.getMaxMessageSize(), conn.options.getBareLineEndings());
  }

  void consumeContent(Buffer data) {
    if (conn.state == State.DATA) {
      int end = dataDecoder.decode(data, 0, this::contentChunk);
      if (end >= 0) {
        endOfData();
        keepRest(data, end);
      }
    } else {
      int end = bdatDecoder.decode(data, 0, this::bdatChunk);
      if (end >= 0) {
        endOfChunk();
        keepRest(data, end);
      }
    }
  }

  private void keepRest(Buffer data, int from) {
    if (from < data.length() && conn.state != State.CLOSED) {
      conn.framer.append(data.slice(from, data.length()));
    }
  }

  void mail(SmtpCommand.MailFrom c) {
    if (conn.session.heloName == null && conn.options.isRequireEhlo()) {
      conn.protocolError(ServerReplies.R503_EHLO_FIRST);
      return;
    }
    if (conn.tx != null) {
      conn.protocolError(ServerReplies.R503_NESTED_MAIL);
      return;
    }
    if (conn.options.isRequireTls() && !conn.socket.isSsl()) {
      conn.reply(ServerReplies.R530_STARTTLS_FIRST);
      return;
    }
    if (conn.options.isRequireAuth() && conn.session.authenticatedUser == null) {
      conn.reply(ServerReplies.R530_AUTH_REQUIRED);
      return;
    }
    Reply refusal = MailParams.check(c, conn.options, conn.session.esmtp, conn.socket.isSsl());
    if (refusal != null) {
      conn.reply(refusal);
      return;
    }
    Transaction t = new Transaction(c);
    conn.waitFor(conn.call(() -> conn.handler.mail(conn.session, t.envelope)), r -> {
      if (r == null || r.isPositive()) {
        conn.tx = t;
        conn.reply(r == null ? ServerReplies.R250_SENDER_OK : r);
      } else {
        conn.handlerReply(r);
      }
    });
  }

  void rcpt(SmtpCommand.RcptTo c) {
    Transaction t = conn.tx;
    if (t == null) {
      conn.protocolError(ServerReplies.R503_MAIL_FIRST);
      return;
    }
    if (t.bdatStarted) {
      conn.protocolError(ServerReplies.R503_BAD_SEQUENCE);
      return;
    }
    if (t.envelope.recipients().size() >= conn.options.getMaxRecipients()) {
      conn.reply(ServerReplies.R452_TOO_MANY_RECIPIENTS);
      return;
    }
    Reply refusal = MailParams.check(c, conn.options);
    if (refusal != null) {
      conn.reply(refusal);
      return;
    }
    conn.waitFor(conn.call(() -> conn.handler.rcpt(conn.session, t.envelope, c)), r -> {
      if (r == null || r.isPositive()) {
        if (conn.tx == t) {
          t.envelope.add(c);
        }
        conn.reply(r == null ? ServerReplies.R250_RECIPIENT_OK : r);
      } else {
        conn.handlerReply(r);
      }
    });
  }

  void data() {
    Transaction t = conn.tx;
    if (t == null) {
      conn.protocolError(ServerReplies.R503_MAIL_FIRST);
      return;
    }
    if (t.bdatStarted) {
      conn.protocolError(ServerReplies.R503_BDAT_AFTER_DATA);
      return;
    }
    if (t.envelope.recipients().isEmpty()) {
      // RFC 2920 §3.1: all RCPTs of the group failed; the client may have pipelined DATA anyway.
      conn.reply(ServerReplies.R554_NO_VALID_RECIPIENTS);
      return;
    }
    if (t.envelope.body() == EsmtpParam.BodyType.BINARY_MIME) {
      conn.reply(R503_BINARYMIME_NEEDS_BDAT);
      return;
    }
    dataDecoder.reset();
    conn.reply(ServerReplies.R354_START_DATA);
    conn.state = State.DATA;
    conn.touchInput();
    startContent(t);
  }

  /** Hands the content stream to the handler; its verdict, if it comes before the end, drains the rest. */
  private void startContent(Transaction t) {
    ContentStream stream = new ContentStream(conn);
    t.content = stream;
    t.verdict = conn.call(() -> conn.handler.data(conn.session, t.envelope, stream));
    // A handler that failed, refused, or answered without reading before the content ended will not read the
    // rest: drain it and answer the end of data with the verdict, as go-smtp does, instead of stalling the
    // socket.
    t.verdict.onComplete(ar -> conn.onContext(() -> {
      boolean refused = ar.succeeded() && ar.result() != null && !ar.result().isPositive();
      if (conn.tx == t && !stream.isFinished() && (ar.failed() || refused || !stream.hasHandler())) {
        stream.discard();
      }
    }));
  }

  private void contentChunk(Buffer chunk) {
    conn.tx.content.push(chunk);
  }

  private void endOfData() {
    conn.state = State.COMMAND;
    conn.touchInput();
    finishMessage(dataDecoder.refusal());
  }

  /** Content complete (DATA's end or BDAT LAST): the reply waits for the handler's verdict. */
  private void finishMessage(Reply refusal) {
    Transaction t = conn.tx;
    if (refusal != null) {
      // Our refusal stands whatever the handler says; do not wait for it.
      t.failContent(new SmtpException(refusal));
      endTransaction(false);
      conn.reply(refusal);
      closeIfDraining();
      return;
    }
    t.content.end();
    conn.waitFor(t.verdict.transform(Future::succeededFuture), conn.server.dataEndTimeoutNanos(), ar -> {
      Reply r;
      if (ar.failed()) {
        Throwable cause = ar.cause();
        r = cause instanceof SmtpException se && !se.reply().isPositive() ? se.reply() : ServerReplies.R451_LOCAL_ERROR;
        if (!(cause instanceof SmtpException)) {
          conn.server.log(System.Logger.Level.WARNING, conn.session, "data conn.handler failed", cause);
        }
      } else {
        r = ar.result() == null ? R250_QUEUED : ar.result();
      }
      endTransaction(ar.succeeded() && r.isPositive());
      conn.handlerReply(r);
      closeIfDraining();
    });
  }

  private void closeIfDraining() {
    if (conn.draining) {
      conn.replyAndClose(ServerReplies.R421_SHUTTING_DOWN);
    }
  }

  void bdat(SmtpCommand.Bdat c) {
    Transaction t = conn.tx;
    Reply refusal = null;
    if (!conn.options.isChunking()) {
      refusal = ServerReplies.R502_NOT_IMPLEMENTED;
    } else if (t == null) {
      refusal = ServerReplies.R503_MAIL_FIRST;
    } else if (t.envelope.recipients().isEmpty()) {
      refusal = ServerReplies.R554_NO_VALID_RECIPIENTS;
    }
    if (refusal != null) {
      conn.error();
      if (conn.state == State.CLOSED) {
        // The refusal reached max-errors: the session is over, its chunk is not read.
        return;
      }
      // RFC 3030 §2: the chunk follows the command whatever the reply; read it to stay in step.
      bdatRefusal = refusal;
    } else {
      if (!t.bdatStarted) {
        t.bdatStarted = true;
        startContent(t);
      }
      t.bdatLast = c.last();
    }
    bdatDecoder.start(c.size());
    if (c.size() == 0) {
      endOfChunk();
      return;
    }
    conn.state = State.BDAT;
    conn.touchInput();
  }

  private void bdatChunk(Buffer chunk) {
    Transaction t = conn.tx;
    if (bdatRefusal != null || t == null || t.bdatTooBig) {
      return;
    }
    t.bdatTotal += chunk.length();
    if (t.bdatTotal > conn.options.getMaxMessageSize()) {
      t.bdatTooBig = true;
      return;
    }
    t.content.push(chunk);
  }

  private void endOfChunk() {
    conn.state = State.COMMAND;
    conn.touchInput();
    if (bdatRefusal != null) {
      Reply r = bdatRefusal;
      bdatRefusal = null;
      conn.reply(r);
      return;
    }
    Transaction t = conn.tx;
    if (!t.bdatLast) {
      // RFC 3030 §2: each chunk but the last is answered at once; the size refusal waits for LAST.
      conn.reply(Reply.of(250, "2.0.0", t.bdatTotal + " octets received"));
      return;
    }
    finishMessage(t.bdatTooBig ? ServerReplies.R552_MESSAGE_TOO_BIG : null);
  }

  void rset() {
    abortTransaction();
    conn.reply(ServerReplies.R250_RESET);
  }

  /** The client ended the transaction (RSET, EHLO, STARTTLS): the handler hears of it. */
  void abortTransaction() {
    Transaction t = conn.tx;
    if (t != null) {
      t.failContent(new SmtpException(R451_ABORTED));
    }
    endTransaction(false);
  }

  private void endTransaction(boolean delivered) {
    Transaction t = conn.tx;
    conn.tx = null;
    conn.pause(ServerConnection.PAUSE_CONTENT, false);
    if (!delivered && t != null) {
      conn.handler.reset(conn.session, t.envelope);
    }
  }
}
