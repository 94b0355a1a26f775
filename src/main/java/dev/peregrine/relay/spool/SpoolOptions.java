package dev.peregrine.relay.spool;

import dev.peregrine.config.ProtocolConfig;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link Spool} (Vert.x options idiom, kebab-case JSON keys):
 *
 * <ul>
 *   <li>{@code dir} ({@value #DEFAULT_DIR}): the spool directory; {@code log/} (segments), {@code corrupt/}
 *       (entries moved aside) and a {@code lock} file are made in it.</li>
 *   <li>{@code durability} ({@code fsync}): or {@code unsafe-no-fsync}, for benchmarks only, accepted only
 *       when named in full (see {@link Durability}).</li>
 *   <li>{@code batch-max-entries} ({@value #DEFAULT_BATCH_MAX_ENTRIES}): a batch stops waiting for more
 *       commits once this many are waiting.</li>
 *   <li>{@code batch-max-delay} (2 ms; 0 = never wait): the longest a commit waits for others to share its
 *       fsync. It waits only while other receives are under way, so a lone writer never waits.</li>
 *   <li>{@code segment-size} (64 MiB): a new log segment starts once the current one is this large; a
 *       segment is deleted once nothing in it (or before it) is still queued.</li>
 * </ul>
 */
public class SpoolOptions {

  public static final String DEFAULT_DIR = "spool/queue";
  public static final Durability DEFAULT_DURABILITY = Durability.FSYNC;
  public static final int DEFAULT_BATCH_MAX_ENTRIES = 64;
  public static final Duration DEFAULT_BATCH_MAX_DELAY = Duration.ofMillis(2);
  public static final long DEFAULT_SEGMENT_SIZE = 64L << 20;
  public static final Duration DEFAULT_PROGRESS_SYNC_DELAY = Duration.ofMillis(100);

  private String dir = DEFAULT_DIR;
  private Durability durability = DEFAULT_DURABILITY;
  private int batchMaxEntries = DEFAULT_BATCH_MAX_ENTRIES;
  private Duration batchMaxDelay = DEFAULT_BATCH_MAX_DELAY;
  private long segmentSize = DEFAULT_SEGMENT_SIZE;
  private Duration progressSyncDelay = DEFAULT_PROGRESS_SYNC_DELAY;

  public SpoolOptions() {
  }

  public SpoolOptions(SpoolOptions o) {
    dir = o.dir;
    durability = o.durability;
    batchMaxEntries = o.batchMaxEntries;
    batchMaxDelay = o.batchMaxDelay;
    segmentSize = o.segmentSize;
    progressSyncDelay = o.progressSyncDelay;
  }

  /** @throws IllegalArgumentException naming the key of an unknown option or a bad value */
  public SpoolOptions(JsonObject json) {
    for (String key : json.fieldNames()) {
      Object v = json.getValue(key);
      switch (key) {
        case "dir" -> setDir(string(key, v));
        case "durability" -> setDurability(Durability.of(string(key, v)));
        case "batch-max-entries" -> setBatchMaxEntries(ProtocolConfig.wholeNumber(key, v));
        case "batch-max-delay" -> setBatchMaxDelay(zeroOrDuration(key, v));
        case "segment-size" -> setSegmentSize(wholeLong(key, v));
        case "progress-sync-delay" -> setProgressSyncDelay(zeroOrDuration(key, v));
        default -> throw new IllegalArgumentException("unknown spool option '" + key + "'");
      }
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("dir", dir).put("durability", durability.key())
        .put("batch-max-entries", batchMaxEntries).put("batch-max-delay", batchMaxDelay.toString())
        .put("segment-size", segmentSize).put("progress-sync-delay", progressSyncDelay.toString());
  }

  public String getDir() {
    return dir;
  }

  public SpoolOptions setDir(String dir) {
    if (dir == null || dir.isBlank()) {
      throw new IllegalArgumentException("spool dir must not be empty");
    }
    this.dir = dir;
    return this;
  }

  public Durability getDurability() {
    return durability;
  }

  /** {@link Durability#UNSAFE_NO_FSYNC} loses acknowledged mail on a power cut: benchmarks only. */
  public SpoolOptions setDurability(Durability durability) {
    this.durability = Objects.requireNonNull(durability, "durability");
    return this;
  }

  public int getBatchMaxEntries() {
    return batchMaxEntries;
  }

  public SpoolOptions setBatchMaxEntries(int v) {
    batchMaxEntries = ProtocolConfig.atLeastOne("batch-max-entries", v);
    return this;
  }

  public Duration getBatchMaxDelay() {
    return batchMaxDelay;
  }

  public SpoolOptions setBatchMaxDelay(Duration d) {
    batchMaxDelay = ProtocolConfig.notNegative("batch-max-delay", Objects.requireNonNull(d, "batch-max-delay"));
    return this;
  }

  public long getSegmentSize() {
    return segmentSize;
  }

  public SpoolOptions setSegmentSize(long v) {
    if (v < 4096) {
      throw new IllegalArgumentException("segment-size must be at least 4096: " + v);
    }
    segmentSize = v;
    return this;
  }

  /**
   * How long delivery progress (per-recipient marks) may wait for an fsync: it rides the next commit's fsync,
   * or gets its own after this delay. Zero: every mark is fsync'd before it completes. Lost progress is
   * never lost mail: after a power cut, deliveries finished in this window may be made again (a process
   * crash loses nothing, the page cache outlives it).
   */
  public Duration getProgressSyncDelay() {
    return progressSyncDelay;
  }

  public SpoolOptions setProgressSyncDelay(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("progress-sync-delay must not be negative: " + d);
    }
    progressSyncDelay = d;
    return this;
  }

  private static String string(String key, Object v) {
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException(key + " must be a string, not " + v);
    }
    return s;
  }

  private static long wholeLong(String key, Object v) {
    if (v instanceof Number n) {
      try {
        return new java.math.BigDecimal(n.toString()).longValueExact();
      } catch (NumberFormatException | ArithmeticException e) {
        // a fraction, NaN or out of range: refused below
      }
    }
    throw new IllegalArgumentException(key + " must be a whole number of octets: " + v);
  }

  private static Duration zeroOrDuration(String key, Object v) {
    if (v instanceof Number n && n.doubleValue() == 0 || "0".equals(v) || "0s".equals(v) || "PT0S".equals(v)) {
      return Duration.ZERO;
    }
    return ProtocolConfig.duration(key, v);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SpoolOptions other && toJson().equals(other.toJson());
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }

  @Override
  public String toString() {
    return "SpoolOptions" + toJson().encode();
  }
}
