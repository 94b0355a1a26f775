package dev.peregrine.bench;

import io.vertx.core.Future;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * The measuring loop of the end-to-end client benchmarks: warm-up passes until the JIT has settled, then one
 * measured pass, printed as {@code msgs/s}, {@code cpu-s-per-1000} (whole process), {@code user-s-per-1000},
 * {@code sys-s-per-1000}, {@code heap-bytes-per-msg}, {@code jit-ms} (compiler time during the pass), {@code warm-up-s} and
 * {@code warm-up-passes}; with BENCH_THREADS set, also {@code thread NAME cpu-s-per-1000} per thread name.
 *
 * <p>Warm-up: at least WARMUP_SECONDS (default 5), then until the passes of the last 2 s (three at least)
 * each spent under 1 % of their wall time in the JIT compilers, at most WARMUP_MAX_SECONDS (default 60). A fixed 5 s was not enough for 100 KiB
 * messages on one session (about 10,000 messages by then: per-message methods were only reaching C2's
 * thresholds), and C2 alone then added 0.05 to 0.20 CPU-s per 1,000 messages to the measured pass. One
 * quiet pass was not enough either: the event loop's outer methods (Netty's select loop, run loop) run once
 * per loop turn, reach C2 late and take C2 hundreds of milliseconds.
 *
 * <p>Every pass, warm-up included, is wrapped in the same probes (the /proc reads, the MXBeans) and nothing
 * is printed until the measured pass is over: code that first runs between warm-up and measurement (a
 * printf, a regex, a file read) deoptimizes shared JDK methods such as {@code Buffer.limit} or
 * {@code ArrayList.add}, and their recompilation then lands in the measured pass.
 */
final class Passes {

  private static final boolean THREADS = System.getenv("BENCH_THREADS") != null;

  private Passes() {
  }

  /** Warm-up passes of {@code warmUpMessages}, then one measured pass of {@code messages}, printed. */
  static void run(IntFunction<Future<Void>> pass, int warmUpMessages, int messages, long timeoutSeconds)
      throws Exception {
    long minNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(System.getenv().getOrDefault("WARMUP_SECONDS", "5")));
    long maxNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(System.getenv().getOrDefault("WARMUP_MAX_SECONDS", "60")));
    long warmStart = System.nanoTime();
    int passes = 0;
    int quietPasses = 0;
    double quietSeconds = 0;
    Measured m;
    do {
      m = measure(pass, warmUpMessages, timeoutSeconds);
      passes++;
      if (m.settled()) {
        quietPasses++;
        quietSeconds += m.seconds;
      } else {
        quietPasses = 0;
        quietSeconds = 0;
      }
    } while (System.nanoTime() - warmStart < minNanos
        || (quietPasses < 3 || quietSeconds < 2) && System.nanoTime() - warmStart < maxNanos);
    double warmSeconds = (System.nanoTime() - warmStart) / 1e9;
    m = measure(pass, messages, timeoutSeconds);
    StringBuilder out = new StringBuilder();
    out.append(String.format("msgs/s %.0f%n", messages / m.seconds));
    // CPU of the whole process (all threads, GC and JIT included) during the measured pass.
    out.append(String.format("cpu-s-per-1000 %.3f%n", m.cpuSeconds * 1000 / messages));
    if (m.ticks != null) {
      // The same CPU split into user and kernel time (clock ticks of 10 ms: coarse for short passes).
      out.append(String.format("user-s-per-1000 %.3f%nsys-s-per-1000 %.3f%n", m.ticks[0] * 10.0 / messages,
          m.ticks[1] * 10.0 / messages));
    }
    out.append(String.format("heap-bytes-per-msg %d%n", m.allocated / messages));
    out.append(String.format("jit-ms %d%nwarm-up-s %.1f%nwarm-up-passes %d%n", m.jitMillis, warmSeconds, passes));
    m.threads.forEach((name, t) -> out.append(String.format("thread %s %.3f%n", name, t * 10.0 / messages)));
    System.out.print(out);
  }

  private record Measured(double seconds, double cpuSeconds, long jitMillis, long allocated, long[] ticks,
      Map<String, Long> threads) {
    /** The JIT compilers spent under 1 % of the pass's wall time. */
    boolean settled() {
      return jitMillis * 100 < seconds * 1000;
    }
  }

  private static Measured measure(IntFunction<Future<Void>> pass, int messages, long timeoutSeconds) throws Exception {
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    long jit0 = jit.getTotalCompilationTime();
    long cpu0 = os.getProcessCpuTime();
    long allocated0 = allocated();
    long[] ticks0 = ticks();
    Map<String, Long> threads0 = threadTicks();
    long t0 = System.nanoTime();
    pass.apply(messages).await(timeoutSeconds, TimeUnit.SECONDS);
    double seconds = (System.nanoTime() - t0) / 1e9;
    double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
    long[] ticks1 = ticks();
    Map<String, Long> threads1 = threadTicks();
    long jitMillis = jit.getTotalCompilationTime() - jit0;
    long allocated = allocated() - allocated0;
    long[] ticks = ticks0 == null || ticks1 == null ? null : new long[] {ticks1[0] - ticks0[0], ticks1[1] - ticks0[1]};
    Map<String, Long> threads = new TreeMap<>();
    threads1.forEach((name, t) -> {
      long d = t - threads0.getOrDefault(name, 0L);
      if (d > 0) {
        threads.put(name, d);
      }
    });
    return new Measured(seconds, cpu, jitMillis, allocated, ticks, threads);
  }

  /** Heap octets allocated so far by the live Java threads (threads that ended meanwhile drop out). */
  private static long allocated() {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (long a : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
      sum += Math.max(a, 0);
    }
    return sum;
  }

  /** utime and stime of this process in clock ticks (Linux /proc/self/stat), or null elsewhere. */
  private static long[] ticks() {
    try {
      return statTicks(Files.readString(Path.of("/proc/self/stat")));
    } catch (Exception e) {
      return null;
    }
  }

  /** CPU ticks (user + system) per thread name, threads differing only in a trailing number summed. */
  private static Map<String, Long> threadTicks() {
    Map<String, Long> out = new TreeMap<>();
    if (!THREADS) {
      return out;
    }
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        String stat = Files.readString(task.resolve("stat"));
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[-0-9 ]+$", "");
        long[] t = statTicks(stat);
        out.merge(name, t[0] + t[1], Long::sum);
      }
    } catch (Exception e) {
      // not Linux, or a thread ended while being read: no per-thread figures
    }
    return out;
  }

  private static long[] statTicks(String stat) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
  }
}
