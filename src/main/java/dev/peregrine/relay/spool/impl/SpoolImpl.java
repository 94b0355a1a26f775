package dev.peregrine.relay.spool.impl;

import dev.peregrine.protocol.Reply;
import dev.peregrine.relay.spool.RecipientState;
import dev.peregrine.relay.spool.Recovery;
import dev.peregrine.relay.spool.Spool;
import dev.peregrine.relay.spool.SpoolEntry;
import dev.peregrine.relay.spool.SpoolEnvelope;
import dev.peregrine.relay.spool.SpoolException;
import dev.peregrine.relay.spool.SpoolOptions;
import dev.peregrine.relay.spool.SpoolStats;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.streams.ReadStream;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The {@link Spool} front: checks arguments, makes each promise on the caller's context and hands the work
 * to the {@link SegmentLog}'s writer thread. Never blocks.
 */
public final class SpoolImpl implements Spool {

  private final VertxInternal vertx;
  final SegmentLog log;
  private final Recovery recovery;
  private final Path logDir;
  private volatile boolean closed;

  private SpoolImpl(VertxInternal vertx, SegmentLog log, Recovery recovery, Path logDir) {
    this.vertx = vertx;
    this.log = log;
    this.recovery = recovery;
    this.logDir = logDir;
  }

  public static Future<Spool> open(Vertx vertx, SpoolOptions options) {
    VertxInternal vx = (VertxInternal) vertx;
    ContextInternal ctx = vx.getOrCreateContext();
    Promise<Recovery> opened = ctx.promise();
    SegmentLog log = new SegmentLog(options, opened);
    Path dir = Path.of(options.getDir()).toAbsolutePath();
    Thread writer = new Thread(log, "peregrine-spool-writer-" + dir.getFileName());
    // Daemon: a spool left open must not keep the JVM alive; what it had not acknowledged is not owed.
    writer.setDaemon(true);
    writer.start();
    return opened.future().map(r -> new SpoolImpl(vx, log, r, dir.resolve("log")));
  }

  @Override
  public Recovery recovery() {
    return recovery;
  }

  @Override
  public Future<SpoolEntry> receive(SpoolEnvelope envelope, Function<String, Buffer> head, ReadStream<Buffer> content,
                                    Supplier<Future<Buffer>> late) {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(content, "content");
    ContextInternal ctx = vertx.getOrCreateContext();
    if (closed) {
      return ctx.failedFuture(new SpoolException("the spool is closed"));
    }
    return new Receiver(this, ctx, log.nextId.incrementAndGet(), envelope, content, late).start(head);
  }

  @Override
  public Future<SpoolEntry> markDelivered(String queueId, int recipient, Reply reply) {
    return mark(queueId, List.of(new Mark(recipient, RecipientState.Status.DELIVERED, reply, null)));
  }

  @Override
  public Future<SpoolEntry> markFailed(String queueId, int recipient, Reply reply) {
    return mark(queueId, List.of(new Mark(recipient, RecipientState.Status.FAILED, reply, null)));
  }

  @Override
  public Future<SpoolEntry> markDeferred(String queueId, int recipient, Reply reply, Instant nextAttempt) {
    return mark(queueId, List.of(new Mark(recipient, RecipientState.Status.DEFERRED, reply, nextAttempt)));
  }

  @Override
  public Future<SpoolEntry> mark(String queueId, List<Mark> marks) {
    ContextInternal ctx = vertx.getOrCreateContext();
    long id = Live.parseQueueId(queueId);
    if (id < 0 || marks.isEmpty()) {
      return ctx.failedFuture(new SpoolException(id < 0 ? "no entry " + queueId + " in the spool" : "no marks"));
    }
    Promise<SpoolEntry> p = ctx.promise();
    enqueue(new Requests.Marks(id, List.copyOf(marks), p));
    return p.future();
  }

  @Override
  public Future<Void> remove(String queueId) {
    ContextInternal ctx = vertx.getOrCreateContext();
    long id = Live.parseQueueId(queueId);
    if (id < 0) {
      return ctx.failedFuture(new SpoolException("no entry " + queueId + " in the spool"));
    }
    Promise<Void> p = ctx.promise();
    enqueue(new Requests.Remove(id, p));
    return p.future();
  }

  @Override
  public ReadStream<Buffer> open(String queueId) {
    ContextInternal ctx = vertx.getOrCreateContext();
    long id = Live.parseQueueId(queueId);
    Live l = id < 0 ? null : log.live.get(id);
    if (l == null || closed) {
      throw new SpoolException(closed ? "the spool is closed" : "no entry " + queueId + " in the spool");
    }
    return new ContentReader(ctx, logDir, l.prefix(), l.extents(), queueId);
  }

  @Override
  public SpoolEntry get(String queueId) {
    long id = Live.parseQueueId(queueId);
    Live l = id < 0 ? null : log.live.get(id);
    return l == null ? null : l.entry();
  }

  @Override
  public List<SpoolEntry> list() {
    return log.live.values().stream().map(Live::entry).toList();
  }

  @Override
  public SpoolStats stats() {
    return log.stats();
  }

  @Override
  public void fsyncListener(java.util.function.LongConsumer listener) {
    log.fsyncListener = listener;
  }

  @Override
  public Future<Void> close() {
    ContextInternal ctx = vertx.getOrCreateContext();
    closed = true;
    if (log.terminated) {
      return ctx.succeededFuture();
    }
    Promise<Void> p = ctx.promise();
    log.queue.offer(new Requests.Close(p));
    if (log.terminated) {
      p.tryComplete();
    }
    return p.future();
  }

  void enqueue(Requests.Request r) {
    if (closed && !(r instanceof Requests.Abort)) {
      r.fail(new SpoolException("the spool is closed"));
      return;
    }
    log.queue.offer(r);
    // The writer may have stopped between the check and the offer: then nobody else will answer.
    if (log.terminated && log.queue.remove(r)) {
      r.fail(new SpoolException("the spool is closed"));
    }
  }

  void buffered(long delta) {
    long now = log.buffered.addAndGet(delta);
    if (delta > 0) {
      log.peakBuffered.accumulateAndGet(now, Math::max);
    }
  }
}
