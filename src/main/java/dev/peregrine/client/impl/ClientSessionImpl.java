package dev.peregrine.client.impl;

import dev.peregrine.client.ClientSession;
import dev.peregrine.client.DeliveryResult;
import dev.peregrine.client.MailTransaction;
import dev.peregrine.client.SmtpClientException;
import dev.peregrine.client.SmtpClientException.Phase;
import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.SmtpConnectionException;
import dev.peregrine.protocol.Capabilities;
import dev.peregrine.protocol.CommandEncoder;
import dev.peregrine.protocol.DotStuffer;
import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.protocol.ForwardPath;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.ReplyDecoder;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.protocol.SmtpProtocolException;
import dev.peregrine.protocol.Timeouts;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.streams.ReadStream;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * One client session: replies are matched to the commands awaiting them in order (a FIFO of expectations,
 * so any number of pipelined commands can be outstanding), each with its RFC 5321 timeout.
 *
 * <p>Runs on the context that opened it; no locking.
 */
final class ClientSessionImpl implements ClientSession {

  private static final Reply R552_TOO_BIG_LOCAL = Reply.of(552, "5.3.4", "Message larger than the server's SIZE limit (checked locally)");
  private static final Reply R553_UTF8_LOCAL = Reply.of(553, "5.6.7", "An address needs SMTPUTF8, which the server does not offer");
  private static final Reply R554_8BIT_LOCAL = Reply.of(554, "5.6.3", "8-bit content, and the server does not offer 8BITMIME");

  private record Expect(Phase phase, String command, Promise<Reply> promise, long deadline, Duration timeout) {
  }

  private final Vertx vertx;
  private final SmtpClientOptions options;
  private final NetSocket socket;
  private final String host;
  private final ReplyDecoder decoder;
  private final ArrayDeque<Expect> expected = new ArrayDeque<>();
  private Capabilities capabilities = Capabilities.none("");
  private boolean open = true;
  private int completed;
  private boolean needRset;
  private Future<Void> previousContent = Future.succeededFuture();
  private final io.vertx.core.Context context;
  /** Writes of the current event-loop task, sent as one: the end of a message and the next group together. */
  private List<Buffer> outbox;

  ClientSessionImpl(Vertx vertx, SmtpClientOptions options, NetSocket socket, String host) {
    this.vertx = vertx;
    this.options = options;
    this.socket = socket;
    this.host = host;
    this.decoder = new ReplyDecoder(options.getLimits());
    this.context = vertx.getOrCreateContext();
    // One periodic check of the oldest outstanding reply instead of a timer per command: a timer per
    // command cost more than the command itself under load.
    long shortest = Long.MAX_VALUE;
    for (Duration d : options.getTimeouts().asMap().values()) {
      shortest = Math.min(shortest, d.toMillis());
    }
    this.sweeper = vertx.setPeriodic(Math.max(10, Math.min(1000, shortest / 4)), id -> checkDeadline());
  }

  private final long sweeper;

  private void checkDeadline() {
    Expect head = expected.peek();
    if (head != null && System.nanoTime() - head.deadline() > 0) {
      failAll(new SmtpConnectionException(host + " did not answer "
          + (head.command() == null ? "with a greeting" : head.command()) + " within " + head.timeout(), null, false, false));
      socket.close();
    }
    if (!open) {
      vertx.cancelTimer(sweeper);
    }
  }

  /** Installs the socket handlers; called once the greeting is awaited, so that no reply can come first. */
  private void listen() {
    socket.handler(this::onData);
    socket.closeHandler(v -> failAll(new SmtpConnectionException("connection closed by " + host, null, false, false)));
    socket.exceptionHandler(e -> {
      failAll(new SmtpConnectionException("connection to " + host + " failed: " + e.getMessage(), e, false, false));
      socket.close();
    });
  }

  // ------------------------------------------------------------------ replies

  private void onData(Buffer data) {
    try {
      decoder.decode(data, this::onReply);
    } catch (SmtpProtocolException e) {
      failAll(new SmtpConnectionException(host + " broke the protocol: " + e.getMessage(), e, false, false));
      socket.close();
    }
  }

  private void onReply(Reply reply) {
    Expect e = expected.poll();
    if (e == null) {
      // A server about to close says 421 unasked (RFC 5321 §3.8); anything else unasked is a protocol error.
      open = false;
      socket.close();
      return;
    }
    e.promise().complete(reply);
  }

  private void failAll(Throwable cause) {
    open = false;
    Expect e;
    while ((e = expected.poll()) != null) {
      e.promise().tryFail(cause);
    }
    vertx.cancelTimer(sweeper);
  }

  /** Awaits the next reply, which answers {@code command} (null for the greeting). */
  Future<Reply> expect(Phase phase, String command, Timeouts.Phase timeoutPhase) {
    Promise<Reply> p = Promise.promise();
    if (!open) {
      p.fail(new SmtpConnectionException("session to " + host + " is closed", null, false, false));
      return p.future();
    }
    Duration timeout = options.getTimeouts().get(timeoutPhase);
    expected.add(new Expect(phase, command, p, System.nanoTime() + timeout.toNanos(), timeout));
    return p.future();
  }

  /**
   * Queues bytes for the socket; everything queued during the current event-loop task goes out in one write
   * when the task ends (RFC 2920: a server answers a group read at once with one write, so the end of one
   * message and the next MAIL/RCPT/DATA should arrive together).
   */
  private void write(Buffer b) {
    if (outbox == null) {
      outbox = new ArrayList<>(4);
      context.runOnContext(v -> flush());
    }
    outbox.add(b);
  }

  /** Sends what is queued now (before a streamed write or a TLS upgrade, which bypass the outbox). */
  private void flush() {
    List<Buffer> parts = outbox;
    outbox = null;
    if (parts != null && !parts.isEmpty() && open) {
      // The parts are not copied: one composite buffer, one gathering write.
      socket.write(dev.peregrine.protocol.impl.Bytes.concat(parts));
    }
  }

  /** Writes one command and awaits its reply. */
  Future<Reply> command(Phase phase, SmtpCommand command) {
    String line = CommandEncoder.encode(command);
    Future<Reply> f = expect(phase, line.strip(), Timeouts.phaseOf(command.kind()));
    write(Buffer.buffer(line.getBytes(StandardCharsets.UTF_8)));
    return f;
  }

  /** Fails unless the reply is positive (or 3xx when {@code intermediateOk}). */
  static Future<Reply> positive(Future<Reply> f, Phase phase, String command, boolean intermediateOk) {
    return f.compose(r -> r.isPositive() || intermediateOk && r.isIntermediate()
        ? Future.succeededFuture(r) : Future.failedFuture(new SmtpClientException(phase, command, r)));
  }

  // ------------------------------------------------------------------ session set-up

  Future<Void> greetAndEhlo() {
    Future<Reply> greeting = expect(Phase.GREETING, null, Timeouts.Phase.GREETING);
    listen();
    return positive(greeting, Phase.GREETING, null, false).compose(g -> ehlo());
  }

  Future<Void> ehlo() {
    return command(Phase.EHLO, new SmtpCommand.Ehlo(options.getHeloName())).compose(r -> {
      if (r.isPositive()) {
        capabilities = Capabilities.parse(r);
        return Future.<Void>succeededFuture();
      }
      if (r.isPermanent()) {
        // RFC 5321 §3.2: a server that does not know EHLO gets HELO.
        return positive(command(Phase.EHLO, new SmtpCommand.Helo(options.getHeloName())), Phase.EHLO, "HELO", false)
            .map(h -> {
              capabilities = Capabilities.none(h.lines().get(0));
              return null;
            });
      }
      return Future.failedFuture(new SmtpClientException(Phase.EHLO, "EHLO", r));
    });
  }

  /** STARTTLS, the handshake, and EHLO again. */
  Future<Void> startTls(io.vertx.core.net.ClientSSLOptions ssl) {
    return positive(command(Phase.STARTTLS, new SmtpCommand.StartTls()), Phase.STARTTLS, "STARTTLS", false)
        .compose(r -> {
          if (decoder.hasBufferedInput()) {
            // The server (or a man in the middle) sent more after its 220: a response injection.
            socket.close();
            return Future.failedFuture(new SmtpConnectionException(host + " sent data after 220 to STARTTLS", null, false, true));
          }
          flush();
          return socket.upgradeToSsl(ssl, host)
              .recover(e -> Future.failedFuture(new SmtpConnectionException("TLS handshake with " + host + " failed: "
                  + e.getMessage(), e, false, true)));
        })
        .compose(v -> ehlo());
  }

  Future<Void> authenticate(String mechanism, String user, String password) {
    Base64.Encoder b64 = Base64.getEncoder();
    return switch (mechanism) {
      case "PLAIN" -> positive(command(Phase.AUTH, new SmtpCommand.Auth("PLAIN",
          b64.encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8)))), Phase.AUTH, "AUTH PLAIN", false)
          .mapEmpty();
      case "XOAUTH2" -> positive(command(Phase.AUTH, new SmtpCommand.Auth("XOAUTH2",
          b64.encodeToString(("user=" + user + "\1auth=Bearer " + password + "\1\1").getBytes(StandardCharsets.UTF_8)))),
          Phase.AUTH, "AUTH XOAUTH2", true)
          .compose(r -> r.isIntermediate()
              // RFC 7628 §3.2.3: the 334 carries an error; an empty response gets the final (negative) reply.
              ? positive(raw(Phase.AUTH, "", "AUTH XOAUTH2"), Phase.AUTH, "AUTH XOAUTH2", false) : Future.succeededFuture(r))
          .mapEmpty();
      case "LOGIN" -> positive(command(Phase.AUTH, new SmtpCommand.Auth("LOGIN", null)), Phase.AUTH, "AUTH LOGIN", true)
          .compose(r -> positive(raw(Phase.AUTH, b64.encodeToString(user.getBytes(StandardCharsets.UTF_8)), "AUTH LOGIN (user)"),
              Phase.AUTH, "AUTH LOGIN (user)", true))
          .compose(r -> positive(raw(Phase.AUTH, b64.encodeToString(password.getBytes(StandardCharsets.UTF_8)), "AUTH LOGIN (password)"),
              Phase.AUTH, "AUTH LOGIN (password)", false))
          .mapEmpty();
      default -> Future.failedFuture(new IllegalArgumentException("unsupported SASL mechanism " + mechanism));
    };
  }

  private Future<Reply> raw(Phase phase, String line, String what) {
    Future<Reply> f = expect(phase, what, Timeouts.Phase.AUTH);
    write(Buffer.buffer(line + "\r\n"));
    return f;
  }

  // ------------------------------------------------------------------ transactions

  /** Runs {@code action} on the session's event loop: its state is touched from there only. */
  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> action) {
    if (Vertx.currentContext() == context) {
      return action.get();
    }
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(p));
    return p.future();
  }

  @Override
  public Future<DeliveryResult> send(MailTransaction tx) {
    return onContext(() -> sendHere(tx));
  }

  private Future<DeliveryResult> sendHere(MailTransaction tx) {
    if (tx.stream() != null) {
      tx.stream().pause();
    }
    Promise<Void> contentWritten = Promise.promise();
    Future<Void> before = previousContent;
    previousContent = contentWritten.future();
    // Pipelining: this transaction's commands go out as soon as the previous content is written, not when
    // its reply arrives; the replies come back in order.
    return before.transform(ignored -> transaction(tx, contentWritten))
        .onComplete(ar -> contentWritten.tryComplete());
  }

  private Future<DeliveryResult> transaction(MailTransaction tx, Promise<Void> contentWritten) {
    if (!open) {
      // A reused session the server has dropped meanwhile (idle timeout, 421) is stale, not a failure.
      return Future.failedFuture(new SmtpConnectionException("session to " + host + " is closed", null, completed > 0, false));
    }
    Capabilities caps = capabilities;
    boolean reused = completed > 0;
    // Local checks: refuse here what the server would refuse, without a round trip.
    boolean utf8 = needsUtf8(tx);
    if (utf8 && !caps.smtpUtf8()) {
      return Future.failedFuture(new SmtpClientException(Phase.MAIL, null, R553_UTF8_LOCAL));
    }
    boolean eightBit = tx.content() != null && dev.peregrine.protocol.impl.Bytes.has8Bit(tx.content());
    if (eightBit && !caps.eightBitMime() && !caps.binaryMime()) {
      return Future.failedFuture(new SmtpClientException(Phase.MAIL, null, R554_8BIT_LOCAL));
    }
    boolean bdat = options.isChunking() && caps.chunking() && tx.content() != null;
    List<Buffer> wire = null;
    long size = -1;
    if (tx.content() != null && !bdat) {
      DotStuffer stuffer = new DotStuffer();
      // Usually the content itself (nothing to stuff), then the terminator: no copy.
      wire = List.of(stuffer.encode(tx.content()), stuffer.finish());
      size = stuffer.written();
    } else if (bdat) {
      size = tx.content().length();
    }
    if (size >= 0 && caps.size().isPresent() && size > caps.size().getAsLong()) {
      return Future.failedFuture(new SmtpClientException(Phase.MAIL, null, R552_TOO_BIG_LOCAL));
    }
    List<EsmtpParam> mailParams = new ArrayList<>(4);
    if (size >= 0 && caps.sizeAdvertised()) {
      mailParams.add(new EsmtpParam.Size(size));
    }
    if (eightBit) {
      mailParams.add(new EsmtpParam.Body(caps.eightBitMime() ? EsmtpParam.BodyType.EIGHT_BIT_MIME : EsmtpParam.BodyType.BINARY_MIME));
    }
    if (utf8) {
      mailParams.add(new EsmtpParam.SmtpUtf8());
    }
    if (caps.dsn() && tx.ret() != null) {
      mailParams.add(new EsmtpParam.Ret(tx.ret()));
    }
    if (caps.dsn() && tx.envelopeId() != null) {
      mailParams.add(new EsmtpParam.EnvId(tx.envelopeId()));
    }
    List<SmtpCommand> commands = new ArrayList<>(tx.recipients().size() + 3);
    if (needRset) {
      commands.add(new SmtpCommand.Rset());
    }
    commands.add(new SmtpCommand.MailFrom(tx.from(), mailParams));
    for (MailTransaction.Recipient r : tx.recipients()) {
      List<EsmtpParam> p = new ArrayList<>(2);
      if (caps.dsn() && !r.notifyOn().isEmpty()) {
        p.add(new EsmtpParam.Notify(r.notifyOn()));
      }
      if (caps.dsn() && r.orcpt() != null) {
        p.add(new EsmtpParam.OriginalRecipient("rfc822", r.orcpt()));
      }
      commands.add(new SmtpCommand.RcptTo(r.path(), p));
    }
    commands.add(bdat ? new SmtpCommand.Bdat(size, true) : new SmtpCommand.Data());
    needRset = false;
    boolean pipelined = options.isPipelining() && caps.pipelining();
    Future<List<Reply>> replies = pipelined ? pipeline(commands, bdat ? tx.content() : null)
        : lockstep(commands, bdat ? tx.content() : null);
    if (bdat) {
      contentWritten.tryComplete();
    }
    List<Buffer> stuffed = wire;
    return replies.recover(e -> Future.failedFuture(reused && e instanceof SmtpConnectionException ce && !ce.isTlsFailure()
            ? new SmtpConnectionException("stale session to " + host + ": " + e.getMessage(), e, true, false) : e))
        .compose(rs -> {
          int i = 0;
          if (commands.get(0) instanceof SmtpCommand.Rset) {
            i = 1;
          }
          Reply mail = rs.get(i);
          if (reused && mail.code() == 421) {
            socket.close();
            return Future.failedFuture(new SmtpConnectionException("stale session to " + host + ": " + mail, null, true, false));
          }
          List<Reply> rcpts = rs.subList(i + 1, i + 1 + tx.recipients().size());
          Reply last = rs.size() > i + 1 + tx.recipients().size() ? rs.get(i + 1 + tx.recipients().size()) : null;
          boolean anyAccepted = mail.isPositive() && rcpts.stream().anyMatch(Reply::isPositive);
          if (!mail.isPositive()) {
            completed++;
            return Future.succeededFuture(result(tx, mail, rcpts, mail, null));
          }
          if (bdat || last == null || last.code() != 354) {
            // BDAT's reply is final; a refused DATA (or lockstep stopping early) leaves the transaction open.
            if (!bdat || !last.isPositive()) {
              needRset = !bdat || !anyAccepted;
            }
            completed++;
            return Future.succeededFuture(result(tx, mail, rcpts, last != null ? last : mail, bdat ? last : null));
          }
          // 354: send the content, then the final reply settles the accepted recipients.
          Future<Reply> end = stuffed != null ? sendBuffer(stuffed, contentWritten) : sendStream(tx.stream(), contentWritten);
          return end.map(fin -> {
            completed++;
            if (!anyAccepted) {
              needRset = true;
            }
            return result(tx, mail, rcpts, fin, fin);
          });
        });
  }

  private Future<List<Reply>> pipeline(List<SmtpCommand> commands, Buffer bdatContent) {
    Buffer out = Buffer.buffer(64 * commands.size() + (bdatContent == null ? 0 : bdatContent.length()));
    List<Future<Reply>> fs = new ArrayList<>(commands.size());
    for (SmtpCommand c : commands) {
      String line = CommandEncoder.encode(c);
      fs.add(expect(phaseOf(c), line.strip(), Timeouts.phaseOf(c.kind())));
      out.appendBytes(line.getBytes(StandardCharsets.UTF_8));
    }
    // RFC 2920: the whole group in one write (the chunk joins it without a copy).
    write(out);
    if (bdatContent != null) {
      write(bdatContent);
    }
    return Future.all(fs).map(cf -> cf.<Reply>list());
  }

  /** Without PIPELINING: one command at a time; stop after a refused MAIL, and before DATA without recipients. */
  private Future<List<Reply>> lockstep(List<SmtpCommand> commands, Buffer bdatContent) {
    List<Reply> out = new ArrayList<>(commands.size());
    Future<Void> chain = Future.succeededFuture();
    for (SmtpCommand c : commands) {
      chain = chain.compose(v -> {
        if (stopBefore(c, commands, out)) {
          return Future.succeededFuture();
        }
        String line = CommandEncoder.encode(c);
        Future<Reply> f = expect(phaseOf(c), line.strip(), Timeouts.phaseOf(c.kind()));
        Buffer b = Buffer.buffer(line);
        if (c instanceof SmtpCommand.Bdat) {
          b.appendBuffer(bdatContent);
        }
        write(b);
        return f.map(r -> {
          out.add(r);
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
      return done.stream().skip(mailIndex + 1).noneMatch(Reply::isPositive);
    }
    return false;
  }

  private Future<Reply> sendBuffer(List<Buffer> stuffed, Promise<Void> contentWritten) {
    Future<Reply> fin = expect(Phase.CONTENT, ".", Timeouts.Phase.DATA_END);
    stuffed.forEach(this::write);
    // The next transaction's group joins the same write.
    contentWritten.tryComplete();
    return fin;
  }

  private Future<Reply> sendStream(ReadStream<Buffer> stream, Promise<Void> contentWritten) {
    Promise<Reply> fin = Promise.promise();
    DotStuffer stuffer = new DotStuffer();
    stream.exceptionHandler(e -> {
      // A message cannot be withdrawn half-way through DATA: drop the session so it is never taken.
      socket.close();
      fin.tryFail(new SmtpConnectionException("content stream failed: " + e.getMessage(), e, false, false));
      contentWritten.tryComplete();
    });
    stream.endHandler(v -> {
      expect(Phase.CONTENT, ".", Timeouts.Phase.DATA_END).onComplete(fin);
      write(stuffer.finish());
      contentWritten.tryComplete();
    });
    flush();
    stream.handler(chunk -> {
      flush();
      socket.write(stuffer.encode(chunk));
      if (socket.writeQueueFull()) {
        stream.pause();
        socket.drainHandler(d -> stream.resume());
      }
    });
    stream.resume();
    return fin.future();
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

  private static Phase phaseOf(SmtpCommand c) {
    return switch (c.kind()) {
      case RSET -> Phase.RSET;
      case MAIL -> Phase.MAIL;
      case RCPT -> Phase.RCPT;
      case DATA -> Phase.DATA;
      case BDAT -> Phase.CONTENT;
      case EHLO, HELO -> Phase.EHLO;
      case STARTTLS -> Phase.STARTTLS;
      case AUTH -> Phase.AUTH;
      case QUIT -> Phase.QUIT;
      case NOOP, VRFY, EXPN, HELP, UNKNOWN -> Phase.MAIL;
    };
  }

  private static boolean needsUtf8(MailTransaction tx) {
    if (!tx.from().isNull() && tx.from().mailbox().needsSmtpUtf8()) {
      return true;
    }
    return tx.recipients().stream().anyMatch(r -> !r.path().isPostmaster() && r.path().mailbox().needsSmtpUtf8());
  }

  // ------------------------------------------------------------------ the rest

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public boolean isTls() {
    return socket.isSsl();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public int completedTransactions() {
    return completed;
  }

  @Override
  public Future<Void> quit() {
    return onContext(this::quitHere);
  }

  private Future<Void> quitHere() {
    if (!open) {
      return Future.succeededFuture();
    }
    return command(Phase.QUIT, new SmtpCommand.Quit()).transform(ar -> close());
  }

  @Override
  public Future<Void> close() {
    return onContext(() -> {
      open = false;
      vertx.cancelTimer(sweeper);
      return socket.close();
    });
  }
}
