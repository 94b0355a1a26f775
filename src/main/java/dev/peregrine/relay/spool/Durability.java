package dev.peregrine.relay.spool;

import java.util.Locale;

/**
 * Whether the {@link Spool} waits for stable storage before it reports a write as done.
 *
 * <p>{@link #FSYNC} is the only mode a relay may run in: a 250 then means "on disk". {@link
 * #UNSAFE_NO_FSYNC} writes the same records but never calls fsync, so an acknowledged message is lost by a
 * power cut or a kernel crash (not by a process crash: the page cache outlives the process). It exists to
 * measure what fsync costs, and is accepted only when named in full: {@code unsafe-no-fsync}.
 */
public enum Durability {
  /** fdatasync of the log (and fsync of the directory when a segment is created or deleted) before a write completes. */
  FSYNC("fsync"),
  /** No fsync at all: for benchmarks and tests only, never for mail that matters. */
  UNSAFE_NO_FSYNC("unsafe-no-fsync");

  private final String key;

  Durability(String key) {
    this.key = key;
  }

  /** The configuration value: {@code fsync} or {@code unsafe-no-fsync}. */
  public String key() {
    return key;
  }

  /**
   * The mode named by {@code value}, exactly {@code fsync} or {@code unsafe-no-fsync} (any case). Anything
   * else is refused, so that a typo ("none", "off", "unsafe") can never turn fsync off.
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static Durability of(String value) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    for (Durability d : values()) {
      if (d.key.equals(v)) {
        return d;
      }
    }
    throw new IllegalArgumentException("spool durability must be fsync, or unsafe-no-fsync for benchmarks only, not '"
        + value + "'");
  }

  @Override
  public String toString() {
    return key;
  }
}
