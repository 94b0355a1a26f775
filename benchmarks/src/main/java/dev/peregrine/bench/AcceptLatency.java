package dev.peregrine.bench;

import dev.peregrine.client.ClientSession;
import dev.peregrine.client.MailTransaction;
import dev.peregrine.client.SmtpClient;
import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.TlsPolicy;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Acceptance latency at a fixed offered rate (open loop): starts a transaction every 1/RATE s for SECONDS
 * seconds on the next idle one of SESSIONS reused sessions (queued when all are busy) and records, per
 * message, the time from when it was due to the 250 after its final dot: a bound from above on the
 * server's end-of-data-to-250 time (it adds MAIL/RCPT/DATA, pipelined, and the content's transfer), with no
 * coordinated omission (a message waiting for a session counts from when it was due). Warm-up: the same
 * load for WARMUP seconds first, not recorded.
 *
 * <p>Usage: {@code AcceptLatency HOST PORT SESSIONS RATE SECONDS SIZE [WARMUP]}; prints
 * {@code offered/s achieved/s p50 p90 p99 p99.9 max} (milliseconds) and the count of failures.
 */
public final class AcceptLatency {

  private AcceptLatency() {
  }

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    int sessions = Integer.parseInt(args[2]);
    int rate = Integer.parseInt(args[3]);
    int seconds = Integer.parseInt(args[4]);
    int size = Integer.parseInt(args[5]);
    int warmup = args.length > 6 ? Integer.parseInt(args[6]) : 5;
    Vertx vertx = Vertx.vertx();
    try {
      SmtpClient client = SmtpClient.create(vertx, new SmtpClientOptions().setTlsPolicy(TlsPolicy.DISABLED)
          .setHeloName("bench.test"));
      List<ClientSession> open = new ArrayList<>();
      for (int i = 0; i < sessions; i++) {
        open.add(client.connect(host, port).await(30, TimeUnit.SECONDS));
      }
      Buffer content = Buffer.buffer(MessageContent.generate(size));
      run(vertx, open, content, rate, warmup, null);
      long[] latencies = new long[rate * seconds];
      long t0 = System.nanoTime();
      int failures = run(vertx, open, content, rate, seconds, latencies);
      double elapsed = (System.nanoTime() - t0) / 1e9;
      Arrays.sort(latencies);
      System.out.printf(java.util.Locale.ROOT, "offered/s %d achieved/s %.0f p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.2f failures %d%n",
          rate, latencies.length / elapsed, ms(latencies, 0.50), ms(latencies, 0.90), ms(latencies, 0.99),
          ms(latencies, 0.999), latencies[latencies.length - 1] / 1e6, failures);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static double ms(long[] sorted, double q) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
  }

  /** Offers RATE messages a second for SECONDS; records each one's latency in {@code out} (if given). */
  private static int run(Vertx vertx, List<ClientSession> sessions, Buffer content, int rate, int seconds, long[] out)
      throws Exception {
    int total = rate * seconds;
    Promise<Void> done = Promise.promise();
    AtomicInteger failures = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    vertx.runOnContext(v -> {
      ArrayDeque<ClientSession> idle = new ArrayDeque<>(sessions);
      ArrayDeque<long[]> waiting = new ArrayDeque<>();
      long start = System.nanoTime();
      int[] started = {0};
      Runnable[] pump = new Runnable[1];
      pump[0] = () -> {
        while (!waiting.isEmpty() && !idle.isEmpty()) {
          long[] m = waiting.poll();
          ClientSession s = idle.poll();
          s.send(MailTransaction.of("a@example.org", List.of("b@example.com"), content)).onComplete(ar -> {
            long latency = System.nanoTime() - m[1];
            if (ar.failed() || !ar.result().allDelivered()) {
              failures.incrementAndGet();
            }
            if (out != null) {
              out[(int) m[0]] = latency;
            }
            idle.add(s);
            if (finished.incrementAndGet() == total) {
              done.complete();
            }
            pump[0].run();
          });
        }
      };
      vertx.setPeriodic(1, id -> {
        long now = System.nanoTime();
        long due = Math.min(total, (now - start) * rate / 1_000_000_000L);
        while (started[0] < due) {
          long dueAt = start + (long) started[0] * 1_000_000_000L / rate;
          waiting.add(new long[] {started[0], dueAt});
          started[0]++;
        }
        if (started[0] == total) {
          vertx.cancelTimer(id);
        }
        pump[0].run();
      });
    });
    done.future().await(seconds + 120L, TimeUnit.SECONDS);
    return failures.get();
  }
}
