package dev.peregrine.relay.queue;

import dev.peregrine.config.ProtocolConfig;
import io.vertx.core.json.JsonObject;

import java.time.Duration;

/**
 * How the relay's {@link QueueManager} retries, gives up, reports and pushes back. Defaults follow Postfix
 * ({@code minimal_backoff_time}, {@code maximal_backoff_time}, {@code maximal_queue_lifetime},
 * {@code delay_warning_time}) where it has a setting.
 */
public class QueueOptions {

  public static final Duration DEFAULT_MIN_BACKOFF = Duration.ofMinutes(5);
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(67);
  public static final Duration DEFAULT_MAX_AGE = Duration.ofDays(5);
  public static final Duration DEFAULT_DELAY_WARNING = Duration.ofHours(4);
  public static final int DEFAULT_MAX_MESSAGES = 100_000;
  public static final int DEFAULT_MAX_DELIVERIES = 500;
  public static final int DEFAULT_BOUNCE_SIZE_LIMIT = 100 * 1024;
  public static final String DEFAULT_POSTMASTER = "postmaster";
  public static final long DEFAULT_MIN_FREE_SPACE = 100L << 20;

  private Duration minBackoff = DEFAULT_MIN_BACKOFF;
  private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
  private Duration maxAge = DEFAULT_MAX_AGE;
  private Duration delayWarning = DEFAULT_DELAY_WARNING;
  private int maxMessages = DEFAULT_MAX_MESSAGES;
  private int maxDeliveries = DEFAULT_MAX_DELIVERIES;
  private int bounceSizeLimit = DEFAULT_BOUNCE_SIZE_LIMIT;
  private String postmaster = DEFAULT_POSTMASTER;
  private long minFreeSpace = DEFAULT_MIN_FREE_SPACE;

  public QueueOptions() {
  }

  public QueueOptions(QueueOptions o) {
    this(o.toJson());
  }

  /** @throws IllegalArgumentException naming the key of an unknown option or a bad value */
  public QueueOptions(JsonObject json) {
    for (String key : json.fieldNames()) {
      Object v = json.getValue(key);
      switch (key) {
        case "min-backoff" -> setMinBackoff(ProtocolConfig.duration(key, v));
        case "max-backoff" -> setMaxBackoff(ProtocolConfig.duration(key, v));
        case "max-age" -> setMaxAge(ProtocolConfig.duration(key, v));
        case "delay-warning" -> setDelayWarning(ProtocolConfig.duration(key, v));
        case "max-messages" -> setMaxMessages(ProtocolConfig.wholeNumber(key, v));
        case "max-deliveries" -> setMaxDeliveries(ProtocolConfig.wholeNumber(key, v));
        case "bounce-size-limit" -> setBounceSizeLimit(ProtocolConfig.wholeNumber(key, v));
        case "min-free-space" -> {
          if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < 0) {
            throw new IllegalArgumentException("min-free-space must be a whole number of octets, not " + v);
          }
          setMinFreeSpace(n.longValue());
        }
        case "postmaster" -> {
          if (!(v instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException("postmaster must be an address or 'postmaster', not " + v);
          }
          setPostmaster(s.trim());
        }
        default -> throw new IllegalArgumentException("unknown queue option '" + key + "'");
      }
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("min-backoff", minBackoff.toString()).put("max-backoff", maxBackoff.toString())
        .put("max-age", maxAge.toString()).put("delay-warning", delayWarning.toString())
        .put("max-messages", maxMessages).put("max-deliveries", maxDeliveries)
        .put("bounce-size-limit", bounceSizeLimit).put("postmaster", postmaster).put("min-free-space", minFreeSpace);
  }

  /** The wait before the first retry; each later one doubles it, up to {@link #getMaxBackoff()}. */
  public Duration getMinBackoff() {
    return minBackoff;
  }

  public QueueOptions setMinBackoff(Duration d) {
    minBackoff = ProtocolConfig.positive("min-backoff", d);
    return this;
  }

  public Duration getMaxBackoff() {
    return maxBackoff;
  }

  public QueueOptions setMaxBackoff(Duration d) {
    maxBackoff = ProtocolConfig.positive("max-backoff", d);
    return this;
  }

  /** How long a message is retried before its deferred recipients fail (and bounce). */
  public Duration getMaxAge() {
    return maxAge;
  }

  public QueueOptions setMaxAge(Duration d) {
    maxAge = ProtocolConfig.positive("max-age", d);
    return this;
  }

  /** Age after which a recipient still deferred gets a delay report, when its NOTIFY asks for DELAY. */
  public Duration getDelayWarning() {
    return delayWarning;
  }

  public QueueOptions setDelayWarning(Duration d) {
    delayWarning = ProtocolConfig.notNegative("delay-warning", d);
    return this;
  }

  /** High-water mark: with this many messages queued, MAIL gets {@code 452 4.3.1}. */
  public int getMaxMessages() {
    return maxMessages;
  }

  public QueueOptions setMaxMessages(int n) {
    maxMessages = ProtocolConfig.atLeastOne("max-messages", n);
    return this;
  }

  /** Delivery attempts (messages) under way at once; more wait for their turn. */
  public int getMaxDeliveries() {
    return maxDeliveries;
  }

  public QueueOptions setMaxDeliveries(int n) {
    maxDeliveries = ProtocolConfig.atLeastOne("max-deliveries", n);
    return this;
  }

  /** Largest original message a bounce returns whole; a larger one is returned as its header only. */
  public int getBounceSizeLimit() {
    return bounceSizeLimit;
  }

  public QueueOptions setBounceSizeLimit(int n) {
    bounceSizeLimit = ProtocolConfig.atLeastOne("bounce-size-limit", n);
    return this;
  }

  /** Who gets a bounce that could not be delivered (a double bounce): an address, or the local postmaster. */
  public String getPostmaster() {
    return postmaster;
  }

  public QueueOptions setPostmaster(String address) {
    postmaster = address;
    return this;
  }

  /**
   * Free space the spool's file system must keep (Postfix's {@code queue_minfree}): below it MAIL gets
   * {@code 452 4.3.1}, leaving room for the records that let the queue deliver and free space again.
   */
  public long getMinFreeSpace() {
    return minFreeSpace;
  }

  public QueueOptions setMinFreeSpace(long octets) {
    if (octets < 0) {
      throw new IllegalArgumentException("min-free-space must not be negative: " + octets);
    }
    minFreeSpace = octets;
    return this;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof QueueOptions other && toJson().equals(other.toJson());
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }

  @Override
  public String toString() {
    return "QueueOptions" + toJson().encode();
  }
}
