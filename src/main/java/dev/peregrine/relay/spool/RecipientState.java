package dev.peregrine.relay.spool;

import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.SmtpCommand;

import java.time.Instant;
import java.util.Objects;

/**
 * Where one recipient of a spooled message stands, as last made durable by a mark.
 *
 * @param rcpt the RCPT command as accepted (NOTIFY and ORCPT included)
 * @param status what happened so far
 * @param reply the reply of the last attempt, or {@code null} before any
 * @param nextAttempt when to try again ({@link Status#DEFERRED} only), else {@code null}
 * @param attempts how many outcomes were marked for it
 */
public record RecipientState(SmtpCommand.RcptTo rcpt, Status status, Reply reply, Instant nextAttempt, int attempts) {

  /** A recipient's progress. */
  public enum Status {
    /** Not tried yet. */
    PENDING,
    /** Tried and failed for now (4xx, or no exchanger reachable); try again at {@code nextAttempt}. */
    DEFERRED,
    /** Accepted by the next hop (final). */
    DELIVERED,
    /** Refused for good (5xx, or too old) (final); a DSN may be due. */
    FAILED;

    /** True for {@link #DELIVERED} and {@link #FAILED}: nothing more will be tried. */
    public boolean isFinal() {
      return this == DELIVERED || this == FAILED;
    }
  }

  public RecipientState {
    Objects.requireNonNull(rcpt, "rcpt");
    Objects.requireNonNull(status, "status");
  }

  /** A recipient not tried yet. */
  public static RecipientState pending(SmtpCommand.RcptTo rcpt) {
    return new RecipientState(rcpt, Status.PENDING, null, null, 0);
  }

  public boolean isFinal() {
    return status.isFinal();
  }
}
