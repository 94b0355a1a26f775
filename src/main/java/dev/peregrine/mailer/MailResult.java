package dev.peregrine.mailer;

import java.util.List;

/** One outcome per recipient of a {@link MailMessage}, in the message's order. */
public record MailResult(List<RecipientOutcome> recipients) {

  public MailResult {
    recipients = List.copyOf(recipients);
  }

  public List<RecipientOutcome> with(RecipientOutcome.Status status) {
    return recipients.stream().filter(r -> r.status() == status).toList();
  }

  public boolean allDelivered() {
    return recipients.stream().allMatch(r -> r.status() == RecipientOutcome.Status.DELIVERED);
  }
}
