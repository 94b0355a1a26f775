package dev.peregrine.relay.spool.impl;

import dev.peregrine.relay.spool.RecipientState;
import dev.peregrine.relay.spool.Spool;
import dev.peregrine.relay.spool.SpoolEntry;
import dev.peregrine.relay.spool.SpoolException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * Recovery: reads every segment of the log in order, checks every record, and rebuilds the queue. Runs once,
 * on the writer thread, before the spool accepts anything.
 *
 * <ul>
 *   <li>A damaged header at the end of the last segment is a torn write (a crash during a write that was
 *       never acknowledged): the tail is cut off.</li>
 *   <li>A damaged header elsewhere: the scan looks for the next valid header and says which octets it skipped.</li>
 *   <li>Content without a commit: a receive cut short by the crash, never acknowledged, dropped. Unless the
 *       log had damaged regions (the commit might be what was lost): then it is moved aside too.</li>
 *   <li>An entry with a bad record, a chunk missing, a size that does not add up, or a mark it cannot take:
 *       copied to {@code corrupt/<queue id>.eml} and {@code .json}, with a WARNING naming it.</li>
 * </ul>
 */
final class LogScanner {

  private final Path logDir;
  private final Path corruptDir;
  private final boolean fsync;
  private final Map<Long, MappedByteBuffer> maps = new HashMap<>();
  private final TreeMap<Long, Scan> scans = new TreeMap<>();
  private boolean damaged;
  long truncatedBytes;
  long fsyncs;

  LogScanner(Path logDir, Path corruptDir, boolean fsync) {
    this.logDir = logDir;
    this.corruptDir = corruptDir;
    this.fsync = fsync;
  }

  /** One entry as the scan found it. */
  private static final class Scan {
    final List<long[]> extents = new ArrayList<>();
    long bytes;
    int chunks;
    long firstSegment = -1;
    EnvelopeCodec.Commit commit;
    byte[] commitPayload;
    List<RecipientState> states;
    boolean removed;
    String corrupt;

    void corrupt(String reason) {
      if (corrupt == null) {
        corrupt = reason;
      }
    }
  }

  /** What the scan leaves for the writer: the queue, and the ids whose end it must record. */
  record Result(TreeMap<Long, Live> live, long maxId, int discarded, List<String> movedAside, List<Long> toRemove) {
  }

  Result scan(List<Long> segments) throws IOException {
    for (int i = 0; i < segments.size(); i++) {
      scanSegment(segments.get(i), i == segments.size() - 1);
    }
    TreeMap<Long, Live> live = new TreeMap<>();
    List<String> movedAside = new ArrayList<>();
    List<Long> toRemove = new ArrayList<>();
    int discarded = 0;
    long maxId = 0;
    for (Map.Entry<Long, Scan> e : scans.entrySet()) {
      long id = e.getKey();
      Scan s = e.getValue();
      maxId = Math.max(maxId, id);
      if (s.removed) {
        continue;
      }
      if (s.corrupt == null && s.commit == null && damaged) {
        s.corrupt("content without a commit, in a log with damaged regions: the commit may be what was lost");
      }
      if (s.corrupt != null) {
        moveAside(id, s);
        movedAside.add(Live.queueId(id));
        toRemove.add(id);
      } else if (s.commit == null) {
        discarded++;
        toRemove.add(id);
      } else {
        long[] ext = new long[s.extents.size() * 3];
        for (int i = 0; i < s.extents.size(); i++) {
          System.arraycopy(s.extents.get(i), 0, ext, i * 3, 3);
        }
        byte[] prefix = s.commit.prefix();
        SpoolEntry entry = new SpoolEntry(Live.queueId(id), s.commit.envelope(),
            s.commit.size() + (prefix == null ? 0 : prefix.length), s.states);
        live.put(id, new Live(entry, ext, s.firstSegment, prefix));
      }
    }
    if (discarded > 0) {
      SegmentLog.LOG.log(System.Logger.Level.INFO, "spool: dropped {0} message(s) whose content was never committed "
          + "(cut short by a stop; none was acknowledged)", discarded);
    }
    return new Result(live, maxId, discarded, movedAside, toRemove);
  }

  private void scanSegment(long seq, boolean last) throws IOException {
    Path path = SegmentLog.segmentPath(logDir, seq);
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = ch.size();
      if (size > Integer.MAX_VALUE) {
        throw new SpoolException("segment " + path + " is larger than 2 GiB: not written by this spool");
      }
      MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
      maps.put(seq, b);
      int n = (int) size;
      int pos = 0;
      while (pos < n) {
        Records.Header h = header(b, pos, n);
        if (h == null) {
          int next = findNext(b, pos + 1, n);
          if (next < 0 && last) {
            SegmentLog.LOG.log(System.Logger.Level.INFO, "spool: cut a torn write of {0} octets off the end of {1}",
                n - pos, path.getFileName());
            truncatedBytes += n - pos;
            ch.truncate(pos);
            if (fsync) {
              ch.force(false);
              fsyncs++;
            }
            break;
          }
          int end = next < 0 ? n : next;
          SegmentLog.LOG.log(System.Logger.Level.WARNING, "spool: {0} octets at {1}:{2} are not a readable record; "
              + "skipped (entries that lose a record there are moved aside)", end - pos, path.getFileName(), pos);
          damaged = true;
          pos = end;
          continue;
        }
        int payload = pos + Records.HEADER;
        Scan s = scans.computeIfAbsent(h.id(), k -> new Scan());
        if (s.firstSegment < 0) {
          s.firstSegment = seq;
        }
        CRC32C crc = new CRC32C();
        crc.update(b.slice(payload, h.length()));
        if ((int) crc.getValue() != h.payloadCrc()) {
          s.corrupt("record at " + path.getFileName() + ":" + pos + " (type " + h.type() + ") fails its checksum");
          if (h.type() == Records.DATA) {
            s.extents.add(new long[] {seq, payload, h.length()});
          }
        } else {
          apply(s, h, seq, b, payload, path, pos);
        }
        pos = payload + h.length();
      }
    }
  }

  private void apply(Scan s, Records.Header h, long seq, ByteBuffer b, int payload, Path path, int pos) {
    switch (h.type()) {
      case Records.DATA -> {
        if (s.commit != null) {
          s.corrupt("content after its commit at " + path.getFileName() + ":" + pos);
        }
        s.extents.add(new long[] {seq, payload, h.length()});
        s.bytes += h.length();
        s.chunks++;
      }
      case Records.COMMIT -> {
        byte[] p = bytes(b, payload, h.length());
        s.commitPayload = p;
        if (s.commit != null) {
          s.corrupt("committed twice");
          return;
        }
        try {
          s.commit = EnvelopeCodec.parseCommit(p);
        } catch (RuntimeException e) {
          s.corrupt("the envelope does not parse: " + e.getMessage());
          return;
        }
        if (s.commit.size() != s.bytes || s.commit.chunks() != s.chunks) {
          s.corrupt("truncated: " + s.bytes + " octets in " + s.chunks + " chunks on disk, the commit says "
              + s.commit.size() + " in " + s.commit.chunks());
        }
        s.states = new ArrayList<>();
        s.commit.envelope().recipients().forEach(r -> s.states.add(RecipientState.pending(r)));
      }
      case Records.MARK -> {
        if (s.commit == null || s.states == null) {
          s.corrupt("a mark before its commit");
          return;
        }
        try {
          for (Spool.Mark m : EnvelopeCodec.parseMarks(bytes(b, payload, h.length()))) {
            s.states.set(m.recipient(), SegmentLog.applyMark(s.states.get(m.recipient()), m));
          }
        } catch (RuntimeException e) {
          s.corrupt("a mark it cannot take: " + e.getMessage());
        }
      }
      case Records.REMOVE -> s.removed = true;
      default -> s.corrupt("unknown record type " + h.type());
    }
  }

  private static Records.Header header(ByteBuffer b, int pos, int n) {
    if (n - pos < Records.HEADER) {
      return null;
    }
    Records.Header h = Records.parse(b.slice(pos, Records.HEADER));
    return h == null || (long) pos + Records.HEADER + h.length() > n ? null : h;
  }

  private static int findNext(ByteBuffer b, int from, int n) {
    for (int p = from; p + Records.HEADER <= n; p++) {
      if (b.getInt(p) == Records.MAGIC && header(b, p, n) != null) {
        return p;
      }
    }
    return -1;
  }

  private static byte[] bytes(ByteBuffer b, int from, int length) {
    byte[] a = new byte[length];
    b.get(from, a);
    return a;
  }

  /** Copies what is left of an entry to {@code corrupt/}, fsync'd before its REMOVE is written. */
  private void moveAside(long id, Scan s) throws IOException {
    String qid = Live.queueId(id);
    Files.createDirectories(corruptDir);
    Path eml = corruptDir.resolve(qid + ".eml");
    try (FileChannel out = FileChannel.open(eml, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      for (long[] x : s.extents) {
        ByteBuffer src = maps.get(x[0]).slice((int) x[1], (int) x[2]);
        while (src.hasRemaining()) {
          out.write(src);
        }
      }
      force(out);
    }
    JsonObject info = new JsonObject().put("queue-id", qid).put("reason", s.corrupt).put("content-octets", s.bytes)
        .put("chunks", s.chunks);
    if (s.commitPayload != null) {
      info.put("commit", new String(s.commitPayload, StandardCharsets.UTF_8));
    }
    if (s.states != null) {
      JsonArray states = new JsonArray();
      s.states.forEach(st -> states.add(st.rcpt().path() + " " + st.status()));
      info.put("recipients", states);
    }
    Path json = corruptDir.resolve(qid + ".json");
    Files.writeString(json, info.encodePrettily());
    try (FileChannel out = FileChannel.open(json, StandardOpenOption.WRITE)) {
      force(out);
    }
    try (FileChannel d = FileChannel.open(corruptDir, StandardOpenOption.READ)) {
      force(d);
    }
    SegmentLog.LOG.log(System.Logger.Level.WARNING, "spool: queue id {0} is corrupt ({1}); moved aside to {2}", qid,
        s.corrupt, corruptDir.resolve(qid + ".{eml,json}"));
  }

  private void force(FileChannel ch) throws IOException {
    if (fsync) {
      ch.force(true);
      fsyncs++;
    }
  }
}
