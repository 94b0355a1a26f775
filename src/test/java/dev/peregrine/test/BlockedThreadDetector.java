package dev.peregrine.test;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Fails a test when Vert.x reported a blocked event loop or worker during it, or an exception that escaped
 * to its "Unhandled exception" logger. Vert.x logs the warning
 * through JUL on {@value #LOGGER}; this extension listens there. Use {@link #vertx()} for an instance
 * with a tight limit (500 ms on an event loop) so that blocking shows up on a busy 2-core machine too.
 */
public final class BlockedThreadDetector implements BeforeEachCallback, AfterEachCallback {

  public static final String LOGGER = "io.vertx.core.impl.BlockedThreadChecker";
  /** Where Vert.x reports an exception that escaped a handler ("Unhandled exception"). */
  public static final String UNHANDLED_LOGGER = "io.vertx.core.impl.ContextImpl";
  // Held strongly: JUL keeps loggers only weakly and would drop our handler with it.
  private static final Logger JUL = Logger.getLogger(LOGGER);
  private static final Logger UNHANDLED = Logger.getLogger(UNHANDLED_LOGGER);
  private static final List<String> WARNINGS = new CopyOnWriteArrayList<>();

  static {
    // Netty's pooled allocator registers JFR events when it allocates its first chunk; JFR's one-time set-up
    // then runs on whichever event loop writes first and took over 500 ms on a loaded machine. Do it here.
    try {
      Class.forName("io.netty.buffer.AllocateChunkEvent", true, BlockedThreadDetector.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      // Another Netty version: nothing to warm.
    }
    // Tests assert inside event-loop callbacks (vertx-junit5's verify); AssertJ's first use loads and
    // configures a few hundred classes (541 ms on a loaded machine). Pay for it here, off the loops.
    org.assertj.core.api.Assertions.assertThat(new IllegalStateException("warm-up")).hasMessage("warm-up");
    JUL.addHandler(collector(""));
    UNHANDLED.addHandler(collector("unhandled exception: "));
  }

  private static Handler collector(String prefix) {
    return new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
          WARNINGS.add(prefix + r.getMessage() + (r.getThrown() == null ? "" : " " + r.getThrown()));
        }
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
  }

  /** A Vertx that reports a blocked event loop after 500 ms (200 ms flagged CPU starvation on a loaded 2-core machine) and a blocked worker after 10 s. */
  public static Vertx vertx() {
    return Vertx.vertx(options());
  }

  /** The options of {@link #vertx()}: the tight blocked-thread limits. */
  public static VertxOptions options() {
    return new VertxOptions()
        .setBlockedThreadCheckInterval(50).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
        .setMaxEventLoopExecuteTime(500).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setMaxWorkerExecuteTime(10).setMaxWorkerExecuteTimeUnit(TimeUnit.SECONDS)
        .setWarningExceptionTime(150).setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    WARNINGS.clear();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (!WARNINGS.isEmpty()) {
      List<String> seen = List.copyOf(WARNINGS);
      WARNINGS.clear();
      throw new AssertionError("Vert.x reported a blocked thread or an unhandled exception: " + seen);
    }
  }
}
