package dev.peregrine.protocol;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * The one table of SMTP timeouts: how long a client waits for each reply and a server for each command
 * or block of data. Defaults are RFC 5321 §4.5.3.2's; where the RFC is silent they follow Postfix's
 * {@code smtp_*_timeout} defaults.
 *
 * <p>Immutable; {@link #with(Phase, Duration)} returns a changed copy.
 */
public final class Timeouts {

  /** A wait in the dialogue, with its default and where the default comes from. */
  public enum Phase {
    /** Client waits for the 220 greeting (RFC 5321 §4.5.3.2.1). */
    GREETING(Duration.ofMinutes(5)),
    /** Reply to EHLO/HELO (Postfix smtp_helo_timeout). */
    EHLO(Duration.ofMinutes(5)),
    /** Reply to STARTTLS and the TLS handshake (Postfix smtp_starttls_timeout). */
    STARTTLS(Duration.ofMinutes(5)),
    /** Each step of an AUTH exchange. */
    AUTH(Duration.ofMinutes(5)),
    /** Reply to MAIL (§4.5.3.2.2). */
    MAIL(Duration.ofMinutes(5)),
    /** Reply to RCPT (§4.5.3.2.3). */
    RCPT(Duration.ofMinutes(5)),
    /** The 354 to DATA (§4.5.3.2.4). */
    DATA_INIT(Duration.ofMinutes(2)),
    /** Between two blocks of content, either side (§4.5.3.2.5). */
    DATA_BLOCK(Duration.ofMinutes(3)),
    /** Reply to the final dot, or to BDAT (§4.5.3.2.6). */
    DATA_END(Duration.ofMinutes(10)),
    /** Reply to RSET (Postfix smtp_rset_timeout). */
    RSET(Duration.ofSeconds(20)),
    /** Reply to QUIT (Postfix smtp_quit_timeout). */
    QUIT(Duration.ofMinutes(5)),
    /** Reply to NOOP, VRFY, EXPN, HELP and unknown verbs. */
    OTHER(Duration.ofMinutes(5)),
    /** Server waits for the next command (§4.5.3.2.7). */
    SERVER_COMMAND(Duration.ofMinutes(5));

    private final Duration rfcDefault;

    Phase(Duration rfcDefault) {
      this.rfcDefault = rfcDefault;
    }

    public Duration defaultTimeout() {
      return rfcDefault;
    }
  }

  private static final Timeouts DEFAULTS;

  static {
    EnumMap<Phase, Duration> m = new EnumMap<>(Phase.class);
    for (Phase p : Phase.values()) {
      m.put(p, p.defaultTimeout());
    }
    DEFAULTS = new Timeouts(m);
  }

  private final Map<Phase, Duration> table;

  private Timeouts(EnumMap<Phase, Duration> table) {
    this.table = Collections.unmodifiableMap(table);
  }

  public static Timeouts defaults() {
    return DEFAULTS;
  }

  /** A copy with {@code phase} set to {@code timeout} (positive). */
  public Timeouts with(Phase phase, Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout for " + phase + " must be positive: " + timeout);
    }
    EnumMap<Phase, Duration> m = new EnumMap<>(table);
    m.put(phase, timeout);
    return new Timeouts(m);
  }

  public Duration get(Phase phase) {
    return table.get(phase);
  }

  /** The phase of waiting for the reply to {@code command}. */
  public static Phase phaseOf(SmtpCommand.Kind command) {
    return command.replyWait();
  }

  /** How long a client waits for the reply to {@code command}. */
  public Duration forCommand(SmtpCommand command) {
    return get(phaseOf(command.kind()));
  }

  public Map<Phase, Duration> asMap() {
    return table;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Timeouts t && t.table.equals(table);
  }

  @Override
  public int hashCode() {
    return table.hashCode();
  }

  @Override
  public String toString() {
    return "Timeouts" + table;
  }
}
