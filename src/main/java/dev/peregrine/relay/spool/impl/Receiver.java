package dev.peregrine.relay.spool.impl;

import java.util.function.Function;
import java.util.function.Supplier;

import dev.peregrine.relay.spool.SpoolEntry;
import dev.peregrine.relay.spool.SpoolEnvelope;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.streams.ReadStream;

/**
 * One receive: reads the content stream on its context, cuts it into chunks of {@value #CHUNK} octets for the
 * writer, pauses the stream while {@value #MAX_IN_FLIGHT} chunks wait for the disk (so at most three chunks,
 * 96 KiB, of a message are ever in memory), then asks for the commit. All its state is touched on the
 * context only.
 */
final class Receiver {

  static final int CHUNK = 32 * 1024;
  static final int MAX_IN_FLIGHT = 2;

  private final SpoolImpl spool;
  private final ContextInternal ctx;
  private final long id;
  private final SpoolEnvelope envelope;
  private final ReadStream<Buffer> content;
  private final Supplier<Future<Buffer>> late;
  private final Promise<SpoolEntry> result;
  private byte[] chunk;
  private int fill;
  private long size;
  private int chunks;
  private int inFlight;
  private boolean ended;
  private boolean done;

  Receiver(SpoolImpl spool, ContextInternal ctx, long id, SpoolEnvelope envelope, ReadStream<Buffer> content,
           Supplier<Future<Buffer>> late) {
    this.late = late;
    this.spool = spool;
    this.ctx = ctx;
    this.id = id;
    this.envelope = envelope;
    this.content = content;
    this.result = ctx.promise();
  }

  Future<SpoolEntry> start(Function<String, Buffer> head) {
    spool.log.receivesUnderWay.incrementAndGet();
    chunk = new byte[CHUNK];
    spool.buffered(CHUNK);
    if (head != null) {
      try {
        onData(head.apply(Live.queueId(id)));
      } catch (RuntimeException e) {
        fail(e);
        return result.future();
      }
    }
    content.exceptionHandler(this::fail);
    content.endHandler(v -> end());
    content.handler(this::onData);
    content.resume();
    return result.future();
  }

  private void onData(Buffer b) {
    if (done || ended) {
      return;
    }
    int len = b.length();
    size += len;
    for (int off = 0; off < len; ) {
      int n = Math.min(CHUNK - fill, len - off);
      b.getBytes(off, off + n, chunk, fill);
      fill += n;
      off += n;
      if (fill == CHUNK) {
        flush(true);
        if (done) {
          // The chunk's write failed at once (its future was complete before we listened): the receive is over.
          return;
        }
      }
    }
  }

  private void flush(boolean more) {
    byte[] full = chunk;
    int n = fill;
    chunk = more ? new byte[CHUNK] : null;
    if (more) {
      spool.buffered(CHUNK);
    }
    fill = 0;
    chunks++;
    inFlight++;
    Promise<Void> written = ctx.promise();
    spool.enqueue(new Requests.Data(id, full, n, written));
    if (inFlight >= MAX_IN_FLIGHT) {
      content.pause();
    }
    written.future().onComplete(ar -> {
      inFlight--;
      spool.buffered(-CHUNK);
      if (ar.failed()) {
        fail(ar.cause());
      } else if (!ended && !done && inFlight < MAX_IN_FLIGHT) {
        content.resume();
      }
    });
  }

  private void end() {
    if (done || ended) {
      return;
    }
    ended = true;
    if (fill > 0) {
      flush(false);
    } else {
      chunk = null;
      spool.buffered(-CHUNK);
    }
    // Before the commit is queued, so that a batch holding it does not wait for it.
    spool.log.receivesUnderWay.decrementAndGet();
    if (late == null) {
      commit(null);
      return;
    }
    Future<Buffer> fields;
    try {
      fields = late.get();
    } catch (RuntimeException e) {
      fields = Future.failedFuture(e);
    }
    fields.onComplete(ar -> {
      if (ar.succeeded()) {
        commit(ar.result() == null || ar.result().length() == 0 ? null : ar.result().getBytes());
      } else {
        done = true;
        spool.enqueue(new Requests.Abort(id));
        result.tryFail(ar.cause());
      }
    });
  }

  private void commit(byte[] prefix) {
    Promise<SpoolEntry> committed = ctx.promise();
    spool.enqueue(new Requests.Commit(id, envelope, size, chunks, prefix, committed));
    committed.future().onComplete(ar -> {
      done = true;
      result.handle(ar);
    });
  }

  /** The content failed (or a chunk did not reach the log) before the end: nothing of this receive is kept. */
  private void fail(Throwable t) {
    if (done || ended) {
      return;
    }
    done = true;
    if (chunk != null) {
      chunk = null;
      spool.buffered(-CHUNK);
    }
    spool.log.receivesUnderWay.decrementAndGet();
    spool.enqueue(new Requests.Abort(id));
    // Nothing more is kept: let the rest of the content flow by rather than leave the stream paused by a
    // reader that has stopped (the sender is still sending, and waits for its reply at the end).
    content.handler(b -> { });
    content.resume();
    result.tryFail(t);
  }
}
