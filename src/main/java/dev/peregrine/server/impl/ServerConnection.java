package dev.peregrine.server.impl;

import dev.peregrine.protocol.BdatDecoder;
import dev.peregrine.protocol.CommandParser;
import dev.peregrine.protocol.DataDecoder;
import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.protocol.LineFramer;
import dev.peregrine.protocol.LineTooLongException;
import dev.peregrine.protocol.ParseResult;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.ServerReplies;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.protocol.SmtpException;
import dev.peregrine.protocol.Timeouts;
import dev.peregrine.server.Credentials;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServerOptions;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.net.NetSocket;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One SMTP connection, server side: reads commands as they arrive (RFC 2920), answers a whole pipelined
 * group with one write, streams content to the handler with back-pressure, and enforces the limits.
 *
 * <p>Runs on the connection's context only; no field is touched from another thread, so nothing is
 * synchronized. Never blocks: every handler call returns a future, and while one is pending the socket is
 * paused and later input waits in the line framer. Every entry from Vert.x (socket data, close, drain,
 * shutdown, timers, handler-future continuations, content-stream demand, the TLS handshake) goes through
 * {@link #guard}: whatever it throws is logged once and answered {@code 421 4.3.0} with a close, and the
 * close always releases the connection's slot.
 */
final class ServerConnection implements ContentStream.Owner {

  enum State { CONNECTING, COMMAND, AUTH, DATA, BDAT, TLS, CLOSED }

  /** Reasons to stop reading the socket; reading resumes when none is left. */
  private static final int PAUSE_WAITING = 1;
  private static final int PAUSE_CONTENT = 2;
  private static final int PAUSE_WRITE = 4;

  private static final Reply R250_QUEUED = Reply.of(250, "2.0.0", "OK: queued");
  private static final Reply R501_BAD_BASE64 = Reply.of(501, "5.5.2", "Cannot decode the response");
  private static final Reply R554_EARLY_TALKER = Reply.of(554, "5.5.1", "Protocol error: data sent before the greeting");
  private static final Reply R503_BINARYMIME_NEEDS_BDAT = Reply.of(503, "5.5.1", "BODY=BINARYMIME needs BDAT, not DATA");
  private static final Reply R502_AUTH_NOT_ENABLED = Reply.of(502, "5.5.1", "Authentication not enabled");
  private static final Reply R502_VRFY_DISABLED = Reply.of(502, "5.5.1", "VRFY command disabled");
  private static final Reply R503_STARTTLS_IN_TRANSACTION = Reply.of(503, "5.5.1", "STARTTLS not allowed during a mail transaction");
  private static final Reply R421_AUTH_FAILURES = Reply.of(421, "4.7.0", "Too many authentication failures");
  private static final Reply R451_ABORTED = Reply.of(451, "4.3.0", "Transaction aborted by the client");
  private static final Reply R451_CLOSED = Reply.of(451, "4.4.2", "Connection closed during the message");
  private static final Reply R421_LOCAL_ERROR = Reply.of(421, "4.3.0", "Local error, closing connection");
  private static final Reply R421_LOCAL_TIMEOUT = Reply.of(421, "4.3.0", "Local processing timed out, closing connection");
  private static final Reply R454_TLS_FAILED = Reply.of(454, "4.7.0", "TLS not available due to temporary reason");
  /** Postfix's {@code smtpd_forbid_bare_newline = reject}: a command line not ending in CRLF. */
  private static final Reply R550_BARE_LINE_ENDING = Reply.of(550, "5.5.2", "Error: bare <CR> or <LF> received in a command");
  private static final Set<String> FORBIDDEN = Set.of("CONNECT", "GET", "POST", "PUT", "HEAD");
  private static final Reply R221_NOT_HTTP = Reply.of(221, "2.7.0", "This is an SMTP server; closing");

  /** Wire forms of the constant replies, encoded once: most replies of a session are these. */
  private static final Map<Reply, byte[]> ENCODED = encodeConstants();

  private static Map<Reply, byte[]> encodeConstants() {
    Map<Reply, byte[]> m = new IdentityHashMap<>();
    for (Class<?> c : new Class<?>[] {ServerReplies.class, ServerConnection.class}) {
      for (Field f : c.getDeclaredFields()) {
        if (f.getType() == Reply.class && Modifier.isStatic(f.getModifiers())) {
          try {
            f.setAccessible(true);
            Reply r = (Reply) f.get(null);
            if (r != null) {
              m.put(r, r.encode().getBytes(StandardCharsets.UTF_8));
            }
          } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
          }
        }
      }
    }
    return m;
  }

  private final SmtpServerImpl server;
  private final SmtpServerOptions options;
  private final SmtpHandler handler;
  private final NetSocket socket;
  private final ContextInternal context;
  private final SessionImpl session;
  private final String clientIp;
  private final LineFramer framer;
  private final CommandParser parser;
  private final DataDecoder dataDecoder;
  private final BdatDecoder bdatDecoder = new BdatDecoder();
  private final boolean rejectBareLineEndings;

  private State state = State.CONNECTING;
  private Buffer out = Buffer.buffer(256);
  private int pauseReasons;
  /** A handler future (or a delay) is pending: nothing else is read until it completes. */
  private boolean waiting;
  private boolean pumping;
  /** > 0 while our own code is on the stack; a pump then happens when it unwinds. */
  private int depth;
  private boolean draining;
  private boolean crashed;
  private int errors;
  private int authFailures;
  /** When the current wait (for a command, content, a handler or the TLS handshake) has lasted too long. */
  private long deadline;

  /** The open transaction, or {@code null} between transactions. */
  private Transaction tx;
  /** The SASL exchange in progress while {@link State#AUTH}. */
  private AuthExchange auth;
  /** A refused BDAT whose chunk is still being read (RFC 3030 §2), answered at its end. */
  private Reply bdatRefusal;

  ServerConnection(SmtpServerImpl server, NetSocket socket, ContextInternal context, String id, String clientIp) {
    this.server = server;
    this.options = server.options();
    this.handler = server.handler();
    this.socket = socket;
    this.context = context;
    this.clientIp = clientIp;
    this.session = new SessionImpl(id, socket);
    this.framer = new LineFramer(options.getLimits().commandLine());
    this.parser = server.parser();
    this.dataDecoder = new DataDecoder(options.getMaxMessageSize(), options.getBareLineEndings());
    this.rejectBareLineEndings = options.getBareLineEndings() == DataDecoder.Mode.REJECT;
  }

  SessionImpl session() {
    return session;
  }

  String clientIp() {
    return clientIp;
  }

  // ------------------------------------------------------------------ the guarded boundary

  /** Runs one entry from Vert.x; anything it throws ends the session with 421 4.3.0. */
  void guard(Runnable entry) {
    try {
      entry.run();
    } catch (Throwable t) {
      crash(t);
    }
  }

  private void crash(Throwable t) {
    if (crashed || state == State.CLOSED) {
      server.log(System.Logger.Level.DEBUG, session, "failure after the close", t);
      return;
    }
    crashed = true;
    server.log(System.Logger.Level.ERROR, session, "unexpected failure, closing with 421", t);
    try {
      replyAndClose(R421_LOCAL_ERROR);
    } catch (Throwable again) {
      state = State.CLOSED;
      socket.close();
    }
  }

  // ------------------------------------------------------------------ lifecycle

  void start() {
    socket.handler(data -> guard(() -> onData(data)));
    socket.closeHandler(v -> onClosed());
    socket.exceptionHandler(e -> guard(() -> {
      server.log(System.Logger.Level.DEBUG, session, "socket failed", e);
      socket.close();
    }));
    socket.drainHandler(v -> guard(() -> {
      pause(PAUSE_WRITE, false);
      pump();
    }));
    socket.shutdownHandler(v -> guard(this::shutdown));
    guard(() -> {
      touch(server.commandTimeoutNanos());
      waitFor(call(() -> handler.connect(session)), reply -> {
        if (reply != null && !reply.isPositive()) {
          replyAndClose(reply);
          return;
        }
        long delay = options.getGreetingDelay().toMillis();
        if (delay > 0) {
          server.vertx().setTimer(delay, t -> guard(this::greet));
        } else {
          greet();
        }
      });
    });
  }

  private void greet() {
    if (state != State.CONNECTING) {
      return;
    }
    state = State.COMMAND;
    touch(server.commandTimeoutNanos());
    out.appendBytes(server.greeting());
    flush();
  }

  /** The socket closed, whoever closed it. Always releases the connection's slot. */
  private void onClosed() {
    state = State.CLOSED;
    try {
      Transaction t = tx;
      tx = null;
      if (t != null) {
        // The SmtpHandler contract: reset is called for every transaction that ends without a message.
        t.failContent(new SmtpException(R451_CLOSED));
        safely("reset", () -> handler.reset(session, t.envelope));
      }
      safely("disconnect", () -> handler.disconnect(session));
    } finally {
      server.removed(this);
    }
  }

  /** A handler callback whose failure cannot be answered any more: logged, and the cleanup goes on. */
  private void safely(String what, Runnable call) {
    try {
      call.run();
    } catch (Throwable t) {
      server.log(System.Logger.Level.WARNING, session, "handler " + what + " failed", t);
    }
  }

  /** The server is shutting down: close idle sessions now, the others after their transaction. */
  void shutdown() {
    if (state == State.CLOSED) {
      return;
    }
    draining = true;
    if (isIdle()) {
      replyAndClose(ServerReplies.R421_SHUTTING_DOWN);
    }
  }

  /** The grace period is over. */
  void forceClose() {
    replyAndClose(ServerReplies.R421_SHUTTING_DOWN);
  }

  private boolean isIdle() {
    return tx == null && !waiting && (state == State.COMMAND || state == State.CONNECTING);
  }

  /** Called by the server's sweeper; closes the session when its current wait has lasted too long. */
  void checkTimeout(long now) {
    if (state == State.CLOSED || now - deadline <= 0) {
      return;
    }
    if (state == State.TLS) {
      // Mid-handshake nothing readable can be sent: the client's TLS layer sees the close.
      server.log(System.Logger.Level.DEBUG, session, "TLS handshake timed out", null);
      state = State.CLOSED;
      socket.close();
    } else if (waiting) {
      server.log(System.Logger.Level.WARNING, session, "handler did not answer in time", null);
      replyAndClose(R421_LOCAL_TIMEOUT);
    } else {
      replyAndClose(ServerReplies.R421_TIMEOUT);
    }
  }

  private void touch(long timeoutNanos) {
    deadline = System.nanoTime() + timeoutNanos;
  }

  private void touchInput() {
    touch(state == State.DATA || state == State.BDAT ? server.dataTimeoutNanos() : server.commandTimeoutNanos());
  }

  // ------------------------------------------------------------------ input

  private void onData(Buffer data) {
    if (state == State.CLOSED || state == State.TLS) {
      // After STARTTLS and before the handshake, anything in clear is an injection attempt (RFC 3207 §6).
      return;
    }
    if (state == State.CONNECTING) {
      // RFC 5321 §4.3.1: the client waits for the greeting. Spam engines often do not (pre-greeting talk).
      replyAndClose(R554_EARLY_TALKER);
      return;
    }
    depth++;
    try {
      if (!waiting) {
        touchInput();
      }
      if ((state == State.DATA || state == State.BDAT) && !waiting && !framer.hasBufferedBytes()) {
        consumeContent(data);
      } else {
        framer.append(data);
      }
    } finally {
      depth--;
    }
    pump();
  }

  /** Processes what is buffered until it runs out, a handler call is pending, or the mode changes. */
  private void pump() {
    if (pumping) {
      return;
    }
    pumping = true;
    try {
      while (!waiting && state != State.CLOSED && state != State.TLS && state != State.CONNECTING) {
        if (state == State.DATA || state == State.BDAT) {
          if (!framer.hasBufferedBytes() || (pauseReasons & PAUSE_CONTENT) != 0) {
            break;
          }
          consumeContent(framer.takeRemainder());
          continue;
        }
        Buffer line;
        try {
          line = framer.next();
        } catch (LineTooLongException e) {
          reply(state == State.AUTH ? ServerReplies.R500_AUTH_LINE_TOO_LONG : ServerReplies.R500_LINE_TOO_LONG);
          if (state == State.AUTH) {
            endAuth();
          }
          error();
          continue;
        }
        if (line == null) {
          break;
        }
        if (rejectBareLineEndings && framer.lastLineBare()) {
          // RFC 5321 §2.3.8; a bare LF ending a command is how SMTP smuggling starts (CVE-2023-51764).
          replyAndClose(R550_BARE_LINE_ENDING);
          break;
        }
        if (state == State.AUTH) {
          authResponse(line);
        } else {
          command(line);
        }
      }
    } finally {
      pumping = false;
    }
    flush();
  }

  private void consumeContent(Buffer data) {
    if (state == State.DATA) {
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
    if (from < data.length() && state != State.CLOSED) {
      framer.append(data.slice(from, data.length()));
    }
  }

  // ------------------------------------------------------------------ output

  private void reply(Reply r) {
    byte[] encoded = ENCODED.get(r);
    if (encoded != null) {
      out.appendBytes(encoded);
    } else {
      r.appendTo(out);
    }
  }

  private void flush() {
    if (out.length() == 0 || state == State.CLOSED) {
      return;
    }
    Buffer b = out;
    out = Buffer.buffer(256);
    socket.write(b);
    if (socket.writeQueueFull()) {
      // The client does not read its replies: stop reading its commands until it does.
      pause(PAUSE_WRITE, true);
    }
  }

  /** A handler's answer; 421 means the server is closing the session (RFC 5321 §3.8), so it does. */
  private void handlerReply(Reply r) {
    if (r.code() == 421) {
      replyAndClose(r);
    } else {
      reply(r);
    }
  }

  /** Sends what is buffered and {@code r}, then closes. Nothing is read or written after it. */
  private void replyAndClose(Reply r) {
    if (state == State.CLOSED) {
      return;
    }
    reply(r);
    Buffer b = out;
    out = Buffer.buffer(0);
    state = State.CLOSED;
    socket.end(b);
  }

  private void pause(int reason, boolean on) {
    int before = pauseReasons;
    pauseReasons = on ? before | reason : before & ~reason;
    if (before == 0 && pauseReasons != 0) {
      socket.pause();
    } else if (before != 0 && pauseReasons == 0) {
      socket.resume();
    }
  }

  @Override
  public void contentPaused(boolean paused) {
    onContext(() -> {
      pause(PAUSE_CONTENT, paused);
      // The handler resumed on its own (not inside our call): content may be waiting in the framer.
      if (!paused && depth == 0 && !pumping) {
        pump();
      }
    });
  }

  /** A reply to a command the client should not have sent; counts towards {@code max-errors}. */
  private void protocolError(Reply r) {
    reply(r);
    error();
  }

  /** Counts an error; at {@code max-errors} the session is closed with 421. */
  private void error() {
    if (++errors >= options.getMaxErrors()) {
      replyAndClose(ServerReplies.R421_TOO_MANY_ERRORS);
    }
  }

  // ------------------------------------------------------------------ waiting for the handler

  /**
   * Runs {@code then} with the future's result, at once when it is already complete (the common case for
   * fast handlers: no re-dispatch), else when it completes, back on this connection's context whatever
   * thread completed it, with the socket paused meanwhile and the wait bounded by {@code timeoutNanos}. A
   * failed future answers 451 4.3.0, or the reply an {@link SmtpException} carries.
   */
  private <T> void waitFor(Future<T> future, long timeoutNanos, Consumer<T> then) {
    if (future.isComplete()) {
      complete(future, then);
      return;
    }
    waiting = true;
    touch(timeoutNanos);
    flush();
    pause(PAUSE_WAITING, true);
    future.onComplete(ar -> onContext(() -> resumeAfter(future, then)));
  }

  /**
   * Runs a continuation guarded, on this connection's context: a handler future may complete on another
   * thread (a CompletionStage, a non-Vert.x client), and the connection's state belongs to its context.
   */
  private void onContext(Runnable continuation) {
    if (context.isRunningOnContext()) {
      guard(continuation);
    } else {
      context.runOnContext(v -> guard(continuation));
    }
  }

  private <T> void waitFor(Future<T> future, Consumer<T> then) {
    waitFor(future, server.commandTimeoutNanos(), then);
  }

  private <T> void resumeAfter(Future<T> future, Consumer<T> then) {
    if (state == State.CLOSED) {
      return;
    }
    waiting = false;
    pause(PAUSE_WAITING, false);
    depth++;
    try {
      complete(future, then);
      touchInput();
    } finally {
      depth--;
    }
    pump();
  }

  private <T> void complete(Future<T> future, Consumer<T> then) {
    if (future.succeeded()) {
      then.accept(future.result());
      return;
    }
    Throwable cause = future.cause();
    Reply r = cause instanceof SmtpException se ? se.reply() : ServerReplies.R451_LOCAL_ERROR;
    if (!(cause instanceof SmtpException)) {
      server.log(System.Logger.Level.WARNING, session, "handler failed", cause);
    }
    if (state == State.CONNECTING) {
      replyAndClose(r.isPositive() || r.isIntermediate() ? ServerReplies.R451_LOCAL_ERROR : r);
      return;
    }
    if (r.isPositive() || r.isIntermediate()) {
      r = ServerReplies.R451_LOCAL_ERROR;
    }
    handlerReply(r);
  }

  /** Calls the handler; a throw or a {@code null} future become futures too. */
  private static <T> Future<T> call(Supplier<Future<T>> step) {
    try {
      Future<T> f = step.get();
      return f == null ? Future.succeededFuture() : f;
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  // ------------------------------------------------------------------ commands

  private void command(Buffer line) {
    Transaction t = tx;
    ParseResult parsed = parser.parse(line, t != null && t.envelope.smtpUtf8() && options.isSmtpUtf8());
    if (parsed instanceof ParseResult.Malformed m) {
      protocolError(m.reply());
      return;
    }
    SmtpCommand c = ((ParseResult.Parsed) parsed).command();
    // A switch expression, so a new command kind fails to compile here.
    Runnable action = switch (c.kind()) {
      case EHLO -> () -> helo(((SmtpCommand.Ehlo) c).domain(), true);
      case HELO -> () -> helo(((SmtpCommand.Helo) c).domain(), false);
      case MAIL -> () -> mail((SmtpCommand.MailFrom) c);
      case RCPT -> () -> rcpt((SmtpCommand.RcptTo) c);
      case DATA -> this::data;
      case BDAT -> () -> bdat((SmtpCommand.Bdat) c);
      case RSET -> this::rset;
      case NOOP -> () -> reply(ServerReplies.R250_OK);
      case QUIT -> () -> replyAndClose(ServerReplies.R221_BYE);
      case VRFY -> () -> reply(options.isVrfy() ? ServerReplies.R252_CANNOT_VRFY : R502_VRFY_DISABLED);
      case EXPN -> () -> reply(options.isExpn() ? ServerReplies.R252_CANNOT_VRFY : ServerReplies.R502_EXPN_DISABLED);
      case HELP -> () -> reply(ServerReplies.R214_HELP);
      case STARTTLS -> this::startTls;
      case AUTH -> () -> auth((SmtpCommand.Auth) c);
      case UNKNOWN -> () -> unknown((SmtpCommand.Unknown) c);
    };
    action.run();
  }

  private void unknown(SmtpCommand.Unknown c) {
    // A web client (or a proxy abuser) talking to the SMTP port: there is no point in going on (as Postfix).
    if (FORBIDDEN.contains(c.verb())) {
      replyAndClose(R221_NOT_HTTP);
      return;
    }
    protocolError(ServerReplies.R500_UNRECOGNIZED);
  }

  private void helo(String domain, boolean ehlo) {
    // RFC 5321 §4.1.4: EHLO/HELO in a session resets the transaction.
    abortTransaction();
    waitFor(call(() -> handler.helo(session, domain)), r -> {
      if (r != null && !r.isPositive()) {
        handlerReply(r);
        return;
      }
      session.heloName = domain;
      session.esmtp = ehlo;
      String first = ServerReplies.ehloGreeting(options.getHostname(), domain);
      if (ehlo) {
        // The extension lines never change for a TLS state: only the first line is written anew.
        out.appendString("250-" + first + "\r\n").appendBytes(server.ehloExtensions(socket.isSsl()));
      } else {
        reply(Reply.of(250, null, first));
      }
    });
  }

  private void mail(SmtpCommand.MailFrom c) {
    if (session.heloName == null && options.isRequireEhlo()) {
      protocolError(ServerReplies.R503_EHLO_FIRST);
      return;
    }
    if (tx != null) {
      protocolError(ServerReplies.R503_NESTED_MAIL);
      return;
    }
    if (options.isRequireTls() && !socket.isSsl()) {
      reply(ServerReplies.R530_STARTTLS_FIRST);
      return;
    }
    if (options.isRequireAuth() && session.authenticatedUser == null) {
      reply(ServerReplies.R530_AUTH_REQUIRED);
      return;
    }
    Reply refusal = MailParams.check(c, options, session.esmtp, socket.isSsl());
    if (refusal != null) {
      reply(refusal);
      return;
    }
    Transaction t = new Transaction(c);
    waitFor(call(() -> handler.mail(session, t.envelope)), r -> {
      if (r == null || r.isPositive()) {
        tx = t;
        reply(r == null ? ServerReplies.R250_SENDER_OK : r);
      } else {
        handlerReply(r);
      }
    });
  }

  private void rcpt(SmtpCommand.RcptTo c) {
    Transaction t = tx;
    if (t == null) {
      protocolError(ServerReplies.R503_MAIL_FIRST);
      return;
    }
    if (t.bdatStarted) {
      protocolError(ServerReplies.R503_BAD_SEQUENCE);
      return;
    }
    if (t.envelope.recipients().size() >= options.getMaxRecipients()) {
      reply(ServerReplies.R452_TOO_MANY_RECIPIENTS);
      return;
    }
    Reply refusal = MailParams.check(c, options);
    if (refusal != null) {
      reply(refusal);
      return;
    }
    waitFor(call(() -> handler.rcpt(session, t.envelope, c)), r -> {
      if (r == null || r.isPositive()) {
        if (tx == t) {
          t.envelope.add(c);
        }
        reply(r == null ? ServerReplies.R250_RECIPIENT_OK : r);
      } else {
        handlerReply(r);
      }
    });
  }

  private void data() {
    Transaction t = tx;
    if (t == null) {
      protocolError(ServerReplies.R503_MAIL_FIRST);
      return;
    }
    if (t.bdatStarted) {
      protocolError(ServerReplies.R503_BDAT_AFTER_DATA);
      return;
    }
    if (t.envelope.recipients().isEmpty()) {
      // RFC 2920 §3.1: all RCPTs of the group failed; the client may have pipelined DATA anyway.
      reply(ServerReplies.R554_NO_VALID_RECIPIENTS);
      return;
    }
    if (t.envelope.body() == EsmtpParam.BodyType.BINARY_MIME) {
      reply(R503_BINARYMIME_NEEDS_BDAT);
      return;
    }
    dataDecoder.reset();
    reply(ServerReplies.R354_START_DATA);
    state = State.DATA;
    touchInput();
    startContent(t);
  }

  /** Hands the content stream to the handler; its verdict, if it comes before the end, drains the rest. */
  private void startContent(Transaction t) {
    ContentStream stream = new ContentStream(this);
    t.content = stream;
    t.verdict = call(() -> handler.data(session, t.envelope, stream));
    // A handler that failed (or answered without reading) before the content ended will not read the rest:
    // drain it and answer the end of data with the verdict, as go-smtp does, instead of stalling the socket.
    t.verdict.onComplete(ar -> onContext(() -> {
      if (tx == t && !stream.isFinished() && (ar.failed() || !stream.hasHandler())) {
        stream.discard();
      }
    }));
  }

  private void contentChunk(Buffer chunk) {
    tx.content.push(chunk);
  }

  private void endOfData() {
    state = State.COMMAND;
    touchInput();
    finishMessage(dataDecoder.refusal());
  }

  /** Content complete (DATA's end or BDAT LAST): the reply waits for the handler's verdict. */
  private void finishMessage(Reply refusal) {
    Transaction t = tx;
    if (refusal != null) {
      // Our refusal stands whatever the handler says; do not wait for it.
      t.failContent(new SmtpException(refusal));
      endTransaction(false);
      reply(refusal);
      closeIfDraining();
      return;
    }
    t.content.end();
    waitFor(t.verdict.transform(Future::succeededFuture), server.dataEndTimeoutNanos(), ar -> {
      Reply r;
      if (ar.failed()) {
        Throwable cause = ar.cause();
        r = cause instanceof SmtpException se && !se.reply().isPositive() ? se.reply() : ServerReplies.R451_LOCAL_ERROR;
        if (!(cause instanceof SmtpException)) {
          server.log(System.Logger.Level.WARNING, session, "data handler failed", cause);
        }
      } else {
        r = ar.result() == null ? R250_QUEUED : ar.result();
      }
      endTransaction(ar.succeeded() && r.isPositive());
      handlerReply(r);
      closeIfDraining();
    });
  }

  private void closeIfDraining() {
    if (draining) {
      replyAndClose(ServerReplies.R421_SHUTTING_DOWN);
    }
  }

  private void bdat(SmtpCommand.Bdat c) {
    Transaction t = tx;
    Reply refusal = null;
    if (!options.isChunking()) {
      refusal = ServerReplies.R502_NOT_IMPLEMENTED;
    } else if (t == null) {
      refusal = ServerReplies.R503_MAIL_FIRST;
    } else if (t.envelope.recipients().isEmpty()) {
      refusal = ServerReplies.R554_NO_VALID_RECIPIENTS;
    }
    if (refusal != null) {
      error();
      if (state == State.CLOSED) {
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
    state = State.BDAT;
    touchInput();
  }

  private void bdatChunk(Buffer chunk) {
    Transaction t = tx;
    if (bdatRefusal != null || t == null || t.bdatTooBig) {
      return;
    }
    t.bdatTotal += chunk.length();
    if (t.bdatTotal > options.getMaxMessageSize()) {
      t.bdatTooBig = true;
      return;
    }
    t.content.push(chunk);
  }

  private void endOfChunk() {
    state = State.COMMAND;
    touchInput();
    if (bdatRefusal != null) {
      Reply r = bdatRefusal;
      bdatRefusal = null;
      reply(r);
      return;
    }
    Transaction t = tx;
    if (!t.bdatLast) {
      // RFC 3030 §2: each chunk but the last is answered at once; the size refusal waits for LAST.
      reply(Reply.of(250, "2.0.0", t.bdatTotal + " octets received"));
      return;
    }
    finishMessage(t.bdatTooBig ? ServerReplies.R552_MESSAGE_TOO_BIG : null);
  }

  private void rset() {
    abortTransaction();
    reply(ServerReplies.R250_RESET);
  }

  /** The client ended the transaction (RSET, EHLO, STARTTLS): the handler hears of it. */
  private void abortTransaction() {
    Transaction t = tx;
    tx = null;
    pause(PAUSE_CONTENT, false);
    if (t != null) {
      t.failContent(new SmtpException(R451_ABORTED));
      handler.reset(session, t.envelope);
    }
  }

  private void endTransaction(boolean delivered) {
    Transaction t = tx;
    tx = null;
    pause(PAUSE_CONTENT, false);
    if (!delivered && t != null) {
      handler.reset(session, t.envelope);
    }
  }

  // ------------------------------------------------------------------ STARTTLS

  private void startTls() {
    StartTls tls = server.startTls();
    if (!options.isStartTls() || tls == null) {
      reply(ServerReplies.R454_TLS_NOT_AVAILABLE);
      return;
    }
    if (socket.isSsl()) {
      protocolError(ServerReplies.R503_ALREADY_TLS);
      return;
    }
    if (tx != null) {
      protocolError(R503_STARTTLS_IN_TRANSACTION);
      return;
    }
    // RFC 3207 §6 and CVE-2011-0411: whatever the client sent after STARTTLS in clear is dropped.
    framer.takeRemainder();
    int answered = out.length();
    reply(ServerReplies.R220_READY_FOR_TLS);
    Future<Void> handshake;
    try {
      handshake = tls.upgrade(socket, context, out, server.startTlsTimeoutMillis());
    } catch (RuntimeException e) {
      // Nothing was written: the session goes on in plaintext (RFC 3207 §4).
      server.log(System.Logger.Level.ERROR, session, "TLS set-up failed", e);
      out = Buffer.buffer(256).appendBuffer(out, 0, answered);
      reply(R454_TLS_FAILED);
      return;
    }
    out = Buffer.buffer(256);
    state = State.TLS;
    touch(server.startTlsTimeoutNanos());
    handshake.onComplete(ar -> onContext(() -> {
      if (state == State.CLOSED) {
        return;
      }
      if (ar.failed()) {
        // The TLS layer has sent its alert and closes the socket; nothing readable can be said.
        server.log(System.Logger.Level.DEBUG, session, "TLS handshake failed", ar.cause());
        state = State.CLOSED;
        socket.close();
        return;
      }
      // RFC 3207 §4.2: forget everything learned in clear, including EHLO and AUTH.
      framer.takeRemainder();
      session.heloName = null;
      session.esmtp = false;
      session.authenticatedUser = null;
      state = State.COMMAND;
      touchInput();
      pump();
    }));
  }

  // ------------------------------------------------------------------ AUTH

  private boolean authOffered() {
    return !options.getAuthMechanisms().isEmpty() && (socket.isSsl() || options.isAllowPlaintextAuth());
  }

  private void auth(SmtpCommand.Auth c) {
    if (options.getAuthMechanisms().isEmpty()) {
      protocolError(R502_AUTH_NOT_ENABLED);
      return;
    }
    if (!authOffered()) {
      reply(ServerReplies.R538_ENCRYPTION_REQUIRED);
      return;
    }
    if (session.authenticatedUser != null) {
      protocolError(ServerReplies.R503_ALREADY_AUTHENTICATED);
      return;
    }
    if (tx != null) {
      protocolError(ServerReplies.R503_AUTH_IN_TRANSACTION);
      return;
    }
    String mech = c.mechanism();
    if (!options.getAuthMechanisms().contains(mech) || !AuthExchange.supports(mech)) {
      reply(ServerReplies.R504_AUTH_MECHANISM);
      return;
    }
    auth = AuthExchange.start(mech);
    authStep(auth.first(c.initialResponse()));
  }

  private void authResponse(Buffer line) {
    String text = line.toString(StandardCharsets.ISO_8859_1).strip();
    if (text.equals("*")) {
      endAuth();
      reply(ServerReplies.R501_AUTH_CANCELLED);
      return;
    }
    authStep(auth.next(text));
  }

  private void authStep(AuthExchange.Step step) {
    // Java 17 has no pattern switch: the three steps of the sealed type, in turn.
    if (step instanceof AuthExchange.Challenge ch) {
      out.appendString("334 " + ch.base64() + "\r\n");
      state = State.AUTH;
    } else if (step instanceof AuthExchange.Verify v) {
      endAuth();
      verify(v.credentials());
    } else {
      endAuth();
      protocolError(R501_BAD_BASE64);
    }
  }

  private void endAuth() {
    auth = null;
    if (state == State.AUTH) {
      state = State.COMMAND;
    }
  }

  private void verify(Credentials credentials) {
    Future<Boolean> check = call(() -> handler.authenticate(session, credentials));
    waitFor(check.recover(e -> {
      server.log(System.Logger.Level.WARNING, session, "authenticator failed", e);
      return Future.failedFuture(new SmtpException(ServerReplies.R454_AUTH_TEMPORARY_FAILURE));
    }), ok -> {
      if (Boolean.TRUE.equals(ok)) {
        session.authenticatedUser = credentials.username();
        reply(ServerReplies.R235_AUTH_OK);
        return;
      }
      authFailures++;
      // Slow down guessing: the answer (and the rest of the pipeline) waits.
      waitFor(server.delay(options.getAuthFailureDelay()), v -> {
        if (authFailures >= options.getMaxAuthFailures()) {
          replyAndClose(R421_AUTH_FAILURES);
        } else {
          reply(ServerReplies.R535_AUTH_FAILED);
        }
      });
    });
  }
}
