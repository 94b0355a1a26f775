package dev.peregrine.relay.spool;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Concurrent receives share fsyncs, and none is acknowledged before the fsync that covers it. Each writer
 * receives its next message as soon as the last one is acknowledged, as an SMTP session would.
 */
class GroupCommitTest extends SpoolFixture {

  private static final int WRITERS = 50;
  private static final int EACH = 20;

  /** Runs WRITERS sessions of EACH 10 KiB messages; returns the stats, and fills {@code violations}. */
  private SpoolStats run(Spool spool, List<String> violations) throws Exception {
    byte[] content = random(10 * 1024, 5);
    AtomicLong acknowledged = new AtomicLong();
    List<Future<Void>> writers = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      Context ctx = vertx.getOrCreateContext();
      Promise<Void> done = Promise.promise();
      writers.add(done.future());
      ctx.runOnContext(v -> next(spool, ctx, content, EACH, acknowledged, violations, done));
    }
    Future.all(writers).await(WAIT * 2, TimeUnit.SECONDS);
    return spool.stats();
  }

  private void next(Spool spool, Context ctx, byte[] content, int left, AtomicLong acknowledged, List<String> violations,
      Promise<Void> done) {
    if (left == 0) {
      done.complete();
      return;
    }
    spool.receive(envelope("r@example.com"), new BytesStream(ctx, content, 4096)).onComplete(ar -> {
      if (ar.failed()) {
        done.fail(ar.cause());
        return;
      }
      // The durable count grows only after the fsync of a batch returns: an acknowledgement it does not
      // cover would have completed before its fsync.
      long acks = acknowledged.incrementAndGet();
      SpoolStats s = spool.stats();
      if (acks > s.entriesCommitted() || s.fsyncs() == 0) {
        violations.add("ack " + acks + " with " + s.entriesCommitted() + " durable, " + s.fsyncs() + " fsyncs");
      }
      next(spool, ctx, content, left - 1, acknowledged, violations, done);
    });
  }

  @Test
  void fiftyWritersShareFsyncs(@TempDir Path dir) throws Exception {
    Spool spool = open(options(dir).setBatchMaxDelay(Duration.ofMillis(10)).setBatchMaxEntries(64));
    long before = spool.stats().fsyncs();
    List<String> violations = new CopyOnWriteArrayList<>();
    SpoolStats s = run(spool, violations);
    assertThat(violations).isEmpty();
    assertThat(s.entriesCommitted()).isEqualTo(WRITERS * EACH);
    double perMessage = (double) (s.fsyncs() - before) / s.entriesCommitted();
    assertThat(perMessage).as("fsyncs per message, %s", s).isLessThanOrEqualTo(0.1);
    assertThat(s.largestBatch()).isGreaterThan(10).isLessThanOrEqualTo(WRITERS);
    assertThat(spool.list()).hasSize(WRITERS * EACH);
    spool.close().await(WAIT, TimeUnit.SECONDS);
    Spool again = open(options(dir));
    assertThat(again.recovery().entries()).hasSize(WRITERS * EACH);
    again.close().await(WAIT, TimeUnit.SECONDS);
  }

  @Test
  void unsafeModeNeverFsyncsAndSaysSo(@TempDir Path dir) throws Exception {
    Spool spool;
    try (LogCapture log = new LogCapture()) {
      spool = open(options(dir).setDurability(Durability.UNSAFE_NO_FSYNC));
      assertThat(log.warnings()).anyMatch(l -> l.contains("unsafe-no-fsync") && l.contains("benchmarks only"));
    }
    byte[] content = random(1000, 6);
    SpoolEntry e = receive(spool, envelope("r@example.com"), content, 100);
    assertThat(read(spool, e.id())).isEqualTo(content);
    assertThat(spool.stats().fsyncs()).isZero();
    assertThat(spool.stats().entriesCommitted()).isEqualTo(1);
    spool.close().await(WAIT, TimeUnit.SECONDS);
  }
}
