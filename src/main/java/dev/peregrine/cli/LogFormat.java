package dev.peregrine.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The service's log line: {@code 2026-12-05T13:15:43.123Z INFO dev.peregrine.relay: message}, one line per
 * record (a throwable's stack trace follows it). Cheap on the event loop where the relay logs every message:
 * it never asks for the record's source (the JDK's SimpleFormatter does, which walks the stack of every
 * call) and never goes through {@code String.format}.
 */
public final class LogFormat extends Formatter {

  /** Installs this format on the root logger's handlers, unless a logging configuration file was given. */
  static void install() {
    if (System.getProperty("java.util.logging.config.file") != null
        || System.getProperty("java.util.logging.config.class") != null) {
      return;
    }
    for (Handler h : Logger.getLogger("").getHandlers()) {
      h.setFormatter(new LogFormat());
    }
  }

  @Override
  public String format(LogRecord r) {
    String message = formatMessage(r);
    StringBuilder sb = new StringBuilder(64 + message.length());
    sb.append(r.getInstant()).append(' ').append(r.getLevel().getName()).append(' ')
        .append(r.getLoggerName() == null ? "-" : r.getLoggerName()).append(": ").append(message).append('\n');
    if (r.getThrown() != null) {
      StringWriter w = new StringWriter();
      r.getThrown().printStackTrace(new PrintWriter(w));
      sb.append(w);
    }
    return sb.toString();
  }
}
