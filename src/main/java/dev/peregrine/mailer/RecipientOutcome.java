package dev.peregrine.mailer;

import dev.peregrine.protocol.ForwardPath;
import dev.peregrine.protocol.Reply;

/**
 * The final result for one recipient of a {@link MailMessage}: the status, the reply that decided it (from
 * the server, or made locally for a DNS or connection failure), and the mail exchanger that gave it (null
 * when none answered).
 */
public record RecipientOutcome(ForwardPath recipient, Status status, Reply reply, String host) {

  public enum Status {
    /** The server took the message for this recipient. */
    DELIVERED,
    /** A transient failure (4xx): worth retrying later. */
    DEFERRED,
    /** A permanent failure (5xx): bounce. */
    FAILED
  }
}
