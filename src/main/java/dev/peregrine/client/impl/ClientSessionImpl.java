package dev.peregrine.client.impl;

import dev.peregrine.client.ClientSession;
import dev.peregrine.client.DeliveryResult;
import dev.peregrine.client.MailTransaction;
import dev.peregrine.client.SmtpClientException;
import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.SmtpConnectionException;
import dev.peregrine.protocol.Capabilities;
import dev.peregrine.protocol.ReplyDecoder;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.protocol.Timeouts;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.NetSocket;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One client session: the socket, its context, and the guarded boundary between Vert.x and the session's
 * parts: the {@link ReplyQueue} (replies matched to what they answer, with deadlines), the {@link Outbox}
 * (one write per event-loop task), {@link SessionSetup} (EHLO, STARTTLS, AUTH), {@link Transactions} and
 * {@link ContentSender} (DATA, BDAT).
 *
 * <p>Runs on the context that opened it; no locking. Every promise it makes belongs to that context, so a
 * listener that throws is reported to Vert.x (the context's exception handler) instead of unwinding into
 * the reply loop; calls into the caller's content stream are guarded, and what they throw fails the
 * content as the stream's own failure would.
 *
 * <p>Every way in from Vert.x (socket data, close and exception, the deadline timer, the write task, the
 * drain handler, the content stream's callbacks, calls from other threads) goes through {@link #guard}, and
 * every transaction's future through {@link #typed}: an exception nobody expected is logged once with the
 * session's id, the socket is closed and the timer cancelled, and every pending transaction fails with a
 * {@link SmtpConnectionException.ConnectionLost} that carries it.
 */
final class ClientSessionImpl implements ClientSession {

  private static final System.Logger LOG = System.getLogger("dev.peregrine.client");
  private static final AtomicLong IDS = new AtomicLong();

  private final String id = "c" + IDS.incrementAndGet();
  private final Vertx vertx;
  private final SmtpClientOptions options;
  final NetSocket socket;
  final String host;
  final ContextInternal context;
  final ReplyQueue queue;
  final Outbox outbox;
  final ContentSender content;
  private final SessionSetup setup;
  /** Completed when the socket closes, whoever closed it. */
  private final Promise<Void> socketClosed = Promise.promise();
  /** How long {@link #quit} waits, after the 221, for the server to close the connection first. */
  static final long QUIT_LINGER_MILLIS = 500;
  private final Transactions transactions;
  private Capabilities capabilities = Capabilities.none("");
  /** What failed the session from inside (see {@link #guard}), or null. */
  private SmtpConnectionException crashed;
  /** Test seam (fault injection): called with the name of each entry point and probe as it is reached. */
  volatile Consumer<String> faults;
  /** One periodic check of every deadline instead of a timer per command, which cost more than the command. */
  final long sweeper;

  ClientSessionImpl(Vertx vertx, SmtpClientOptions options, NetSocket socket, String host) {
    this.vertx = vertx;
    this.options = options;
    this.socket = socket;
    this.host = host;
    this.context = (ContextInternal) vertx.getOrCreateContext();
    this.queue = new ReplyQueue(context, options.getTimeouts(), new ReplyDecoder(options.getLimits()), host,
        socket::close, this::lose);
    this.outbox = new Outbox(socket, task -> context.runOnContext(v -> guard("write", task)), queue::isOpen);
    this.content = new ContentSender(this);
    this.setup = new SessionSetup(this, options);
    this.transactions = new Transactions(this, options);
    long shortest = Long.MAX_VALUE;
    for (Duration d : options.getTimeouts().asMap().values()) {
      shortest = Math.min(shortest, d.toMillis());
    }
    this.sweeper = vertx.setPeriodic(Math.max(10, Math.min(1000, shortest / 4)), t -> guard("timer", this::checkDeadlines));
  }

  /** Installs the socket handlers; called once the greeting is awaited, so that no reply can come first. */
  void listen() {
    socket.handler(data -> guard("socket data", () -> queue.onData(data)));
    socket.closeHandler(v -> guard("socket close", () -> {
      socketClosed.tryComplete();
      Awaited oldest = queue.oldest();
      failAll(new SmtpConnectionException.ConnectionLost("connection closed by " + host
          + (oldest == null ? "" : " before the reply to " + oldest.describe()), null, false, false));
    }));
    socket.exceptionHandler(e -> guard("socket exception", () -> lose(new SmtpConnectionException.ConnectionLost(
        "connection to " + host + " failed: " + e.getMessage(), e, false, false))));
  }

  private void checkDeadlines() {
    long now = System.nanoTime();
    SmtpConnectionException.TimedOut late = queue.isOpen()
        ? content.blockOverdue(now, options.getTimeouts().get(Timeouts.Phase.DATA_BLOCK)) : null;
    if (late == null) {
      late = queue.overdue(now);
    }
    if (late != null) {
      lose(late);
    }
    if (!queue.isOpen()) {
      vertx.cancelTimer(sweeper);
    }
  }

  /** Fails everything pending with {@code cause} and closes the socket. */
  private void lose(SmtpConnectionException cause) {
    failAll(cause);
    socket.close();
  }

  private void failAll(Throwable cause) {
    queue.close(); // before anyone hears of it
    content.failAll(cause);
    queue.failAll(cause);
    vertx.cancelTimer(sweeper);
  }

  // ------------------------------------------------------------------ the guarded boundary

  /** Runs one entry from Vert.x into the session; what it throws unexpectedly fails the session. */
  void guard(String entry, Runnable action) {
    try {
      probe(entry);
      action.run();
    } catch (RuntimeException e) {
      crash(entry, e);
    }
  }

  void probe(String point) {
    Consumer<String> f = faults;
    if (f != null) {
      f.accept(point);
    }
  }

  /**
   * A transaction's or set-up step's future as callers see it: the client's own failures as they are;
   * anything else was thrown by a continuation of the session's (a bug), and fails the session.
   */
  <T> Future<T> typed(Future<T> f) {
    return f.recover(e -> Future.failedFuture(e instanceof SmtpClientException || e instanceof SmtpConnectionException
        ? e : crash("continuation", e)));
  }

  /**
   * Logs {@code e} once with the session's id, closes, and fails everything pending with a typed error: the
   * session's state can no longer be trusted. Cleanup runs step by step, whatever one of them throws.
   */
  private SmtpConnectionException crash(String entry, Throwable e) {
    if (crashed == null) {
      crashed = new SmtpConnectionException.ConnectionLost("client session " + id + " to " + host
          + " failed: unexpected " + e, e, false, false);
      LOG.log(System.Logger.Level.ERROR, "client session " + id + " to " + host + ": unexpected exception in " + entry
          + "; the session is closed", e);
    }
    // Closed before anyone hears of it: a caller woken by the failure finds the session already shut.
    queue.close();
    outbox.clear();
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

  /** Why a closed session refuses a transaction: its crash, else closed (stale when it had been used). */
  SmtpConnectionException closedFailure(boolean stale) {
    return crashed != null ? crashed
        : new SmtpConnectionException.ConnectionLost("session to " + host + " is closed", null, stale, false);
  }

  /** Runs {@code action} on the session's context: its state is touched from there only. */
  private <T> Future<T> onContext(Supplier<Future<T>> action) {
    // The caller's listeners go on a future of the session's context: what they throw is reported there.
    Promise<T> p = context.promise();
    if (context.isRunningOnContext()) {
      run(action, p);
    } else {
      context.runOnContext(v -> run(action, p));
    }
    return p.future();
  }

  private <T> void run(Supplier<Future<T>> action, Promise<T> p) {
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

  // ------------------------------------------------------------------ for the parts

  /** Writes one command and awaits its reply. */
  Future<Answer> command(SmtpCommand command) {
    Awaited.Command awaited = new Awaited.Command(command);
    Future<Answer> f = queue.expect(awaited);
    outbox.add(Buffer.buffer(awaited.line()));
    return f;
  }

  /** Writes a line that is not a command (a step of AUTH) and awaits its reply. */
  Future<Answer> line(String line, Awaited to) {
    Future<Answer> f = queue.expect(to);
    outbox.add(Buffer.buffer(line + "\r\n"));
    return f;
  }

  void capabilities(Capabilities c) {
    capabilities = c;
  }

  // ------------------------------------------------------------------ set-up, called by SmtpClientImpl

  Future<Void> greetAndEhlo() {
    return typed(setup.greetAndEhlo());
  }

  Future<Void> startTls(ClientSSLOptions ssl) {
    return typed(setup.startTls(ssl));
  }

  Future<Void> authenticate(String mechanism, String user, String password) {
    Future<Void> done = setup.authenticate(mechanism, user, password);
    return done == null ? Future.failedFuture(new IllegalArgumentException("unsupported SASL mechanism " + mechanism))
        : typed(done);
  }

  // ------------------------------------------------------------------ the API

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
    return queue.isOpen();
  }

  @Override
  public int completedTransactions() {
    return transactions.completed();
  }

  @Override
  public Future<DeliveryResult> send(MailTransaction tx) {
    return onContext(() -> transactions.send(tx));
  }

  @Override
  public Future<Void> quit() {
    // After the 221 the server closes the connection (RFC 5321 §4.1.1.10): waiting for that (bounded) before
    // closing our side means the server has counted the connection gone before quit() completes, so whoever
    // holds a slot for it (a connection cap) can give it to the next connection without an overlap.
    return onContext(() -> isOpen() ? command(new SmtpCommand.Quit()).transform(ar -> {
      if (ar.failed()) {
        return close();
      }
      long timer = vertx.setTimer(QUIT_LINGER_MILLIS, id -> socketClosed.tryComplete());
      return socketClosed.future().transform(x -> {
        vertx.cancelTimer(timer);
        return close();
      });
    }) : Future.succeededFuture());
  }

  @Override
  public Future<Void> close() {
    return onContext(() -> {
      queue.close();
      vertx.cancelTimer(sweeper);
      return socket.close();
    });
  }
}
