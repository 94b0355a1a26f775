package dev.peregrine.relay.spool;

import dev.peregrine.protocol.Reply;
import dev.peregrine.relay.spool.impl.SpoolImpl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The relay's durable queue of accepted messages: envelope, content and per-recipient progress, on stable
 * storage before anything is acknowledged. No socket code, no delivery: the server writes into it, the queue
 * manager reads from it and marks progress.
 *
 * <h2>Design: one append-only segment log with group commit</h2>
 * Everything is a checksummed record appended to the current segment file of {@code <dir>/log/}: content
 * chunks ({@code DATA}, written as they arrive, never fsync'd on their own), the envelope that commits a
 * message ({@code COMMIT}, naming its size and chunk count), per-recipient progress ({@code MARK}) and the end
 * of a message ({@code REMOVE}). One writer thread owns the log. It takes every request waiting, writes them
 * with one gathering write, then issues <em>one</em> fdatasync for all the commits, marks and deletes in
 * that batch (the removal of a finished entry needs none: lost in a crash, recovery finds the entry finished
 * and it is removed again), and only then completes their futures (a batch takes everything queued; {@code
 * batch-max-entries} only ends the wait for more). An fsync covers everything written before it in the
 * file, so a message's chunks, written earlier, are durable with its commit. A commit waits up to
 * {@code batch-max-delay} for others to join it, and only while other receives are under way: a lone writer
 * never waits, fifty share one fsync.
 *
 * <p>Why not a file per message (Postfix's way): each file needs its own fsync (and the new directory entry
 * a directory fsync), so batching them saves wake-ups but not fsyncs: at least 1 fsync per message, against
 * the 0.1 this project targets. Measured here (ext4 on a virtual disk, 10 KiB, one thread): a file per message
 * with fdatasync 3.3 ms per message (307/s), a segment log syncing every message 1.6 ms (607/s), a segment
 * log syncing every 50 messages 0.08 ms (12,700/s). Through this class (10 KiB, {@code SpoolBench}): 1
 * writer 1,208 msgs/s at 1.0 fsync per message; 50 writers 9,032 msgs/s at 0.034 fsync per message (mean batch
 * 30); unsafe-no-fsync 2,321 and 10,965 msgs/s. Cloud disks make each fsync slower still, so fsyncs per
 * message is what counts. RocksDB's WAL would give the same group commit at the price of a native library
 * and a second copy of every message (WAL, then memtable flush).
 *
 * <p>Segments: a new one starts once the current reaches {@code segment-size} (the old one fsync'd, the
 * directory fsync'd for the new name). Segments are deleted oldest first, each followed by a directory fsync,
 * once no unfinished message has a record in them or in an older one; deleting strictly in order is what
 * lets a {@code REMOVE} record sit in a later segment than the message it ends.
 *
 * <p>Recovery ({@link #open}) reads every segment in order and checks every record's checksums; a torn last
 * write is cut off, content never committed (a crash mid-receive) is dropped, and an entry with a bad record,
 * a missing chunk or a size that does not add up is copied to {@code <dir>/corrupt/} with a WARNING naming its
 * queue id, then taken out of the queue by a {@code REMOVE} record. Nothing found is silently lost and nothing
 * throws: a spool that cannot be read at all fails {@code open} with a {@link SpoolException}.
 *
 * <h2>Threads</h2>
 * Every method may be called on any thread and never blocks; the futures complete on the caller's context
 * (the Vert.x context of the calling thread, or a new one when called from outside Vert.x). File I/O happens
 * on the spool's own writer thread and, for reading content, on Vert.x worker threads.
 *
 * <h2>Failures</h2>
 * A failed future carries a {@link SpoolException} (I/O error, closed spool, unknown queue id, recipient out of
 * range or already final), except that a receive whose content stream fails fails with the stream's own
 * exception. A failed fsync leaves the spool refusing every further write (the kernel may have dropped the
 * dirty pages, so retrying could acknowledge lost data): restart it, recovery knows what is on disk.
 */
public interface Spool {

  /**
   * Opens (creating it if needed) and recovers the spool in {@code options.getDir()}, holding an exclusive
   * lock on it.
   *
   * @return the spool, with {@link #recovery()} describing what was found; fails with a {@link SpoolException}
   *     when the directory cannot be created, read or locked
   */
  static Future<Spool> open(Vertx vertx, SpoolOptions options) {
    return SpoolImpl.open(vertx, new SpoolOptions(options));
  }

  /** What recovery found when this spool was opened: the unfinished entries to queue again, and what was dropped. */
  Recovery recovery();

  /**
   * Stores a message: the content is read with back-pressure and appended to the log as it arrives (never
   * held whole in memory: about 96 KiB per message in flight at most), then the envelope commits it.
   *
   * <p>Call it on the context the content stream emits on (the connection's, from {@code SmtpHandler.data}).
   *
   * @param content the message as it will be delivered (CRLF lines, no dot-stuffing); read from now on
   * @return the entry with its queue id and every recipient {@code PENDING}, once envelope and content are
   *     on stable storage (fsync'd, unless in {@link Durability#UNSAFE_NO_FSYNC}); fails with the stream's
   *     exception when the content fails, else a {@link SpoolException}; nothing of a failed receive is kept
   */
  default Future<SpoolEntry> receive(SpoolEnvelope envelope, ReadStream<Buffer> content) {
    return receive(envelope, null, content);
  }

  /**
   * Stores a message that starts with a head made from its queue id (a relay's {@code Received:} line, which
   * names the id), followed by {@code content}; otherwise as {@link #receive(SpoolEnvelope, ReadStream)}.
   *
   * @param head called once, on the caller's context, with the new entry's queue id; {@code null}: no head
   */
  default Future<SpoolEntry> receive(SpoolEnvelope envelope, Function<String, Buffer> head, ReadStream<Buffer> content) {
    return receive(envelope, head, content, null);
  }

  /**
   * As {@link #receive(SpoolEnvelope, Function, ReadStream)}, with header fields known only once the content
   * has passed (a DKIM signature, whose body hash needs all of it): {@code late} is called once, on the
   * caller's context, after the content's end; what its future gives is stored with the commit record and
   * read back by {@link #open} before the head and the content, and counts in the entry's size. A failed
   * {@code late} fails the receive, keeping nothing.
   *
   * @param late the header fields to put first (CRLF-terminated; an empty buffer: none); {@code null}: none
   */
  Future<SpoolEntry> receive(SpoolEnvelope envelope, Function<String, Buffer> head, ReadStream<Buffer> content,
                             Supplier<Future<Buffer>> late);

  /** Marks recipient {@code recipient} (its index in the envelope) delivered with the next hop's reply; durable when complete. */
  Future<SpoolEntry> markDelivered(String queueId, int recipient, Reply reply);

  /** Marks recipient {@code recipient} failed for good (5xx, or too old); durable when complete. */
  Future<SpoolEntry> markFailed(String queueId, int recipient, Reply reply);

  /** Marks recipient {@code recipient} deferred until {@code nextAttempt}; durable when complete. */
  Future<SpoolEntry> markDeferred(String queueId, int recipient, Reply reply, Instant nextAttempt);

  /**
   * Records several outcomes of one entry in one record (a transaction's per-recipient replies).
   *
   * @return the entry as now stored; fails with a {@link SpoolException} for an unknown id, an index out of
   *     range or a recipient already delivered or failed (a final state never changes), and then nothing
   *     of {@code marks} is recorded
   */
  Future<SpoolEntry> mark(String queueId, List<Mark> marks);

  /**
   * Removes an entry (all its recipients final, or an operator's delete). An operator's delete is durable when
   * complete; the removal of a finished entry is written but not fsync'd on its own (it becomes durable with
   * the next fsync; if a crash loses it, recovery returns the entry with every recipient final, and it is
   * removed again). Its space is reclaimed when its segment is deleted.
   *
   * @return fails with a {@link SpoolException} for an unknown id
   */
  Future<Void> remove(String queueId);

  /**
   * The content of an entry for delivery: a stream with back-pressure that starts reading once a handler
   * is set, read from disk on worker threads, emitting on the caller's context. It fails with a
   * {@link SpoolException} if the entry is removed while being read. Each call opens a new stream, so it
   * serves as a content factory for every delivery attempt.
   *
   * @throws SpoolException for an unknown id or a closed spool
   */
  ReadStream<Buffer> open(String queueId);

  /** The entry as last made durable, or {@code null} when there is none with that id. */
  SpoolEntry get(String queueId);

  /** Every entry in the spool now, in queue-id order (the order their receives began). */
  List<SpoolEntry> list();

  /** Counters since open: fsyncs, commits, batches, bytes. */
  SpoolStats stats();

  /**
   * Tells {@code listener} how long each fsync of the log took, in nanoseconds (for a latency histogram).
   * Called on the spool's writer thread: it must be quick and thread-safe.
   */
  void fsyncListener(java.util.function.LongConsumer listener);

  /**
   * Finishes the writes already asked for, then closes the log and releases the lock. Later calls fail
   * with a {@link SpoolException}; receives still streaming fail.
   */
  Future<Void> close();

  /** One recipient's outcome, for {@link #mark}. */
  record Mark(int recipient, RecipientState.Status status, Reply reply, Instant nextAttempt) {

    public Mark {
      if (status == RecipientState.Status.PENDING) {
        throw new IllegalArgumentException("a mark records an outcome: DELIVERED, FAILED or DEFERRED");
      }
      if (status == RecipientState.Status.DEFERRED && nextAttempt == null) {
        throw new IllegalArgumentException("a deferral needs its next attempt");
      }
    }
  }
}
