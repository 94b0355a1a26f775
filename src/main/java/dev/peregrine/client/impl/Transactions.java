package dev.peregrine.client.impl;

import dev.peregrine.client.DeliveryResult;
import dev.peregrine.client.MailTransaction;
import dev.peregrine.client.SmtpClientException;
import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.SmtpConnectionException;
import dev.peregrine.protocol.ForwardPath;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.SmtpCommand;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;

import java.util.ArrayList;
import java.util.List;

/**
 * The session's mail transactions, one after another: the commands of each (pipelined in one write with
 * PIPELINING, else one at a time), the content once the server is ready for it, and the per-recipient
 * result. With PIPELINING a transaction's commands go out as soon as the previous content is written, not
 * when its reply arrives. Keeps what carries from one transaction to the next: the RSET owed, the count of
 * completed ones (a failure before MAIL's reply on a reused session is stale).
 *
 * <p>Runs on the session's context.
 */
final class Transactions {

  private final ClientSessionImpl session;
  private final SmtpClientOptions options;
  private Future<Void> previousContent;
  private boolean needRset;
  private int completed;

  Transactions(ClientSessionImpl session, SmtpClientOptions options) {
    this.session = session;
    this.options = options;
    this.previousContent = session.context.succeededFuture();
  }

  int completed() {
    return completed;
  }

  Future<DeliveryResult> send(MailTransaction tx) {
    if (tx.stream() != null) {
      try {
        tx.stream().pause();
      } catch (RuntimeException e) {
        // The caller's stream, before anything was sent: this message fails, the session goes on.
        return Future.failedFuture(ContentSender.unreadable(e));
      }
    }
    Promise<Void> contentWritten = session.context.promise();
    Future<Void> before = previousContent;
    previousContent = contentWritten.future();
    return session.typed(before.transform(ignored -> transaction(tx, contentWritten)))
        .onComplete(ar -> contentWritten.tryComplete());
  }

  private Future<DeliveryResult> transaction(MailTransaction tx, Promise<Void> contentWritten) {
    if (!session.isOpen()) {
      // A reused session the server has dropped meanwhile (idle timeout, 421) is stale, not a failure.
      return Future.failedFuture(session.closedFailure(completed > 0));
    }
    TransactionPlan plan = TransactionPlan.of(tx, session.capabilities(), options.isChunking(), needRset);
    if (plan.refusal != null) {
      return Future.failedFuture(new SmtpClientException.RefusedLocally(SmtpClientException.Phase.MAIL, plan.refusal));
    }
    boolean reused = completed > 0;
    needRset = false;
    boolean pipelined = options.isPipelining() && session.capabilities().pipelining();
    Buffer chunk = plan.content == TransactionPlan.Content.BDAT_BUFFER ? plan.wire.get(0) : null;
    Promise<Void> answered = session.context.promise(); // the server has answered MAIL: not stale any more
    Future<List<Reply>> replies = pipelined ? pipeline(plan.commands, chunk, answered)
        : lockstep(plan.commands, chunk, answered);
    if (chunk != null) {
      // BDAT needs no 354: the next transaction may follow in the same write.
      contentWritten.tryComplete();
    }
    // Stale means the server had dropped the session before this transaction: a failure before MAIL's reply.
    // After it, the server may hold the message (with BDAT it may be complete): an ordinary failure.
    return replies.recover(e -> Future.failedFuture(reused && !answered.future().isComplete()
            && e instanceof SmtpConnectionException ce && !ce.isTlsFailure()
            ? new SmtpConnectionException.ConnectionLost("stale session to " + session.host + ": " + e.getMessage(), e,
            true, false) : e))
        .compose(rs -> settle(tx, plan, rs, reused, pipelined, contentWritten))
        .onSuccess(r -> completed++);
  }

  /** Reads the replies to the commands and, when the server is ready for it, sends the content. */
  private Future<DeliveryResult> settle(MailTransaction tx, TransactionPlan plan, List<Reply> rs, boolean reused,
                                        boolean pipelined, Promise<Void> contentWritten) {
    session.probe("settle");
    int n = tx.recipients().size();
    Reply mail = rs.get(plan.mailIndex);
    if (reused && mail.code() == 421) {
      session.socket.close();
      return Future.failedFuture(new SmtpConnectionException.ConnectionLost("stale session to " + session.host + ": "
          + mail, new SmtpClientException.Rejected(SmtpClientException.Phase.MAIL,
          new Awaited.Command(plan.commands.get(plan.mailIndex)).describe(), mail), true, false));
    }
    List<Reply> rcpts = rs.subList(plan.mailIndex + 1, plan.mailIndex + 1 + n);
    Reply contentReply = rs.size() > plan.mailIndex + 1 + n ? rs.get(plan.mailIndex + 1 + n) : null;
    if (!mail.isPositive()) {
      // No transaction was opened: nothing to reset.
      return Future.succeededFuture(result(tx, mail, rcpts, mail, null));
    }
    boolean anyAccepted = anyPositive(rcpts);
    ContentSender content = session.content;
    return switch (plan.content) {
      case BDAT_BUFFER -> {
        if (contentReply == null) {
          // Lockstep stopped before BDAT: no recipient was accepted, the transaction is still open.
          needRset = true;
          yield Future.succeededFuture(result(tx, mail, rcpts, mail, null));
        }
        // BDAT LAST's reply is final. Refused without any accepted recipient, the transaction is still open.
        needRset = !contentReply.isPositive() && !anyAccepted;
        yield Future.succeededFuture(result(tx, mail, rcpts, contentReply, contentReply));
      }
      case DATA_BUFFER, DATA_STREAM -> {
        if (contentReply == null || contentReply.code() != 354) {
          // A refused DATA (or lockstep stopping before it) leaves the transaction open.
          needRset = true;
          yield Future.succeededFuture(result(tx, mail, rcpts, contentReply != null ? contentReply : mail, null));
        }
        Future<Answer> end = plan.content == TransactionPlan.Content.DATA_BUFFER
            ? content.sendBuffer(plan.wire.get(0), contentWritten) : content.sendStream(tx.stream(), contentWritten);
        yield end.map(fin -> {
          needRset |= !anyAccepted;
          return result(tx, mail, rcpts, fin.reply(), fin.reply());
        });
      }
      case BDAT_STREAM -> {
        if (!anyAccepted) {
          needRset = true;
          yield Future.succeededFuture(result(tx, mail, rcpts, mail, null));
        }
        yield content.sendBdatStream(tx.stream(), plan.binary, pipelined, contentWritten).map(fin -> {
          // A refused chunk may leave the transaction open; RSET costs nothing when it does not.
          needRset |= !fin.reply().isPositive();
          return result(tx, mail, rcpts, fin.reply(), fin.reply());
        });
      }
    };
  }

  private Future<List<Reply>> pipeline(List<SmtpCommand> commands, Buffer bdatContent, Promise<Void> answered) {
    Buffer out = Buffer.buffer(64 * commands.size() + (bdatContent == null ? 0 : bdatContent.length()));
    List<Future<Answer>> fs = new ArrayList<>(commands.size());
    for (SmtpCommand c : commands) {
      Awaited.Command awaited = new Awaited.Command(c);
      Future<Answer> f = session.queue.expect(awaited);
      if (c instanceof SmtpCommand.MailFrom) {
        f.onSuccess(a -> answered.tryComplete());
      }
      fs.add(f);
      out.appendString(awaited.line());
    }
    // RFC 2920: the whole group in one write (the chunk joins it without a copy).
    session.outbox.add(out);
    if (bdatContent != null) {
      session.outbox.add(bdatContent);
    }
    return Future.all(fs).map(cf -> {
      List<Reply> replies = new ArrayList<>(fs.size());
      for (int i = 0; i < fs.size(); i++) {
        replies.add(cf.<Answer>resultAt(i).reply());
      }
      return replies;
    });
  }

  /** Without PIPELINING: one command at a time; stop after a refused MAIL, and before DATA without recipients. */
  private Future<List<Reply>> lockstep(List<SmtpCommand> commands, Buffer bdatContent, Promise<Void> answered) {
    List<Reply> out = new ArrayList<>(commands.size());
    Future<Void> chain = Future.succeededFuture();
    for (SmtpCommand c : commands) {
      chain = chain.compose(v -> {
        if (stopBefore(c, commands, out)) {
          return Future.succeededFuture();
        }
        Awaited.Command awaited = new Awaited.Command(c);
        Future<Answer> f = session.queue.expect(awaited);
        if (c instanceof SmtpCommand.MailFrom) {
          f.onSuccess(a -> answered.tryComplete());
        }
        Buffer b = Buffer.buffer(awaited.line());
        if (c instanceof SmtpCommand.Bdat) {
          b.appendBuffer(bdatContent);
        }
        session.outbox.add(b);
        return f.map(a -> {
          out.add(a.reply());
          return null;
        });
      });
    }
    return chain.map(v -> {
      // Fill the replies that were not asked for, so the caller sees one reply per command.
      int mailIndex = commands.get(0) instanceof SmtpCommand.Rset ? 1 : 0;
      Reply mail = out.size() > mailIndex ? out.get(mailIndex) : null;
      while (out.size() < commands.size() - 1) {
        out.add(mail);
      }
      return out;
    });
  }

  private static boolean stopBefore(SmtpCommand c, List<SmtpCommand> commands, List<Reply> done) {
    int mailIndex = commands.get(0) instanceof SmtpCommand.Rset ? 1 : 0;
    if (done.size() > mailIndex && !done.get(mailIndex).isPositive()) {
      return true;
    }
    if (c instanceof SmtpCommand.Data || c instanceof SmtpCommand.Bdat) {
      return !anyPositive(done.subList(Math.min(mailIndex + 1, done.size()), done.size()));
    }
    return false;
  }

  private static boolean anyPositive(List<Reply> replies) {
    for (Reply r : replies) {
      if (r.isPositive()) {
        return true;
      }
    }
    return false;
  }

  private static DeliveryResult result(MailTransaction tx, Reply mail, List<Reply> rcpts, Reply settle, Reply data) {
    List<DeliveryResult.RecipientResult> out = new ArrayList<>(rcpts.size());
    for (int i = 0; i < rcpts.size(); i++) {
      ForwardPath path = tx.recipients().get(i).path();
      Reply r = rcpts.get(i);
      out.add(new DeliveryResult.RecipientResult(path, r, mail.isPositive() && r.isPositive() ? settle : r));
    }
    return new DeliveryResult(mail, out, data);
  }
}
