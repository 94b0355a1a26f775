package dev.peregrine.mailer;

import dev.peregrine.protocol.ForwardPath;
import dev.peregrine.protocol.Reply;

/**
 * The final result for one recipient of a {@link MailMessage}: the status, the reply that decided it (from
 * the server, or made locally for a DNS or connection failure), and the mail exchanger that gave it (null
 * when none answered).
 *
 * @param dsnPassedOn for a delivered recipient: the exchanger that took it offers DSN (RFC 3461), so the
 *     recipient's NOTIFY and ORCPT went on with the message and any later report comes from there; false
 *     otherwise (a relay then owes a NOTIFY=SUCCESS sender a "relayed" report itself)
 */
public record RecipientOutcome(ForwardPath recipient, Status status, Reply reply, String host, boolean dsnPassedOn) {

  /** An outcome whose exchanger did not take a DSN request on (or none took the message). */
  public RecipientOutcome(ForwardPath recipient, Status status, Reply reply, String host) {
    this(recipient, status, reply, host, false);
  }

  public enum Status {
    /** The server took the message for this recipient. */
    DELIVERED,
    /** A transient failure (4xx): worth retrying later. */
    DEFERRED,
    /** A permanent failure (5xx): bounce. */
    FAILED
  }
}
