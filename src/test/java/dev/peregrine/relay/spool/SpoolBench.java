package dev.peregrine.relay.spool;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A measurement, not a test: {@code writers} sessions each receive 10 KiB messages one after another (the next
 * as soon as the last is acknowledged) until {@code messages} are stored, then prints msgs/s, fsyncs per
 * message, the mean batch and the acknowledgement latency. Run it with the test class path:
 * <pre>java -cp target/test-classes:target/classes:$(cat cp.txt) dev.peregrine.relay.spool.SpoolBench
 *     DIR WRITERS MESSAGES fsync|unsafe-no-fsync [SIZE] [BATCH-DELAY-MS]</pre>
 */
public final class SpoolBench {

  private SpoolBench() {
  }

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory(Path.of(args[0]), "spool-bench");
    int writers = Integer.parseInt(args[1]);
    int messages = Integer.parseInt(args[2]);
    Durability durability = Durability.of(args[3]);
    int size = args.length > 4 ? Integer.parseInt(args[4]) : 10 * 1024;
    long delayMs = args.length > 5 ? Long.parseLong(args[5]) : SpoolOptions.DEFAULT_BATCH_MAX_DELAY.toMillis();
    Vertx vertx = Vertx.vertx();
    Spool spool = Spool.open(vertx, new SpoolOptions().setDir(dir.toString()).setDurability(durability)
        .setBatchMaxDelay(Duration.ofMillis(delayMs))).await();
    byte[] content = new byte[size];
    new Random(1).nextBytes(content);
    long[] latencies = new long[messages];
    AtomicInteger started = new AtomicInteger();
    SpoolStats before = spool.stats();
    long t0 = System.nanoTime();
    List<Future<Void>> all = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      Context ctx = vertx.getOrCreateContext();
      Promise<Void> done = Promise.promise();
      all.add(done.future());
      ctx.runOnContext(v -> next(spool, ctx, content, started, messages, latencies, done));
    }
    Future.all(all).await();
    long elapsed = System.nanoTime() - t0;
    SpoolStats s = spool.stats();
    Arrays.sort(latencies);
    long fsyncs = s.fsyncs() - before.fsyncs();
    System.out.printf("size=%d writers=%d messages=%d durability=%s delay=%dms: %.0f msgs/s, %.3f fsyncs/msg "
            + "(%d fsyncs), mean batch %.1f, largest %d, ack latency p50 %.2f ms p99 %.2f ms, peak buffered %d KiB, heap used %d MiB%n",
        size, writers, messages, durability, delayMs, messages / (elapsed / 1e9), (double) fsyncs / messages, fsyncs,
        s.meanBatch(), s.largestBatch(), latencies[messages / 2] / 1e6, latencies[(int) (messages * 0.99)] / 1e6,
        s.peakBufferedBytes() >> 10, (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
    spool.close().await();
    vertx.close().await();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
    }
  }

  private static void next(Spool spool, Context ctx, byte[] content, AtomicInteger started, int messages,
      long[] latencies, Promise<Void> done) {
    int n = started.getAndIncrement();
    if (n >= messages) {
      done.complete();
      return;
    }
    long t = System.nanoTime();
    spool.receive(SpoolFixture.envelope("r@example.com"), new BytesStream(ctx, content, 16 * 1024)).onComplete(ar -> {
      if (ar.failed()) {
        done.fail(ar.cause());
        return;
      }
      latencies[n] = System.nanoTime() - t;
      next(spool, ctx, content, started, messages, latencies, done);
    });
  }
}
