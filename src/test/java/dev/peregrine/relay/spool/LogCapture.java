package dev.peregrine.relay.spool;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** The spool's log lines (System.Logger, JUL by default) at WARNING and above, while open. */
final class LogCapture extends Handler implements AutoCloseable {

  // Held strongly: JUL keeps loggers only weakly.
  private final Logger logger = Logger.getLogger("dev.peregrine.relay.spool");
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final SimpleFormatter formatter = new SimpleFormatter();

  LogCapture() {
    logger.addHandler(this);
  }

  List<String> warnings() {
    return List.copyOf(lines);
  }

  @Override
  public void publish(LogRecord r) {
    if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
      lines.add(formatter.formatMessage(r));
    }
  }

  @Override
  public void flush() {
  }

  @Override
  public void close() {
    logger.removeHandler(this);
  }
}
