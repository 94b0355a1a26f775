package dev.peregrine.client.impl;

import dev.peregrine.client.SmtpConnectionException;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.ReplyDecoder;
import dev.peregrine.protocol.SmtpProtocolException;
import dev.peregrine.protocol.Timeouts;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The replies a session awaits, in order (a FIFO, so any number of pipelined commands can be outstanding),
 * each with its RFC 5321 deadline: bytes from the server come in, each reply completes the oldest
 * expectation as an {@link Answer}. Also the session's open/closed state: a closed queue refuses new
 * expectations.
 *
 * <p>Runs on the session's context; its promises are that context's. Never writes; asks the session to
 * hang up ({@code hangUp}) or to fail ({@code lose}).
 */
final class ReplyQueue {

  private record Expect(Awaited to, Promise<Answer> promise, long deadline, Duration timeout) {
  }

  private final ContextInternal context;
  private final Timeouts timeouts;
  private final String host;
  private final ReplyDecoder decoder;
  private final Runnable hangUp;
  private final Consumer<SmtpConnectionException> lose;
  private final ArrayDeque<Expect> expected = new ArrayDeque<>();
  private boolean open = true;

  /**
   * @param hangUp closes the socket (the server said 421, or replied unasked)
   * @param lose   fails the session and closes it (the server broke the protocol)
   */
  ReplyQueue(ContextInternal context, Timeouts timeouts, ReplyDecoder decoder, String host, Runnable hangUp,
             Consumer<SmtpConnectionException> lose) {
    this.context = context;
    this.timeouts = timeouts;
    this.decoder = decoder;
    this.host = host;
    this.hangUp = hangUp;
    this.lose = lose;
  }

  boolean isOpen() {
    return open;
  }

  /** No reply is awaited any more: later expectations fail at once. */
  void close() {
    open = false;
  }

  /** Awaits the next reply, which answers {@code to}. */
  Future<Answer> expect(Awaited to) {
    Promise<Answer> p = context.promise();
    if (!open) {
      p.fail(new SmtpConnectionException.ConnectionLost("session to " + host + " is closed", null, false, false));
      return p.future();
    }
    Duration timeout = timeouts.get(to.timeout());
    expected.add(new Expect(to, p, System.nanoTime() + timeout.toNanos(), timeout));
    return p.future();
  }

  /** The oldest reply still awaited, or null. */
  Awaited oldest() {
    Expect e = expected.peek();
    return e == null ? null : e.to();
  }

  /** True when bytes of an incomplete reply, or unread bytes, are held (see {@link ReplyDecoder#hasBufferedInput()}). */
  boolean hasBufferedInput() {
    return decoder.hasBufferedInput();
  }

  void onData(Buffer data) {
    try {
      decoder.decode(data, this::onReply);
    } catch (SmtpProtocolException e) {
      lose.accept(new SmtpConnectionException.ConnectionLost(host + " broke the protocol: " + e.getMessage(), e,
          false, false));
    }
  }

  private void onReply(Reply reply) {
    Expect e = expected.poll();
    if (e == null) {
      // A server about to close says 421 unasked (RFC 5321 §3.8); anything else unasked is a protocol error.
      open = false;
      hangUp.run();
      return;
    }
    e.promise().tryComplete(new Answer(e.to(), reply));
    if (reply.code() == 421) {
      // The server is closing (RFC 5321 §3.8): no other pipelined command will be answered, so 421 is the
      // answer to each of them, rather than "connection closed".
      open = false;
      Expect rest;
      while ((rest = expected.poll()) != null) {
        rest.promise().tryComplete(new Answer(rest.to(), reply));
      }
      hangUp.run();
    }
  }

  /**
   * The wait that has run out at {@code now}, if any. Every outstanding reply is checked, not only the
   * oldest: a pipelined command with a shorter timeout than the ones before it (DATA after MAIL) expires
   * first, and its reply cannot come before theirs.
   */
  SmtpConnectionException.TimedOut overdue(long now) {
    for (Expect e : expected) {
      if (now - e.deadline() > 0) {
        return new SmtpConnectionException.TimedOut(host + " did not answer "
            + (e.to() instanceof Awaited.Greeting ? "with a greeting" : e.to().describe()) + " within " + e.timeout());
      }
    }
    return null;
  }

  /** Closes, and fails every awaited reply with {@code cause}. */
  void failAll(Throwable cause) {
    open = false;
    Expect e;
    while ((e = expected.poll()) != null) {
      e.promise().tryFail(cause);
    }
  }
}
