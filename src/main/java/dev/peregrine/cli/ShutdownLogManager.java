package dev.peregrine.cli;

import java.util.logging.LogManager;

/**
 * The JDK's log manager, except that its own shutdown hook does not silence logging: the JDK resets every
 * handler at the start of JVM shutdown, while our hook is still letting sessions finish (and has things to
 * say). {@link Main} installs it through {@code java.util.logging.manager} and resets it when its hook is done.
 */
public final class ShutdownLogManager extends LogManager {

  private static volatile boolean done;

  @Override
  public void reset() {
    if (done || !shuttingDown()) {
      super.reset();
    }
  }

  /** Our shutdown hook has finished: the real reset may run now. */
  static void shutdownDone() {
    done = true;
    if (LogManager.getLogManager() instanceof ShutdownLogManager m) {
      m.reset();
    }
  }

  private static boolean shuttingDown() {
    // The only way to ask the JDK: a hook cannot be added once shutdown has begun.
    Thread probe = new Thread(() -> { });
    try {
      Runtime.getRuntime().addShutdownHook(probe);
      Runtime.getRuntime().removeShutdownHook(probe);
      return false;
    } catch (IllegalStateException e) {
      return true;
    }
  }
}
