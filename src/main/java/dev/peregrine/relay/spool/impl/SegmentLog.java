package dev.peregrine.relay.spool.impl;

import dev.peregrine.relay.spool.Durability;
import dev.peregrine.relay.spool.Recovery;
import dev.peregrine.relay.spool.RecipientState;
import dev.peregrine.relay.spool.Spool;
import dev.peregrine.relay.spool.SpoolEntry;
import dev.peregrine.relay.spool.SpoolException;
import dev.peregrine.relay.spool.SpoolOptions;
import dev.peregrine.relay.spool.SpoolStats;
import io.vertx.core.Promise;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The log and its one writer thread: recovery at start, then batches of requests, each batch one gathering
 * write and (when it carries a commit, mark or removal) one fdatasync before its promises complete. Owns the
 * segment files; the only code that writes them. Other threads only enqueue requests and read the published
 * {@link #live} map and counters.
 */
final class SegmentLog implements Runnable {

  static final System.Logger LOG = System.getLogger("dev.peregrine.relay.spool");

  private final Path dir;
  private final Path logDir;
  private final boolean fsync;
  private final int batchMax;
  private final long delayNanos;
  private final long progressNanos;
  /** When progress was first written without an fsync since the last one (System.nanoTime), or 0. */
  private long lazySince;
  private final long segmentSize;

  final LinkedBlockingQueue<Requests.Request> queue = new LinkedBlockingQueue<>();
  /** Receives started whose commit is not asked yet: a batch waits for more commits only while there are some. */
  final AtomicInteger receivesUnderWay = new AtomicInteger();
  /** Committed entries as last made durable, by id (= queue order). */
  final ConcurrentSkipListMap<Long, Live> live = new ConcurrentSkipListMap<>();
  final AtomicLong nextId = new AtomicLong();
  final AtomicLong buffered = new AtomicLong();
  final AtomicLong peakBuffered = new AtomicLong();
  private final AtomicLong fsyncs = new AtomicLong();
  private final AtomicLong committed = new AtomicLong();
  private final AtomicLong marks = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong largest = new AtomicLong();
  private final AtomicLong written = new AtomicLong();
  private final Promise<Recovery> opened;
  volatile boolean terminated;

  // Writer thread only.
  private final TreeSet<Long> segments = new TreeSet<>();
  /** For each segment, how many unfinished entries (and receives) have their first record there. */
  private final TreeMap<Long, Integer> firstRefs = new TreeMap<>();
  private final Map<Long, Pending> pending = new HashMap<>();
  private FileChannel lockChannel;
  private FileChannel active;
  private long activeSeq;
  private long activePos;
  private boolean dirty;
  private SpoolException broken;
  volatile java.util.function.LongConsumer fsyncListener;

  /** A receive whose chunks are being written. */
  private static final class Pending {
    final List<long[]> extents = new ArrayList<>();
    long firstSegment = -1;
    long bytes;
    int chunks;
    Throwable failed;
  }

  SegmentLog(SpoolOptions options, Promise<Recovery> opened) {
    this.dir = Path.of(options.getDir()).toAbsolutePath();
    this.logDir = dir.resolve("log");
    this.fsync = options.getDurability() == Durability.FSYNC;
    this.batchMax = options.getBatchMaxEntries();
    this.delayNanos = options.getBatchMaxDelay().toNanos();
    this.progressNanos = options.getProgressSyncDelay().toNanos();
    this.segmentSize = options.getSegmentSize();
    this.opened = opened;
  }

  static Path segmentPath(Path logDir, long seq) {
    return logDir.resolve(String.format("%016x.log", seq));
  }

  static RecipientState applyMark(RecipientState s, Spool.Mark m) {
    if (s.isFinal()) {
      throw new IllegalStateException("recipient " + m.recipient() + " is already " + s.status());
    }
    return new RecipientState(s.rcpt(), m.status(), m.reply(),
        m.status() == RecipientState.Status.DEFERRED ? m.nextAttempt() : null, s.attempts() + 1);
  }

  SpoolStats stats() {
    return new SpoolStats(fsyncs.get(), committed.get(), marks.get(), batches.get(), largest.get(), written.get(),
        buffered.get(), peakBuffered.get());
  }

  @Override
  public void run() {
    try {
      Recovery r = recover();
      opened.complete(r);
    } catch (Throwable t) {
      closeQuietly();
      terminated = true;
      opened.fail(t instanceof SpoolException ? t : new SpoolException("cannot open the spool in " + dir + ": " + t, t));
      return;
    }
    List<Requests.Request> batch = new ArrayList<>();
    try {
      while (true) {
        batch.clear();
        Requests.Request first;
        if (lazySince != 0) {
          long left = lazySince + progressNanos - System.nanoTime();
          first = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
          if (first == null) {
            syncProgress();
            continue;
          }
        } else {
          first = queue.take();
        }
        batch.add(first);
        queue.drainTo(batch);
        linger(batch);
        int close = indexOfClose(batch);
        process(close < 0 ? batch : batch.subList(0, close));
        if (close >= 0) {
          closeQuietly();
          terminated = true;
          ((Requests.Close) batch.get(close)).done().tryComplete();
          failAll(batch.subList(close + 1, batch.size()));
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeQuietly();
      terminated = true;
    }
    List<Requests.Request> rest = new ArrayList<>();
    queue.drainTo(rest);
    failAll(rest);
  }

  private void failAll(List<Requests.Request> requests) {
    requests.forEach(r -> r.fail(new SpoolException("the spool is closed")));
  }

  private static int indexOfClose(List<Requests.Request> batch) {
    for (int i = 0; i < batch.size(); i++) {
      if (batch.get(i) instanceof Requests.Close) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Group commit: while the batch holds a commit (or mark) and other receives are under way, wait up to the
   * delay, or until batchMax are waiting, for more to share the fsync. Without fsync there is nothing to share.
   */
  private void linger(List<Requests.Request> batch) throws InterruptedException {
    if (!fsync || delayNanos == 0) {
      return;
    }
    int syncs = (int) batch.stream().filter(Requests.Request::sync).count();
    if (syncs == 0) {
      return;
    }
    long deadline = System.nanoTime() + delayNanos;
    while (syncs < batchMax && receivesUnderWay.get() > 0 && indexOfClose(batch) < 0) {
      long left = deadline - System.nanoTime();
      Requests.Request r = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
      if (r == null) {
        return;
      }
      int from = batch.size();
      batch.add(r);
      queue.drainTo(batch);
      for (int i = from; i < batch.size(); i++) {
        syncs += batch.get(i).sync() ? 1 : 0;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Recovery

  private Recovery recover() throws IOException {
    boolean created = !Files.isDirectory(logDir);
    Files.createDirectories(logDir);
    if (created) {
      // A new spool: its log/ entry must be durable before the first segment's is.
      syncDirectory(dir);
    }
    lockChannel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      throw new SpoolException("the spool " + dir + " is in use by another spool or process");
    }
    if (!fsync) {
      LOG.log(System.Logger.Level.WARNING, "spool: {0} runs with durability unsafe-no-fsync: acknowledged mail is "
          + "lost on a power cut or kernel crash. For benchmarks only.", dir);
    }
    try (Stream<Path> files = Files.list(logDir)) {
      files.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9a-f]{16}\\.log"))
          .forEach(n -> segments.add(Long.parseLong(n.substring(0, 16), 16)));
    }
    LogScanner scanner = new LogScanner(logDir, dir.resolve("corrupt"), fsync);
    LogScanner.Result found = scanner.scan(List.copyOf(segments));
    fsyncs.addAndGet(scanner.fsyncs);
    found.live().forEach((id, l) -> {
      live.put(id, l);
      firstRefs.merge(l.firstSegment(), 1, Integer::sum);
    });
    nextId.set(Math.max(found.maxId(), System.currentTimeMillis() << 12));
    startSegment((segments.isEmpty() ? 0 : segments.last()) + 1);
    if (!found.toRemove().isEmpty()) {
      List<ByteBuffer> out = new ArrayList<>();
      for (long id : found.toRemove()) {
        out.add(Records.header(Records.REMOVE, id, new byte[0], 0));
      }
      write(out);
      force();
    }
    reclaim();
    return new Recovery(found.live().values().stream().map(Live::entry).toList(), found.discarded(),
        found.movedAside(), scanner.truncatedBytes);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Batches

  private void process(List<Requests.Request> batch) {
    if (batch.isEmpty()) {
      return;
    }
    if (broken != null) {
      batch.forEach(r -> r.fail(broken));
      return;
    }
    List<ByteBuffer> out = new ArrayList<>(batch.size() * 2);
    List<Runnable> onDurable = new ArrayList<>(batch.size());
    Map<Long, Live> staged = new HashMap<>();
    List<Requests.Request> accepted = new ArrayList<>(batch.size());
    List<Long> commitRefs = new ArrayList<>();
    List<Long> removedRefs = new ArrayList<>();
    int syncs = 0;
    boolean lazy = false;
    try {
      if (activePos >= segmentSize) {
        rotate();
      }
    } catch (IOException e) {
      fail(batch, List.of(), new SpoolException("cannot start a new log segment in " + logDir, e));
      return;
    }
    long pos = activePos;
    for (Requests.Request r : batch) {
      // Java 17: no pattern switch; Requests.Request is sealed, the last branch is the Close the loop keeps out.
      if (r instanceof Requests.Data d) {
        Pending p = pending.computeIfAbsent(d.id(), k -> new Pending());
        if (p.failed != null) {
          d.fail(p.failed);
          continue;
        }
        if (p.firstSegment < 0) {
          p.firstSegment = activeSeq;
          firstRefs.merge(activeSeq, 1, Integer::sum);
        }
        p.extents.add(new long[] {activeSeq, pos + Records.HEADER, d.length()});
        p.bytes += d.length();
        p.chunks++;
        out.add(Records.header(Records.DATA, d.id(), d.bytes(), d.length()));
        out.add(ByteBuffer.wrap(d.bytes(), 0, d.length()));
        pos += Records.HEADER + d.length();
        onDurable.add(() -> d.done().tryComplete());
      } else if (r instanceof Requests.Commit c) {
        Pending p = pending.remove(c.id());
        if (p == null) {
          p = new Pending();
        }
        if (p.failed != null || p.bytes != c.size() || p.chunks != c.chunks()) {
          unref(p.firstSegment);
          c.fail(p.failed != null ? p.failed : new SpoolException("content lost on its way to the log"));
          continue;
        }
        if (p.firstSegment < 0) {
          p.firstSegment = activeSeq;
          firstRefs.merge(activeSeq, 1, Integer::sum);
        }
        byte[] payload = EnvelopeCodec.commit(c.envelope(), c.size(), c.chunks(), c.prefix());
        out.add(Records.header(Records.COMMIT, c.id(), payload, payload.length));
        out.add(ByteBuffer.wrap(payload));
        pos += Records.HEADER + payload.length;
        long[] ext = new long[p.extents.size() * 3];
        for (int i = 0; i < p.extents.size(); i++) {
          System.arraycopy(p.extents.get(i), 0, ext, i * 3, 3);
        }
        List<RecipientState> states = c.envelope().recipients().stream().map(RecipientState::pending).toList();
        long prefixed = c.size() + (c.prefix() == null ? 0 : c.prefix().length);
        Live l = new Live(new SpoolEntry(Live.queueId(c.id()), c.envelope(), prefixed, states), ext, p.firstSegment,
            c.prefix());
        staged.put(c.id(), l);
        commitRefs.add(p.firstSegment);
        syncs++;
        onDurable.add(() -> {
          committed.incrementAndGet();
          c.done().tryComplete(l.entry());
        });
      } else if (r instanceof Requests.Marks m) {
        Live before = staged.containsKey(m.id()) ? staged.get(m.id()) : live.get(m.id());
        Live after;
        try {
          after = marked(m.id(), before, m.marks());
        } catch (RuntimeException e) {
          m.fail(e instanceof SpoolException ? e : new SpoolException(e.getMessage(), e));
          continue;
        }
        byte[] payload = EnvelopeCodec.marks(m.marks());
        out.add(Records.header(Records.MARK, m.id(), payload, payload.length));
        out.add(ByteBuffer.wrap(payload));
        pos += Records.HEADER + payload.length;
        staged.put(m.id(), after);
        if (progressNanos == 0) {
          syncs++;
        } else {
          lazy = true;
        }
        onDurable.add(() -> {
          marks.incrementAndGet();
          m.done().tryComplete(after.entry());
        });
      } else if (r instanceof Requests.Remove rm) {
        Live before = staged.containsKey(rm.id()) ? staged.get(rm.id()) : live.get(rm.id());
        if (before == null) {
          rm.fail(new SpoolException("no entry " + Live.queueId(rm.id()) + " in the spool"));
          continue;
        }
        out.add(Records.header(Records.REMOVE, rm.id(), new byte[0], 0));
        pos += Records.HEADER;
        staged.put(rm.id(), null);
        if (!before.entry().isFinished()) {
          // An operator's delete must hold. The removal of a finished entry needs no fsync of its own: lost in a
          // crash, recovery finds the entry with every recipient final and it is removed again, nothing resent.
          syncs++;
        }
        removedRefs.add(before.firstSegment());
        onDurable.add(() -> {
          marks.incrementAndGet();
          rm.done().tryComplete();
        });
      } else if (r instanceof Requests.Abort a) {
        Pending p = pending.remove(a.id());
        if (p != null) {
          unref(p.firstSegment);
        }
      } else {
        throw new IllegalStateException("a close is handled by the loop");
      }
      accepted.add(r);
    }
    try {
      write(out);
      if (syncs > 0) {
        force();
        batches.incrementAndGet();
        largest.accumulateAndGet(syncs, Math::max);
      } else if (lazy && dirty && lazySince == 0) {
        lazySince = System.nanoTime();
      }
    } catch (IOException e) {
      fail(accepted, commitRefs, new SpoolException("the spool could not write " + logDir + ": " + e.getMessage(), e));
      return;
    }
    staged.forEach((id, l) -> {
      if (l == null) {
        live.remove(id);
      } else {
        live.put(id, l);
      }
    });
    removedRefs.forEach(this::unref);
    if (!removedRefs.isEmpty() || batch.stream().anyMatch(r -> r instanceof Requests.Abort)) {
      // Before the completions, so that a removal's caller finds the space already given back.
      try {
        reclaim();
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, "spool: cannot delete an old segment (retried later): " + e);
      }
    }
    onDurable.forEach(Runnable::run);
  }

  private Live marked(long id, Live before, List<Spool.Mark> ms) {
    if (before == null) {
      throw new SpoolException("no entry " + Live.queueId(id) + " in the spool");
    }
    List<RecipientState> states = new ArrayList<>(before.entry().recipients());
    for (Spool.Mark m : ms) {
      if (m.recipient() < 0 || m.recipient() >= states.size()) {
        throw new SpoolException("entry " + before.entry().id() + " has no recipient " + m.recipient());
      }
      try {
        states.set(m.recipient(), applyMark(states.get(m.recipient()), m));
      } catch (IllegalStateException e) {
        throw new SpoolException("entry " + before.entry().id() + ": " + e.getMessage());
      }
    }
    SpoolEntry e = before.entry();
    return new Live(new SpoolEntry(e.id(), e.envelope(), e.size(), states), before.extents(), before.firstSegment(),
        before.prefix());
  }

  /**
   * A batch that did not reach the disk: its requests fail, its receives are poisoned (a later chunk must not
   * follow a lost one), and the segment is cut back to where the batch began so the log stays readable.
   */
  private void fail(List<Requests.Request> batch, List<Long> commitRefs, SpoolException e) {
    for (Requests.Request r : batch) {
      if (r instanceof Requests.Data d && pending.get(d.id()) != null) {
        pending.get(d.id()).failed = e;
      }
      r.fail(e);
    }
    // The receives committed in this batch are over: the segments they held are free.
    commitRefs.forEach(this::unref);
    try {
      active.truncate(activePos);
      active.position(activePos);
    } catch (IOException t) {
      broken = new SpoolException("the spool log cannot be repaired after a failed write; restart to recover", t);
    }
  }

  private void unref(long segment) {
    if (segment >= 0) {
      firstRefs.computeIfPresent(segment, (k, v) -> v == 1 ? null : v - 1);
    }
  }

  private void write(List<ByteBuffer> out) throws IOException {
    if (out.isEmpty()) {
      return;
    }
    ByteBuffer[] bufs = out.toArray(new ByteBuffer[0]);
    long total = 0;
    for (ByteBuffer b : bufs) {
      total += b.remaining();
    }
    long done = 0;
    active.position(activePos);
    while (done < total) {
      done += active.write(bufs);
    }
    activePos += total;
    written.addAndGet(total);
    dirty = true;
  }

  private void force() throws IOException {
    if (fsync && dirty) {
      try {
        long t0 = System.nanoTime();
        active.force(false);
        java.util.function.LongConsumer l = fsyncListener;
        if (l != null) {
          l.accept(System.nanoTime() - t0);
        }
      } catch (IOException e) {
        // After a failed fsync the kernel may have dropped the dirty pages (fsyncgate): a retry that succeeds
        // proves nothing, so nothing more is acknowledged until a restart re-reads the disk.
        broken = new SpoolException("fsync of the spool log failed; the spool refuses writes until restarted", e);
        throw e;
      }
      fsyncs.incrementAndGet();
    }
    dirty = false;
    lazySince = 0;
  }

  /** The progress written since the last fsync reaches the disk (its delay is up and no batch came). */
  private void syncProgress() {
    try {
      force();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.ERROR, "spool: fsync of delivery progress failed: " + e);
    }
  }

  private void rotate() throws IOException {
    force();
    active.close();
    startSegment(activeSeq + 1);
  }

  private void startSegment(long seq) throws IOException {
    active = FileChannel.open(segmentPath(logDir, seq), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    activeSeq = seq;
    activePos = 0;
    dirty = false;
    segments.add(seq);
    syncDirectory();
  }

  /**
   * Deletes segments oldest first while no unfinished entry has a record in them, one directory fsync each:
   * only then can a crash never bring back a segment whose entries' REMOVE records are already gone.
   */
  private void reclaim() throws IOException {
    while (segments.size() > 1 && segments.first() < activeSeq
        && (firstRefs.isEmpty() || firstRefs.firstKey() > segments.first())) {
      Files.deleteIfExists(segmentPath(logDir, segments.first()));
      syncDirectory();
      segments.pollFirst();
    }
  }

  private void syncDirectory() throws IOException {
    syncDirectory(logDir);
  }

  private void syncDirectory(Path directory) throws IOException {
    if (fsync) {
      try (FileChannel d = FileChannel.open(directory, StandardOpenOption.READ)) {
        d.force(true);
      }
      fsyncs.incrementAndGet();
    }
  }

  private void closeQuietly() {
    try {
      if (active != null) {
        force();
        active.close();
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "spool: closing the log failed: " + e);
    }
    try {
      if (lockChannel != null) {
        lockChannel.close();
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "spool: releasing the lock failed: " + e);
    }
  }
}
