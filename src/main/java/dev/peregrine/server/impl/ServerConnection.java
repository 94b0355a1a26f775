package dev.peregrine.server.impl;

import dev.peregrine.protocol.BdatDecoder;
import dev.peregrine.protocol.CommandParser;
import dev.peregrine.protocol.DataDecoder;
import dev.peregrine.protocol.LineFramer;
import dev.peregrine.protocol.LineTooLongException;
import dev.peregrine.protocol.ParseResult;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.ServerReplies;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.protocol.SmtpException;
import dev.peregrine.protocol.Timeouts;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServerOptions;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * One SMTP connection, server side: reads commands as they arrive (RFC 2920), answers a whole pipelined
 * group with one write, streams content to the handler with back-pressure, and enforces the limits.
 *
 * <p>Runs on the connection's event loop only; no field is touched from another thread, so nothing is
 * synchronized. Never blocks: every handler call returns a future, and while one is pending the socket is
 * paused and later input waits in the line framer.
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
  private static final Reply R503_STARTTLS_IN_TRANSACTION = Reply.of(503, "5.5.1", "STARTTLS not allowed during a mail transaction");
  private static final Reply R421_AUTH_FAILURES = Reply.of(421, "4.7.0", "Too many authentication failures");
  private static final Reply R451_ABORTED = Reply.of(451, "4.3.0", "Transaction aborted by the client");
  private static final java.util.Set<String> FORBIDDEN = java.util.Set.of("CONNECT", "GET", "POST", "PUT", "HEAD");
  private static final Reply R221_NOT_HTTP = Reply.of(221, "2.7.0", "This is an SMTP server; closing");
  private static final Reply R421_TLS_FAILED = Reply.of(421, "4.7.0", "TLS handshake failed");

  /** Wire forms of the constant replies, encoded once: most replies of a session are these. */
  private static final java.util.Map<Reply, byte[]> ENCODED = encodeConstants();

  private static java.util.Map<Reply, byte[]> encodeConstants() {
    java.util.Map<Reply, byte[]> m = new java.util.IdentityHashMap<>();
    for (Class<?> c : new Class<?>[] {ServerReplies.class, ServerConnection.class}) {
      for (java.lang.reflect.Field f : c.getDeclaredFields()) {
        if (f.getType() == Reply.class && java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
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
  private final SessionImpl session;
  private final String clientIp;
  private final LineFramer framer;
  private final CommandParser parser;
  private final DataDecoder dataDecoder;
  private final BdatDecoder bdatDecoder = new BdatDecoder();
  private final long commandTimeoutNanos;
  private final long dataTimeoutNanos;

  private State state = State.CONNECTING;
  private Buffer out = Buffer.buffer(256);
  private int pauseReasons;
  private boolean waiting;
  private boolean pumping;
  /** > 0 while our own code is on the stack; a pump then happens when it unwinds. */
  private int depth;
  private boolean draining;
  private int errors;
  private int authFailures;
  private long deadline;

  private EnvelopeImpl envelope;
  private ContentStream content;
  private Future<Reply> dataReply;
  private boolean bdatStarted;
  private boolean bdatLast;
  private long bdatTotal;
  private Reply bdatRefusal;
  private boolean bdatTooBig;

  private String authMechanism;
  private String authUser;

  ServerConnection(SmtpServerImpl server, NetSocket socket, String id, String clientIp) {
    this.server = server;
    this.options = server.options();
    this.handler = server.handler();
    this.socket = socket;
    this.clientIp = clientIp;
    this.session = new SessionImpl(id, socket);
    this.framer = new LineFramer(options.getLimits().commandLine());
    this.parser = server.parser();
    this.dataDecoder = new DataDecoder(options.getMaxMessageSize(), options.getBareLineEndings());
    Timeouts t = options.getTimeouts();
    this.commandTimeoutNanos = t.get(Timeouts.Phase.SERVER_COMMAND).toNanos();
    this.dataTimeoutNanos = t.get(Timeouts.Phase.DATA_BLOCK).toNanos();
  }

  SessionImpl session() {
    return session;
  }

  String clientIp() {
    return clientIp;
  }

  // ------------------------------------------------------------------ lifecycle

  void start() {
    socket.handler(this::onData);
    socket.closeHandler(v -> onClosed());
    socket.exceptionHandler(e -> socket.close());
    socket.drainHandler(v -> {
      pause(PAUSE_WRITE, false);
      pump();
    });
    socket.shutdownHandler(v -> shutdown());
    touch();
    Future<Reply> connect = call(() -> handler.connect(session));
    waitFor(connect, reply -> {
      if (reply != null && !reply.isPositive()) {
        replyAndClose(reply);
        return;
      }
      long delay = options.getGreetingDelay().toMillis();
      if (delay > 0) {
        server.vertx().setTimer(delay, t -> greet());
      } else {
        greet();
      }
    });
  }

  private void greet() {
    if (state != State.CONNECTING) {
      return;
    }
    state = State.COMMAND;
    out.appendBytes(server.greeting());
    flush();
  }

  private void onClosed() {
    State was = state;
    state = State.CLOSED;
    if (content != null && !content.isFinished()) {
      content.fail(new SmtpException(Reply.of(451, "4.4.2", "Connection closed during the message")));
    }
    if (envelope != null && was != State.CLOSED) {
      handler.reset(session, envelope);
    }
    envelope = null;
    server.removed(this);
    handler.disconnect(session);
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
    if (state != State.CLOSED) {
      replyAndClose(ServerReplies.R421_SHUTTING_DOWN);
    }
  }

  private boolean isIdle() {
    return envelope == null && !waiting && (state == State.COMMAND || state == State.CONNECTING);
  }

  /** Called by the server's sweeper; closes the session when its current wait has lasted too long. */
  void checkTimeout(long now) {
    if (state == State.CLOSED || waiting || state == State.CONNECTING || state == State.TLS) {
      return;
    }
    if (now - deadline > 0) {
      replyAndClose(ServerReplies.R421_TIMEOUT);
    }
  }

  private void touch() {
    deadline = System.nanoTime() + (state == State.DATA || state == State.BDAT ? dataTimeoutNanos : commandTimeoutNanos);
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
      touch();
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
            state = State.COMMAND;
          }
          error();
          continue;
        }
        if (line == null) {
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
    if (from < data.length()) {
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
    pause(PAUSE_CONTENT, paused);
    // The handler resumed on its own (not inside our call): content may be waiting in the framer.
    if (!paused && depth == 0 && !pumping) {
      pump();
    }
  }

  /** A reply to a command the client should not have sent; counts towards {@code max-errors}. */
  private void protocolError(Reply r) {
    reply(r);
    error();
  }

  private void error() {
    if (++errors >= options.getMaxErrors()) {
      replyAndClose(ServerReplies.R421_TOO_MANY_ERRORS);
    }
  }

  /**
   * Runs {@code then} with the future's result, at once when it is already complete (the common case for
   * fast handlers: no re-dispatch), else when it completes, with the socket paused meanwhile. A failed
   * future answers 451 4.3.0, or the reply an {@link SmtpException} carries.
   */
  private <T> void waitFor(Future<T> future, Consumer<T> then) {
    if (future.isComplete()) {
      complete(future, then);
      return;
    }
    waiting = true;
    flush();
    pause(PAUSE_WAITING, true);
    future.onComplete(ar -> {
      waiting = false;
      pause(PAUSE_WAITING, false);
      if (state == State.CLOSED) {
        return;
      }
      depth++;
      try {
        complete(future, then);
        touch();
      } finally {
        depth--;
      }
      pump();
    });
  }

  private <T> void complete(Future<T> future, Consumer<T> then) {
    if (future.succeeded()) {
      then.accept(future.result());
      return;
    }
    Throwable cause = future.cause();
    Reply r = cause instanceof SmtpException se ? se.reply() : ServerReplies.R451_LOCAL_ERROR;
    if (state == State.CONNECTING) {
      replyAndClose(r);
      return;
    }
    // A failed step of a transaction: answer it and forget the transaction where it cannot continue.
    if (r.isPositive() || r.isIntermediate()) {
      r = ServerReplies.R451_LOCAL_ERROR;
    }
    server.log(System.Logger.Level.WARNING, session, "handler failed", cause);
    reply(r);
  }

  private static <T> Future<T> call(java.util.function.Supplier<Future<T>> step) {
    try {
      Future<T> f = step.get();
      return f == null ? Future.succeededFuture() : f;
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  // ------------------------------------------------------------------ commands

  private void command(Buffer line) {
    EnvelopeImpl env = envelope;
    ParseResult parsed = parser.parse(line, env != null && env.smtpUtf8() && options.isSmtpUtf8());
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
      case VRFY -> () -> reply(ServerReplies.R252_CANNOT_VRFY);
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
    if (envelope != null) {
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
    EnvelopeImpl env = new EnvelopeImpl(c);
    waitFor(call(() -> handler.mail(session, env)), r -> {
      if (r == null || r.isPositive()) {
        envelope = env;
        reply(r == null ? ServerReplies.R250_SENDER_OK : r);
      } else {
        handlerReply(r);
      }
    });
  }

  private void rcpt(SmtpCommand.RcptTo c) {
    EnvelopeImpl env = envelope;
    if (env == null) {
      protocolError(ServerReplies.R503_MAIL_FIRST);
      return;
    }
    if (bdatStarted) {
      protocolError(ServerReplies.R503_BAD_SEQUENCE);
      return;
    }
    if (env.recipients().size() >= options.getMaxRecipients()) {
      reply(ServerReplies.R452_TOO_MANY_RECIPIENTS);
      return;
    }
    Reply refusal = MailParams.check(c, options);
    if (refusal != null) {
      reply(refusal);
      return;
    }
    waitFor(call(() -> handler.rcpt(session, env, c)), r -> {
      if (r == null || r.isPositive()) {
        if (envelope == env) {
          env.add(c);
        }
        reply(r == null ? ServerReplies.R250_RECIPIENT_OK : r);
      } else {
        handlerReply(r);
      }
    });
  }

  private void data() {
    EnvelopeImpl env = envelope;
    if (env == null) {
      protocolError(ServerReplies.R503_MAIL_FIRST);
      return;
    }
    if (bdatStarted) {
      protocolError(ServerReplies.R503_BDAT_AFTER_DATA);
      return;
    }
    if (env.recipients().isEmpty()) {
      // RFC 2920 §3.1: all RCPTs of the group failed; the client may have pipelined DATA anyway.
      reply(ServerReplies.R554_NO_VALID_RECIPIENTS);
      return;
    }
    if (env.body() == dev.peregrine.protocol.EsmtpParam.BodyType.BINARY_MIME) {
      reply(R503_BINARYMIME_NEEDS_BDAT);
      return;
    }
    startContent(env);
    dataDecoder.reset();
    reply(ServerReplies.R354_START_DATA);
    state = State.DATA;
    touch();
  }

  private void startContent(EnvelopeImpl env) {
    ContentStream stream = new ContentStream(this);
    content = stream;
    dataReply = call(() -> handler.data(session, env, stream));
  }

  private void contentChunk(Buffer chunk) {
    content.push(chunk);
  }

  private void endOfData() {
    state = State.COMMAND;
    touch();
    finishMessage(dataDecoder.refusal());
  }

  /** Content complete (DATA's end or BDAT LAST): the reply waits for the handler's verdict. */
  private void finishMessage(Reply refusal) {
    ContentStream stream = content;
    Future<Reply> verdict = dataReply;
    if (refusal != null) {
      // Our refusal stands whatever the handler says; do not wait for it.
      stream.fail(new SmtpException(refusal));
      endTransaction(false);
      reply(refusal);
      closeIfDraining();
      return;
    }
    stream.end();
    waitFor(verdict.transform(ar -> Future.succeededFuture(ar)), ar -> {
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
      flush();
      replyAndClose(ServerReplies.R421_SHUTTING_DOWN);
    }
  }

  private void bdat(SmtpCommand.Bdat c) {
    EnvelopeImpl env = envelope;
    Reply refusal = null;
    if (!options.isChunking()) {
      refusal = ServerReplies.R502_NOT_IMPLEMENTED;
    } else if (env == null) {
      refusal = ServerReplies.R503_MAIL_FIRST;
    } else if (env.recipients().isEmpty()) {
      refusal = ServerReplies.R554_NO_VALID_RECIPIENTS;
    }
    if (refusal != null) {
      // RFC 3030 §2: the chunk follows the command whatever the reply; read it to stay in step.
      bdatRefusal = refusal;
      error();
    } else if (!bdatStarted) {
      bdatStarted = true;
      bdatTotal = 0;
      bdatTooBig = false;
      startContent(env);
    }
    bdatLast = c.last();
    bdatDecoder.start(c.size());
    if (c.size() == 0) {
      endOfChunk();
      return;
    }
    state = State.BDAT;
    touch();
  }

  private void bdatChunk(Buffer chunk) {
    if (bdatRefusal != null || bdatTooBig) {
      return;
    }
    bdatTotal += chunk.length();
    if (bdatTotal > options.getMaxMessageSize()) {
      bdatTooBig = true;
      return;
    }
    content.push(chunk);
  }

  private void endOfChunk() {
    state = State.COMMAND;
    touch();
    if (bdatRefusal != null) {
      Reply r = bdatRefusal;
      bdatRefusal = null;
      reply(r);
      return;
    }
    if (!bdatLast) {
      // RFC 3030 §2: each chunk but the last is answered at once; the size refusal waits for LAST.
      reply(Reply.of(250, "2.0.0", bdatTotal + " octets received"));
      return;
    }
    finishMessage(bdatTooBig ? ServerReplies.R552_MESSAGE_TOO_BIG : null);
  }

  private void rset() {
    abortTransaction();
    reply(ServerReplies.R250_RESET);
  }

  private void abortTransaction() {
    if (envelope != null) {
      if (content != null && !content.isFinished()) {
        content.fail(new SmtpException(R451_ABORTED));
      }
      handler.reset(session, envelope);
    }
    clearTransaction();
  }

  private void endTransaction(boolean delivered) {
    if (!delivered && envelope != null) {
      handler.reset(session, envelope);
    }
    clearTransaction();
  }

  private void clearTransaction() {
    envelope = null;
    content = null;
    dataReply = null;
    bdatStarted = false;
    bdatLast = false;
    bdatTotal = 0;
    bdatTooBig = false;
    pause(PAUSE_CONTENT, false);
  }

  // ------------------------------------------------------------------ STARTTLS

  private void startTls() {
    if (!options.isStartTls() || !options.isTlsConfigured()) {
      reply(ServerReplies.R454_TLS_NOT_AVAILABLE);
      return;
    }
    if (socket.isSsl()) {
      protocolError(ServerReplies.R503_ALREADY_TLS);
      return;
    }
    if (envelope != null) {
      protocolError(R503_STARTTLS_IN_TRANSACTION);
      return;
    }
    // RFC 3207 §6 and CVE-2011-0411: whatever the client sent after STARTTLS in clear is dropped.
    framer.takeRemainder();
    flush();
    state = State.TLS;
    Buffer ready = Buffer.buffer(ServerReplies.R220_READY_FOR_TLS.encode());
    socket.upgradeToSsl(ready).onComplete(ar -> {
      if (state == State.CLOSED) {
        return;
      }
      if (ar.failed()) {
        state = State.COMMAND;
        server.log(System.Logger.Level.DEBUG, session, "TLS handshake failed", ar.cause());
        replyAndClose(R421_TLS_FAILED);
        return;
      }
      // RFC 3207 §4.2: forget everything learned in clear, including EHLO and AUTH.
      framer.takeRemainder();
      session.heloName = null;
      session.esmtp = false;
      session.authenticatedUser = null;
      clearTransaction();
      state = State.COMMAND;
      touch();
      pump();
    });
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
    if (envelope != null) {
      protocolError(ServerReplies.R503_AUTH_IN_TRANSACTION);
      return;
    }
    String mech = c.mechanism();
    if (!options.getAuthMechanisms().contains(mech) || !(mech.equals("PLAIN") || mech.equals("LOGIN"))) {
      reply(ServerReplies.R504_AUTH_MECHANISM);
      return;
    }
    authMechanism = mech;
    authUser = null;
    String initial = c.initialResponse();
    if (initial == null) {
      challenge(mech.equals("PLAIN") ? "" : Sasl.LOGIN_USERNAME);
      return;
    }
    authStep(initial);
  }

  private void challenge(String base64) {
    out.appendString("334 " + base64 + "\r\n");
    state = State.AUTH;
  }

  private void authResponse(Buffer line) {
    String text = line.toString(StandardCharsets.ISO_8859_1).strip();
    if (text.equals("*")) {
      state = State.COMMAND;
      reply(ServerReplies.R501_AUTH_CANCELLED);
      return;
    }
    authStep(text);
  }

  private void authStep(String response) {
    state = State.COMMAND;
    if (authMechanism.equals("PLAIN")) {
      var credentials = Sasl.plain(response);
      if (credentials == null) {
        protocolError(R501_BAD_BASE64);
        return;
      }
      verify(credentials);
      return;
    }
    String decoded = Sasl.decode(response);
    if (decoded == null) {
      protocolError(R501_BAD_BASE64);
      return;
    }
    if (authUser == null) {
      authUser = decoded;
      challenge(Sasl.LOGIN_PASSWORD);
      return;
    }
    verify(new dev.peregrine.server.Credentials("LOGIN", "", authUser, decoded));
  }

  private void verify(dev.peregrine.server.Credentials credentials) {
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
