package dev.peregrine.relay;

import dev.peregrine.relay.queue.QueueManager;
import dev.peregrine.relay.spool.Spool;
import dev.peregrine.relay.spool.SpoolEntry;
import dev.peregrine.relay.spool.SpoolStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The relay's meters, in a Micrometer registry (names as Prometheus shows them): {@code peregrine_smtp_connections_total}
 * and {@code _active}, {@code peregrine_messages_accepted_total}, {@code peregrine_refused_total{reason}},
 * {@code peregrine_deliveries_total{status,transport,destination}} (per recipient; destinations capped at
 * {@value #MAX_DESTINATIONS} distinct values, the rest counted as {@code other}), {@code peregrine_reports_total{action}},
 * {@code peregrine_queue_messages}, {@code peregrine_queue_oldest_age_seconds}, {@code peregrine_spool_queued_bytes},
 * {@code peregrine_spool_fsyncs_total}, {@code peregrine_spool_fsync_seconds} (a histogram),
 * {@code peregrine_spool_buffered_bytes} and {@code _peak_bytes}. Thread-safe.
 */
public final class RelayMetrics {

  static final int MAX_DESTINATIONS = 200;

  private final MeterRegistry registry;
  private final Counter connections;
  private final AtomicInteger active = new AtomicInteger();
  private final Counter accepted;
  private Timer fsync;

  public RelayMetrics(MeterRegistry registry) {
    this.registry = registry;
    registry.config().meterFilter(MeterFilter.maximumAllowableTags("peregrine.deliveries", "destination",
        MAX_DESTINATIONS, MeterFilter.deny()));
    connections = Counter.builder("peregrine.smtp.connections").description("SMTP connections accepted").register(registry);
    Gauge.builder("peregrine.smtp.connections.active", active, AtomicInteger::get)
        .description("SMTP connections open now").register(registry);
    accepted = Counter.builder("peregrine.messages.accepted").description("messages acknowledged with 250").register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Binds the queue's and the spool's gauges and counters (read at each scrape). */
  /** Where the cluster's limits are held (1: shared through Redis), and the Redis calls made for them. */
  public void bind(dev.peregrine.cluster.SharedLimits limits) {
    Gauge.builder("peregrine.cluster.limits.shared", limits, l -> l.isShared() ? 1 : 0)
        .description("1 while connection caps and rates are shared through Redis, 0 on local limits").register(registry);
    FunctionCounter.builder("peregrine.cluster.redis.calls", limits, dev.peregrine.cluster.SharedLimits::redisCalls)
        .description("round trips to Redis for shared limits").register(registry);
  }

  public void bind(QueueManager queue, Spool spool) {
    Gauge.builder("peregrine.queue.messages", queue, QueueManager::size).description("messages in the queue")
        .register(registry);
    Gauge.builder("peregrine.queue.oldest.age", spool, RelayMetrics::oldestAgeSeconds).baseUnit("seconds")
        .description("age of the oldest message in the queue").register(registry);
    Gauge.builder("peregrine.spool.queued", spool, s -> s.list().stream().mapToLong(SpoolEntry::size).sum())
        .baseUnit("bytes").description("content octets of the messages in the spool").register(registry);
    FunctionCounter.builder("peregrine.spool.fsyncs", spool, s -> s.stats().fsyncs())
        .description("fsyncs issued by the spool").register(registry);
    FunctionCounter.builder("peregrine.spool.commits", spool, s -> s.stats().entriesCommitted())
        .description("messages made durable by the spool").register(registry);
    Gauge.builder("peregrine.spool.buffered", spool, s -> s.stats().bufferedBytes()).baseUnit("bytes")
        .description("content octets held in memory between the network and the spool log").register(registry);
    Gauge.builder("peregrine.spool.buffered.peak", spool, s -> s.stats().peakBufferedBytes()).baseUnit("bytes")
        .description("the most content octets ever held in memory between the network and the log").register(registry);
    fsync = Timer.builder("peregrine.spool.fsync").description("time of one fsync of the spool log")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
        .maximumExpectedValue(Duration.ofSeconds(2))
        .register(registry);
    spool.fsyncListener(nanos -> fsync.record(nanos, TimeUnit.NANOSECONDS));
  }

  private static double oldestAgeSeconds(Spool spool) {
    Instant oldest = null;
    for (SpoolEntry e : spool.list()) {
      Instant t = e.envelope().receivedAt();
      if (oldest == null || t.isBefore(oldest)) {
        oldest = t;
      }
    }
    return oldest == null ? 0 : Duration.between(oldest, Instant.now()).toMillis() / 1000.0;
  }

  public void connected() {
    connections.increment();
    active.incrementAndGet();
  }

  public void disconnected() {
    active.decrementAndGet();
  }

  public void accepted() {
    accepted.increment();
  }

  /** A refusal by the relay: {@code relay_denied}, {@code queue_full}, {@code disk_full}, {@code spool_error}. */
  public void refused(String reason) {
    Counter.builder("peregrine.refused").tag("reason", reason).description("commands refused by the relay")
        .register(registry).increment();
  }

  /** One recipient's outcome: status sent, deferred, bounced or expired; transport local or smtp. */
  public void outcome(String status, String transport, String destination) {
    Counter.builder("peregrine.deliveries").tag("status", status).tag("transport", transport)
        .tag("destination", destination == null ? "none" : destination.toLowerCase(Locale.ROOT))
        .description("delivery attempts per recipient").register(registry).increment();
  }

  /** A delivery status notification spooled: action failed or delayed. */
  public void report(String action) {
    Counter.builder("peregrine.reports").tag("action", action).description("delivery status notifications spooled")
        .register(registry).increment();
  }
}
