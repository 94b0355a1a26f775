package dev.peregrine.relay.spool.impl;

import dev.peregrine.relay.spool.Spool;
import dev.peregrine.relay.spool.SpoolEntry;
import dev.peregrine.relay.spool.SpoolEnvelope;
import io.vertx.core.Promise;

import java.util.List;

/**
 * What callers ask of the {@link SegmentLog}'s writer thread. Each carries the promise it completes; the
 * promises are made on the caller's context, so completing them from the writer thread calls back there.
 */
final class Requests {

  private Requests() {
  }

  sealed interface Request permits Data, Commit, Marks, Remove, Abort, Close {
    /** True when its promise may complete only after an fsync. */
    boolean sync();

    /** Fails its promise, if it has one. */
    void fail(Throwable t);
  }

  /** A chunk of a receive's content; {@code bytes[0..length)}. */
  record Data(long id, byte[] bytes, int length, Promise<Void> done) implements Request {
    public boolean sync() {
      return false;
    }

    public void fail(Throwable t) {
      done.tryFail(t);
    }
  }

  /** The end of a receive: its envelope, and what the chunks must add up to. */
  record Commit(long id, SpoolEnvelope envelope, long size, int chunks, byte[] prefix, Promise<SpoolEntry> done) implements Request {
    public boolean sync() {
      return true;
    }

    public void fail(Throwable t) {
      done.tryFail(t);
    }
  }

  record Marks(long id, List<Spool.Mark> marks, Promise<SpoolEntry> done) implements Request {
    /** Progress: fsync'd with the next commit, or within progress-sync-delay (see SegmentLog). */
    public boolean sync() {
      return false;
    }

    public void fail(Throwable t) {
      done.tryFail(t);
    }
  }

  record Remove(long id, Promise<Void> done) implements Request {
    /** No wait for company: a finished entry's removal is written without an fsync of its own. */
    public boolean sync() {
      return false;
    }

    public void fail(Throwable t) {
      done.tryFail(t);
    }
  }

  /** A receive that failed: forget its chunks (they stay in the log, unreferenced, until their segment goes). */
  record Abort(long id) implements Request {
    public boolean sync() {
      return false;
    }

    public void fail(Throwable t) {
    }
  }

  record Close(Promise<Void> done) implements Request {
    public boolean sync() {
      return false;
    }

    public void fail(Throwable t) {
      done.tryFail(t);
    }
  }
}
