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
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.net.NetSocketInternal;
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
 * <p>Runs on the context that opened it; no locking. Every promise it makes belongs to that context, so a
 * listener that throws is reported to Vert.x (the context's exception handler) instead of unwinding into
 * the reply loop; calls into the caller's content stream are guarded, and what they throw fails the
 * content as the stream's own failure would.
 *
 * <p>Every way in from Vert.x (socket data, close and exception, the deadline timer, the write task, the
 * drain handler, the content stream's callbacks, calls from other threads) goes through {@link #guard}, and
 * every transaction's future through {@link #typed}: an exception nobody expected is logged once with the
 * session's id, fails every pending transaction with an {@link SmtpConnectionException}, and the socket is
 * closed and the timer cancelled whatever else fails.
 */
final class ClientSessionImpl implements ClientSession {

  private record Expect(Phase phase, String command, Promise<Reply> promise, long deadline, Duration timeout) {
  }

  private static final System.Logger LOG = System.getLogger("dev.peregrine.client");
  private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong();

  private final String id = "c" + IDS.incrementAndGet();
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
  private Future<Void> previousContent;
  private final ContextInternal context;
  /** Writes of the current event-loop task, sent as one: the end of a message and the next group together. */
  private List<Object> outbox;
  /** What failed the session from inside (see {@link #guard}), or null. */
  private SmtpConnectionException crashed;
  /** Test seam (fault injection): called with the name of each entry point and probe as it is reached. */
  volatile java.util.function.Consumer<String> faults;

  ClientSessionImpl(Vertx vertx, SmtpClientOptions options, NetSocket socket, String host) {
    this.vertx = vertx;
    this.options = options;
    this.socket = socket;
    this.host = host;
    this.decoder = new ReplyDecoder(options.getLimits());
    this.context = (ContextInternal) vertx.getOrCreateContext();
    this.previousContent = context.succeededFuture();
    // One periodic check of the oldest outstanding reply instead of a timer per command: a timer per
    // command cost more than the command itself under load.
    long shortest = Long.MAX_VALUE;
    for (Duration d : options.getTimeouts().asMap().values()) {
      shortest = Math.min(shortest, d.toMillis());
    }
    this.sweeper = vertx.setPeriodic(Math.max(10, Math.min(1000, shortest / 4)), t -> guard("timer", this::checkDeadline));
  }

  final long sweeper;
  private record Streaming(ReadStream<Buffer> stream, Promise<Reply> fin, Promise<Void> contentWritten) {
  }

  /** The content stream being sent, if any. */
  private Streaming streaming;
  /** While content streams: when a chunk was last written or drained (System.nanoTime()); 0 otherwise. */
  private long contentProgressAt;

  private void checkDeadline() {
    long progress = contentProgressAt;
    if (progress != 0 && open) {
      Duration block = options.getTimeouts().get(Timeouts.Phase.DATA_BLOCK);
      if (System.nanoTime() - progress > block.toNanos()) {
        // RFC 5321 §4.5.3.2.5: no block of content could be sent (or none came from the stream) for that long.
        contentProgressAt = 0;
        failAll(new SmtpConnectionException("no content could be sent to " + host + " within " + block
            + " (data block timeout)", null, false, false));
        socket.close();
        return;
      }
    }
    // Every outstanding reply, not only the oldest: a pipelined command with a shorter timeout than the
    // ones before it (DATA after MAIL) expires first, and its reply cannot come before theirs.
    long now = System.nanoTime();
    for (Expect e : expected) {
      if (now - e.deadline() > 0) {
        failAll(new SmtpConnectionException(host + " did not answer "
            + (e.command() == null ? "with a greeting" : e.command()) + " within " + e.timeout(), null, false, false));
        socket.close();
        break;
      }
    }
    if (!open) {
      vertx.cancelTimer(sweeper);
    }
  }

  /** Installs the socket handlers; called once the greeting is awaited, so that no reply can come first. */
  private void listen() {
    socket.handler(data -> guard("socket data", () -> onData(data)));
    socket.closeHandler(v -> guard("socket close", () -> {
      Expect oldest = expected.peek();
      failAll(new SmtpConnectionException("connection closed by " + host
          + (oldest == null ? "" : " before the reply to " + (oldest.command() == null ? "the greeting" : oldest.command())),
          null, false, false));
    }));
    socket.exceptionHandler(e -> guard("socket exception", () -> {
      failAll(new SmtpConnectionException("connection to " + host + " failed: " + e.getMessage(), e, false, false));
      socket.close();
    }));
  }

  // ------------------------------------------------------------------ the guarded boundary

  /** Runs one entry from Vert.x into the session; what it throws unexpectedly fails the session. */
  private void guard(String entry, Runnable action) {
    try {
      probe(entry);
      action.run();
    } catch (RuntimeException e) {
      crash(entry, e);
    }
  }

  private void probe(String point) {
    java.util.function.Consumer<String> f = faults;
    if (f != null) {
      f.accept(point);
    }
  }

  /**
   * A transaction's or set-up step's future as callers see it: our own typed failures as they are; anything
   * else was thrown by a continuation of the session's (a bug), and fails the session.
   */
  private <T> Future<T> typed(Future<T> f) {
    return f.recover(e -> Future.failedFuture(e instanceof SmtpClientException || e instanceof SmtpConnectionException
        ? e : crash("continuation", e)));
  }

  /**
   * Logs {@code e} once with the session's id, fails everything pending with a typed error, and closes: the
   * session's state can no longer be trusted. Cleanup runs step by step, whatever one of them throws.
   */
  private SmtpConnectionException crash(String entry, Throwable e) {
    if (crashed == null) {
      crashed = new SmtpConnectionException("client session " + id + " to " + host + " failed: unexpected " + e, e,
          false, false);
      LOG.log(System.Logger.Level.ERROR, "client session " + id + " to " + host + ": unexpected exception in " + entry
          + "; the session is closed", e);
    }
    // Closed before anyone hears of it: a caller woken by the failure finds the session already shut.
    open = false;
    outbox = null;
    try {
      vertx.cancelTimer(sweeper);
    } finally {
      try {
        socket.close();
      } finally {
        failAll(crashed);
      }
    }
    return crashed;
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
    if (reply.code() == 421) {
      // The server is closing (RFC 5321 §3.8): no other pipelined command will be answered, so 421 is the
      // answer to each of them, rather than "connection closed".
      open = false;
      Expect rest;
      while ((rest = expected.poll()) != null) {
        rest.promise().tryComplete(reply);
      }
      socket.close();
    }
  }

  private void failAll(Throwable cause) {
    open = false;
    contentProgressAt = 0;
    Streaming st = streaming;
    if (st != null) {
      // A content stream in flight: stop reading it and fail its transaction (no reply is awaited yet).
      streaming = null;
      onStream(st, st.stream::pause);
      st.fin.tryFail(cause);
      st.contentWritten.tryComplete();
    }
    Expect e;
    while ((e = expected.poll()) != null) {
      e.promise().tryFail(cause);
    }
    vertx.cancelTimer(sweeper);
  }

  /** Awaits the next reply, which answers {@code command} (null for the greeting). */
  Future<Reply> expect(Phase phase, String command, Timeouts.Phase timeoutPhase) {
    Promise<Reply> p = context.promise();
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
    enqueue(b);
  }

  /** Adds a Buffer or {@link Stuffed} content to the current task's write. */
  private void enqueue(Object part) {
    if (outbox == null) {
      outbox = new ArrayList<>(4);
      context.runOnContext(v -> guard("write", this::flush));
    }
    outbox.add(part);
  }

  /** Sends what is queued now (before a streamed write or a TLS upgrade, which bypass the outbox). */
  private void flush() {
    List<Object> parts = outbox;
    outbox = null;
    if (parts == null || parts.isEmpty() || !open) {
      return;
    }
    int total = 0;
    boolean content = false;
    for (Object o : parts) {
      if (o instanceof Buffer b) {
        total += b.length();
      } else {
        content = true;
        int n = ((Stuffed) o).content().length();
        total += n + (n >>> 6) + 8; // room for a dot per 64 octets and the terminator; grows past it
      }
    }
    if (!content && total <= 16 * 1024) {
      List<Buffer> buffers = new ArrayList<>(parts.size());
      for (Object o : parts) {
        buffers.add((Buffer) o);
      }
      socket.write(dev.peregrine.protocol.impl.Bytes.concat(buffers));
      return;
    }
    // Message content, or a large write: copied once, into one pooled direct buffer that the channel
    // releases after the write, dot-stuffing on the way. (A composite of heap buffers costs Netty a merged
    // heap copy and then a direct copy, both allocated per message.)
    NetSocketInternal internal = (NetSocketInternal) socket;
    io.netty.buffer.ByteBuf direct = internal.channelHandlerContext().alloc().directBuffer(total);
    try {
      for (Object o : parts) {
        if (o instanceof Stuffed stuffed) {
          DotStuffer stuffer = new DotStuffer();
          stuffer.encodeTo(stuffed.content(), direct);
          direct.writeBytes(((BufferInternal) stuffer.finish()).getByteBuf());
          continue;
        }
        io.netty.buffer.ByteBuf src = ((BufferInternal) o).getByteBuf();
        int n = src.readableBytes();
        // Driven by the source: a composite copies component by component.
        direct.ensureWritable(n);
        src.getBytes(src.readerIndex(), direct, direct.writerIndex(), n);
        direct.writerIndex(direct.writerIndex() + n);
      }
    } catch (RuntimeException e) {
      direct.release(); // not handed to the channel, which would release it after the write
      throw e;
    }
    internal.writeMessage(direct);
  }

  /** Writes one command and awaits its reply. */
  Future<Reply> command(Phase phase, SmtpCommand command) {
    String line = CommandEncoder.encode(command);
    Future<Reply> f = expect(phase, describe(command, line), Timeouts.phaseOf(command.kind()));
    write(Buffer.buffer(line.getBytes(StandardCharsets.UTF_8)));
    return f;
  }

  /**
   * The command as messages show it: its line without CRLF, except that AUTH's initial response (a password
   * or a bearer token, base64 is no protection) is never kept.
   */
  static String describe(SmtpCommand command, String line) {
    if (command instanceof SmtpCommand.Auth auth) {
      return "AUTH " + auth.mechanism() + (auth.initialResponse() == null ? "" : " ****");
    }
    return line.strip();
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
    return typed(positive(greeting, Phase.GREETING, null, false).compose(g -> ehlo()));
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
    return typed(positive(command(Phase.STARTTLS, new SmtpCommand.StartTls()), Phase.STARTTLS, "STARTTLS", false)
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
        .compose(v -> ehlo()));
  }

  Future<Void> authenticate(String mechanism, String user, String password) {
    Base64.Encoder b64 = Base64.getEncoder();
    Future<Reply> done = switch (mechanism) {
      case "PLAIN" -> positive(command(Phase.AUTH, new SmtpCommand.Auth("PLAIN",
          b64.encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8)))), Phase.AUTH, "AUTH PLAIN", false);
      case "XOAUTH2" -> positive(command(Phase.AUTH, new SmtpCommand.Auth("XOAUTH2",
          b64.encodeToString(("user=" + user + "\1auth=Bearer " + password + "\1\1").getBytes(StandardCharsets.UTF_8)))),
          Phase.AUTH, "AUTH XOAUTH2", true)
          .compose(r -> r.isIntermediate()
              // RFC 7628 §3.2.3: the 334 carries an error; an empty response gets the final (negative) reply.
              ? positive(raw(Phase.AUTH, "", "AUTH XOAUTH2"), Phase.AUTH, "AUTH XOAUTH2", false) : Future.succeededFuture(r));
      case "LOGIN" -> positive(command(Phase.AUTH, new SmtpCommand.Auth("LOGIN", null)), Phase.AUTH, "AUTH LOGIN", true)
          .compose(r -> positive(raw(Phase.AUTH, b64.encodeToString(user.getBytes(StandardCharsets.UTF_8)), "AUTH LOGIN (user)"),
              Phase.AUTH, "AUTH LOGIN (user)", true))
          .compose(r -> positive(raw(Phase.AUTH, b64.encodeToString(password.getBytes(StandardCharsets.UTF_8)), "AUTH LOGIN (password)"),
              Phase.AUTH, "AUTH LOGIN (password)", false));
      default -> null;
    };
    if (done == null) {
      return Future.failedFuture(new IllegalArgumentException("unsupported SASL mechanism " + mechanism));
    }
    return typed(done).mapEmpty();
  }

  private Future<Reply> raw(Phase phase, String line, String what) {
    Future<Reply> f = expect(phase, what, Timeouts.Phase.AUTH);
    write(Buffer.buffer(line + "\r\n"));
    return f;
  }

  // ------------------------------------------------------------------ transactions

  /** Runs {@code action} on the session's event loop: its state is touched from there only. */
  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> action) {
    // The caller's listeners go on a future of the session's context: what they throw is reported there.
    Promise<T> p = context.promise();
    if (context.isRunningOnContext()) {
      run(action, p);
    } else {
      context.runOnContext(v -> run(action, p));
    }
    return p.future();
  }

  private <T> void run(java.util.function.Supplier<Future<T>> action, Promise<T> p) {
    boolean[] started = {false};
    guard("call", () -> {
      Future<T> f = action.get();
      started[0] = true;
      f.onComplete(p);
    });
    if (!started[0]) {
      p.tryFail(crashed);
    }
  }

  @Override
  public Future<DeliveryResult> send(MailTransaction tx) {
    return onContext(() -> sendHere(tx));
  }

  private Future<DeliveryResult> sendHere(MailTransaction tx) {
    if (tx.stream() != null) {
      try {
        tx.stream().pause();
      } catch (RuntimeException e) {
        // The caller's stream, before anything was sent: this message fails, the session goes on.
        return Future.failedFuture(contentUnreadable(e));
      }
    }
    Promise<Void> contentWritten = context.promise();
    Future<Void> before = previousContent;
    previousContent = contentWritten.future();
    // Pipelining: this transaction's commands go out as soon as the previous content is written, not when
    // its reply arrives; the replies come back in order.
    return typed(before.transform(ignored -> transaction(tx, contentWritten)))
        .onComplete(ar -> contentWritten.tryComplete());
  }

  private Future<DeliveryResult> transaction(MailTransaction tx, Promise<Void> contentWritten) {
    if (!open) {
      if (crashed != null) {
        return Future.failedFuture(crashed);
      }
      // A reused session the server has dropped meanwhile (idle timeout, 421) is stale, not a failure.
      return Future.failedFuture(new SmtpConnectionException("session to " + host + " is closed", null, completed > 0, false));
    }
    TransactionPlan plan = TransactionPlan.of(tx, capabilities, options.isChunking(), needRset);
    if (plan.refusal != null) {
      return Future.failedFuture(new SmtpClientException(Phase.MAIL, null, plan.refusal));
    }
    boolean reused = completed > 0;
    needRset = false;
    boolean pipelined = options.isPipelining() && capabilities.pipelining();
    Buffer chunk = plan.content == TransactionPlan.Content.BDAT_BUFFER ? plan.wire.get(0) : null;
    Promise<Void> answered = context.promise(); // the server has answered MAIL: not stale any more
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
            ? new SmtpConnectionException("stale session to " + host + ": " + e.getMessage(), e, true, false) : e))
        .compose(rs -> settle(tx, plan, rs, reused, pipelined, contentWritten))
        .onSuccess(r -> completed++);
  }

  /** Reads the replies to the commands and, when the server is ready for it, sends the content. */
  private Future<DeliveryResult> settle(MailTransaction tx, TransactionPlan plan, List<Reply> rs, boolean reused,
                                        boolean pipelined, Promise<Void> contentWritten) {
    probe("settle");
    int n = tx.recipients().size();
    Reply mail = rs.get(plan.mailIndex);
    if (reused && mail.code() == 421) {
      socket.close();
      return Future.failedFuture(new SmtpConnectionException("stale session to " + host + ": " + mail,
          new SmtpClientException(Phase.MAIL, null, mail), true, false));
    }
    List<Reply> rcpts = rs.subList(plan.mailIndex + 1, plan.mailIndex + 1 + n);
    Reply contentReply = rs.size() > plan.mailIndex + 1 + n ? rs.get(plan.mailIndex + 1 + n) : null;
    if (!mail.isPositive()) {
      // No transaction was opened: nothing to reset.
      return Future.succeededFuture(result(tx, mail, rcpts, mail, null));
    }
    boolean anyAccepted = anyPositive(rcpts);
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
        Future<Reply> end = plan.content == TransactionPlan.Content.DATA_BUFFER
            ? sendBuffer(plan.wire, contentWritten) : sendStream(tx.stream(), contentWritten);
        yield end.map(fin -> {
          needRset |= !anyAccepted;
          return result(tx, mail, rcpts, fin, fin);
        });
      }
      case BDAT_STREAM -> {
        if (!anyAccepted) {
          needRset = true;
          yield Future.succeededFuture(result(tx, mail, rcpts, mail, null));
        }
        yield sendBdatStream(tx.stream(), plan.binary, pipelined, contentWritten).map(fin -> {
          // A refused chunk may leave the transaction open; RSET costs nothing when it does not.
          needRset |= !fin.isPositive();
          return result(tx, mail, rcpts, fin, fin);
        });
      }
    };
  }

  private Future<List<Reply>> pipeline(List<SmtpCommand> commands, Buffer bdatContent, Promise<Void> answered) {
    Buffer out = Buffer.buffer(64 * commands.size() + (bdatContent == null ? 0 : bdatContent.length()));
    List<Future<Reply>> fs = new ArrayList<>(commands.size());
    for (SmtpCommand c : commands) {
      String line = CommandEncoder.encode(c);
      Future<Reply> f = expect(phaseOf(c), describe(c, line), Timeouts.phaseOf(c.kind()));
      if (c instanceof SmtpCommand.MailFrom) {
        f.onSuccess(r -> answered.tryComplete());
      }
      fs.add(f);
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
  private Future<List<Reply>> lockstep(List<SmtpCommand> commands, Buffer bdatContent, Promise<Void> answered) {
    List<Reply> out = new ArrayList<>(commands.size());
    Future<Void> chain = Future.succeededFuture();
    for (SmtpCommand c : commands) {
      chain = chain.compose(v -> {
        if (stopBefore(c, commands, out)) {
          return Future.succeededFuture();
        }
        String line = CommandEncoder.encode(c);
        Future<Reply> f = expect(phaseOf(c), describe(c, line), Timeouts.phaseOf(c.kind()));
        if (c instanceof SmtpCommand.MailFrom) {
          f.onSuccess(r -> answered.tryComplete());
        }
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
      return !anyPositive(done.subList(Math.min(mailIndex + 1, done.size()), done.size()));
    }
    return false;
  }

  /** DATA content held whole: dot-stuffed and terminated as it is copied into the socket's buffer. */
  private record Stuffed(Buffer content) {
  }

  private Future<Reply> sendBuffer(List<Buffer> content, Promise<Void> contentWritten) {
    Future<Reply> fin = expect(Phase.CONTENT, ".", Timeouts.Phase.DATA_END);
    enqueue(new Stuffed(content.get(0)));
    // The next transaction's group joins the same write.
    contentWritten.tryComplete();
    return fin;
  }

  /** DATA content from a stream: dot-stuffed chunk by chunk, paused while the socket's write queue is full. */
  private Future<Reply> sendStream(ReadStream<Buffer> stream, Promise<Void> contentWritten) {
    Promise<Reply> fin = context.promise();
    DotStuffer stuffer = new DotStuffer();
    Streaming st = startStreaming(stream, fin, contentWritten);
    onStream(st, () -> {
      stream.endHandler(v -> guard("content end", () -> {
        if (streaming != st) {
          return;  // the session or the stream failed meanwhile
        }
        streaming = null;
        contentProgressAt = 0;
        expect(Phase.CONTENT, ".", Timeouts.Phase.DATA_END).onComplete(fin);
        write(stuffer.finish());
        contentWritten.tryComplete();
      }));
      stream.handler(chunk -> guard("content chunk", () -> {
        if (streaming != st) {
          return;
        }
        flush();
        socket.write(stuffer.encode(chunk));
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
   * The result is the first refused chunk's reply, else the reply to the last.
   */
  private Future<Reply> sendBdatStream(ReadStream<Buffer> stream, boolean binary, boolean pipelined,
                                       Promise<Void> contentWritten) {
    Promise<Reply> fin = context.promise();
    DotStuffer lines = binary ? null : DotStuffer.lineEndingsOnly();
    List<Future<Reply>> chunkReplies = new ArrayList<>();
    Streaming st = startStreaming(stream, fin, contentWritten);
    onStream(st, () -> stream.endHandler(v -> guard("content end", () -> {
      if (streaming != st) {
        return;  // the session or the stream failed meanwhile
      }
      streaming = null;
      contentProgressAt = 0;
      Buffer tail = lines == null ? Buffer.buffer() : lines.finish();
      String command = "BDAT " + tail.length() + " LAST";
      Future<Reply> last = expect(Phase.CONTENT, command, Timeouts.Phase.DATA_END);
      write(Buffer.buffer(command + "\r\n").appendBuffer(tail));
      contentWritten.tryComplete();
      last.map(lr -> chunkReplies.stream().map(Future::result).filter(r -> !r.isPositive()).findFirst().orElse(lr))
          .onComplete(fin);
    })));
    onStream(st, () -> stream.handler(chunk -> guard("content chunk", () -> {
      if (streaming != st) {
        return;
      }
      Buffer data = lines == null ? chunk : lines.encode(chunk);
      if (data.length() == 0) {
        return;
      }
      flush();
      String command = "BDAT " + data.length();
      Future<Reply> reply = expect(Phase.CONTENT, command, Timeouts.Phase.DATA_END);
      chunkReplies.add(reply);
      socket.write(dev.peregrine.protocol.impl.Bytes.concat(List.of(Buffer.buffer(command + "\r\n"), data)));
      if (pipelined) {
        pauseWhileFull(st);
      } else {
        // RFC 3030 §4.2 without PIPELINING: the next BDAT waits for this one's reply.
        onStream(st, stream::pause);
        reply.onSuccess(r -> {
          contentProgressAt = System.nanoTime();
          onStream(st, stream::resume);
        });
      }
    })));
    onStream(st, stream::resume);
    return fin.future();
  }

  /** Sends what is queued, starts the DATA_BLOCK clock, and makes {@code stream} the one in flight. */
  private Streaming startStreaming(ReadStream<Buffer> stream, Promise<Reply> fin, Promise<Void> contentWritten) {
    flush();
    contentProgressAt = System.nanoTime();
    Streaming st = new Streaming(stream, fin, contentWritten);
    streaming = st;
    onStream(st, () -> stream.exceptionHandler(e -> guard("content failure", () -> contentFailed(st, e))));
    return st;
  }

  /**
   * Calls into the caller's content stream (registering handlers, pause, resume): what it throws is that
   * stream failing, and must not unwind into the reply loop or leave the server waiting for content.
   */
  private void onStream(Streaming st, Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      contentFailed(st, e);
    }
  }

  /** A message cannot be withdrawn half-way through its content: a failed stream drops the session. */
  private void contentFailed(Streaming st, Throwable e) {
    if (streaming != st) {
      return; // already ended, or the session failed first
    }
    streaming = null;
    contentProgressAt = 0;
    open = false;
    socket.close();
    // Our content source failed, not the server: a transaction failure (the session is closed, since
    // DATA cannot be abandoned half-way), which another exchanger would not fix.
    st.fin.tryFail(contentUnreadable(e));
    st.contentWritten.tryComplete();
  }

  private static SmtpClientException contentUnreadable(Throwable e) {
    return new SmtpClientException(Phase.CONTENT, null, Reply.of(451, "4.3.0",
        "The message content could not be read: " + Reply.lineText(String.valueOf(e.getMessage()))), e);
  }

  /** Write-queue back-pressure; each chunk written or drained is progress for the DATA_BLOCK timeout. */
  private void pauseWhileFull(Streaming st) {
    contentProgressAt = System.nanoTime();
    if (socket.writeQueueFull()) {
      onStream(st, st.stream::pause);
      socket.drainHandler(d -> guard("drain", () -> {
        contentProgressAt = System.nanoTime();
        onStream(st, st.stream::resume);
      }));
    }
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

  // ------------------------------------------------------------------ the rest

  @Override
  public String id() {
    return id;
  }

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
