package dev.peregrine.server.impl;

import dev.peregrine.protocol.CommandParser;
import dev.peregrine.protocol.DataDecoder;
import dev.peregrine.protocol.LineFramer;
import dev.peregrine.protocol.LineTooLongException;
import dev.peregrine.protocol.ParseResult;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.ServerReplies;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.protocol.SmtpException;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServerOptions;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.net.NetSocketInternal;
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
  static final int PAUSE_CONTENT = 2;
  private static final int PAUSE_WRITE = 4;

  private static final Reply R554_EARLY_TALKER = Reply.of(554, "5.5.1", "Protocol error: data sent before the greeting");
  private static final Reply R502_VRFY_DISABLED = Reply.of(502, "5.5.1", "VRFY command disabled");
  private static final Reply R451_CLOSED = Reply.of(451, "4.4.2", "Connection closed during the message");
  private static final Reply R421_LOCAL_ERROR = Reply.of(421, "4.3.0", "Local error, closing connection");
  private static final Reply R421_LOCAL_TIMEOUT = Reply.of(421, "4.3.0", "Local processing timed out, closing connection");
  /** Postfix's {@code smtpd_forbid_bare_newline = reject}: a command line not ending in CRLF. */
  private static final Reply R550_BARE_LINE_ENDING = Reply.of(550, "5.5.2", "Error: bare <CR> or <LF> received in a command");
  private static final Set<String> FORBIDDEN = Set.of("CONNECT", "GET", "POST", "PUT", "HEAD");
  private static final Reply R221_NOT_HTTP = Reply.of(221, "2.7.0", "This is an SMTP server; closing");

  /** Wire forms of the constant replies, encoded once: most replies of a session are these. */
  private static final Map<Reply, byte[]> ENCODED = encodeConstants();

  private static Map<Reply, byte[]> encodeConstants() {
    Map<Reply, byte[]> m = new IdentityHashMap<>();
    for (Class<?> c : new Class<?>[] {ServerReplies.class, ServerConnection.class, SessionCommands.class,
        TransactionCommands.class}) {
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

  final SmtpServerImpl server;
  final SmtpServerOptions options;
  final SmtpHandler handler;
  final NetSocket socket;
  final ContextInternal context;
  final SessionImpl session;
  private final String clientIp;
  final LineFramer framer;
  private final CommandParser parser;
  private final boolean rejectBareLineEndings;

  State state = State.CONNECTING;
  Buffer out = Buffer.buffer(256);
  private int pauseReasons;
  /** A handler future (or a delay) is pending: nothing else is read until it completes. */
  private boolean waiting;
  private boolean pumping;
  /** > 0 while our own code is on the stack; a pump then happens when it unwinds. */
  private int depth;
  boolean draining;
  private boolean crashed;
  private int errors;
  /** When the current wait (for a command, content, a handler or the TLS handshake) has lasted too long. */
  private long deadline;

  /** The open transaction, or {@code null} between transactions. */
  Transaction tx;
  final TransactionCommands transactions;
  private final SessionCommands sessionCommands;

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
    this.rejectBareLineEndings = options.getBareLineEndings() == DataDecoder.Mode.REJECT;
    this.transactions = new TransactionCommands(this);
    this.sessionCommands = new SessionCommands(this);
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

  void touch(long timeoutNanos) {
    deadline = System.nanoTime() + timeoutNanos;
  }

  void touchInput() {
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
        transactions.consumeContent(data);
      } else {
        framer.append(data);
      }
    } finally {
      depth--;
    }
    pump();
  }

  /** Processes what is buffered until it runs out, a handler call is pending, or the mode changes. */
  void pump() {
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
          transactions.consumeContent(framer.takeRemainder());
          continue;
        }
        Buffer line;
        try {
          line = framer.next();
        } catch (LineTooLongException e) {
          reply(state == State.AUTH ? ServerReplies.R500_AUTH_LINE_TOO_LONG : ServerReplies.R500_LINE_TOO_LONG);
          if (state == State.AUTH) {
            sessionCommands.endAuth();
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
          sessionCommands.authResponse(line);
        } else {
          command(line);
        }
      }
    } finally {
      pumping = false;
    }
    flush();
  }

  // ------------------------------------------------------------------ output

  void reply(Reply r) {
    byte[] encoded = ENCODED.get(r);
    if (encoded != null) {
      out.appendBytes(encoded);
    } else {
      r.appendTo(out);
    }
  }

  void flush() {
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
  void handlerReply(Reply r) {
    if (r.code() == 421) {
      replyAndClose(r);
    } else {
      reply(r);
    }
  }

  /** Sends what is buffered and {@code r}, then closes. Nothing is read or written after it. */
  void replyAndClose(Reply r) {
    if (state == State.CLOSED) {
      return;
    }
    reply(r);
    Buffer b = out;
    out = Buffer.buffer(0);
    state = State.CLOSED;
    socket.end(b);
  }

  void pause(int reason, boolean on) {
    int before = pauseReasons;
    pauseReasons = on ? before | reason : before & ~reason;
    if (before == 0 && pauseReasons != 0) {
      socket.pause();
      autoRead(false);
    } else if (before != 0 && pauseReasons == 0) {
      autoRead(true);
      socket.resume();
    }
  }

  /**
   * Netty's own reading, switched with our pause: Vert.x's pause only stops delivering, and its inbound
   * queue takes up to 16 more reads (each up to 64 KiB) before it stops the channel, about 1 MiB per paused
   * connection; with thousands of large messages streaming to a slower disk, that is the heap.
   */
  private void autoRead(boolean on) {
    if (socket instanceof NetSocketInternal internal) {
      internal.channelHandlerContext().channel().config().setAutoRead(on);
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
  void protocolError(Reply r) {
    reply(r);
    error();
  }

  /** Counts an error; at {@code max-errors} the session is closed with 421. */
  void error() {
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
  <T> void waitFor(Future<T> future, long timeoutNanos, Consumer<T> then) {
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
  void onContext(Runnable continuation) {
    if (context.isRunningOnContext()) {
      guard(continuation);
    } else {
      context.runOnContext(v -> guard(continuation));
    }
  }

  <T> void waitFor(Future<T> future, Consumer<T> then) {
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
  static <T> Future<T> call(Supplier<Future<T>> step) {
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
      case EHLO -> () -> sessionCommands.helo(((SmtpCommand.Ehlo) c).domain(), true);
      case HELO -> () -> sessionCommands.helo(((SmtpCommand.Helo) c).domain(), false);
      case MAIL -> () -> transactions.mail((SmtpCommand.MailFrom) c);
      case RCPT -> () -> transactions.rcpt((SmtpCommand.RcptTo) c);
      case DATA -> transactions::data;
      case BDAT -> () -> transactions.bdat((SmtpCommand.Bdat) c);
      case RSET -> transactions::rset;
      case NOOP -> () -> reply(ServerReplies.R250_OK);
      case QUIT -> () -> replyAndClose(ServerReplies.R221_BYE);
      case VRFY -> () -> reply(options.isVrfy() ? ServerReplies.R252_CANNOT_VRFY : R502_VRFY_DISABLED);
      case EXPN -> () -> reply(options.isExpn() ? ServerReplies.R252_CANNOT_VRFY : ServerReplies.R502_EXPN_DISABLED);
      case HELP -> () -> reply(ServerReplies.R214_HELP);
      case STARTTLS -> sessionCommands::startTls;
      case AUTH -> () -> sessionCommands.auth((SmtpCommand.Auth) c);
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

}
