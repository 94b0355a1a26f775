package dev.peregrine.client;

import dev.peregrine.protocol.ForwardPath;
import dev.peregrine.protocol.Reply;

import java.util.List;

/**
 * What happened to one transaction: the reply to MAIL, each recipient's outcome, and the reply to the end
 * of the content (with the server's queue id), or {@code null} when no content was sent.
 */
public record DeliveryResult(Reply mailReply, List<RecipientResult> recipients, Reply dataReply) {

  /** The outcome for one recipient: its RCPT reply, and the reply that settled it (RCPT or end of data). */
  public record RecipientResult(ForwardPath path, Reply rcptReply, Reply finalReply) {
    public boolean delivered() {
      return finalReply.isPositive();
    }

    /** Worth retrying later (4xx). */
    public boolean deferred() {
      return finalReply.isTransient();
    }

    public boolean failed() {
      return finalReply.isPermanent();
    }
  }

  /** True when the server took the message for every recipient. */
  public boolean allDelivered() {
    for (RecipientResult r : recipients) {
      if (!r.delivered()) {
        return false;
      }
    }
    return true;
  }

  public List<RecipientResult> delivered() {
    return recipients.stream().filter(RecipientResult::delivered).toList();
  }
}
