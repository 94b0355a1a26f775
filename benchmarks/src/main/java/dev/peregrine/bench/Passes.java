package dev.peregrine.bench;

import io.vertx.core.Future;

import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * The measuring loop of the end-to-end client benchmarks: warm-up passes, then one measured pass whose rate
 * and process CPU are printed as {@code msgs/s}, {@code cpu-s-per-1000}, {@code user-s-per-1000} and
 * {@code sys-s-per-1000}.
 */
final class Passes {

  private Passes() {
  }

  /**
   * Passes of {@code messages} until the JIT has settled: at least WARMUP_SECONDS (default 5; a short
   * warm-up leaves C2 compiling during the measured pass and doubles the CPU per message of a short run).
   */
  static void warmUp(IntFunction<Future<Void>> pass, int messages, long timeoutSeconds) throws Exception {
    long warmupNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(System.getenv().getOrDefault("WARMUP_SECONDS", "5")));
    long warmStart = System.nanoTime();
    do {
      pass.apply(messages).await(timeoutSeconds, TimeUnit.SECONDS);
    } while (System.nanoTime() - warmStart < warmupNanos);
  }

  /** One pass of {@code messages}, measured and printed. */
  static void measure(IntFunction<Future<Void>> pass, int messages, long timeoutSeconds) throws Exception {
    var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long[] ticks0 = ticks();
    long t0 = System.nanoTime();
    pass.apply(messages).await(timeoutSeconds, TimeUnit.SECONDS);
    double secs = (System.nanoTime() - t0) / 1e9;
    double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
    long[] ticks1 = ticks();
    System.out.printf("msgs/s %.0f%n", messages / secs);
    // CPU of the whole process (all threads, GC and JIT included) during the measured pass.
    System.out.printf("cpu-s-per-1000 %.3f%n", cpu * 1000 / messages);
    if (ticks0 != null && ticks1 != null) {
      // The same CPU split into user and kernel time (clock ticks of 10 ms: coarse for short passes).
      System.out.printf("user-s-per-1000 %.3f%nsys-s-per-1000 %.3f%n", (ticks1[0] - ticks0[0]) * 10.0 / messages,
          (ticks1[1] - ticks0[1]) * 10.0 / messages);
    }
  }

  /** utime and stime of this process in clock ticks (Linux /proc/self/stat), or null elsewhere. */
  private static long[] ticks() {
    try {
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
    } catch (Exception e) {
      return null;
    }
  }
}
