package dev.peregrine.relay.spool;

import java.util.List;

/**
 * A durable message in the spool, as of the last write that completed: its queue id, envelope, content size
 * and per-recipient progress. An immutable snapshot; ask {@link Spool#get(String)} for a newer one.
 *
 * @param id the queue id (upper-case letters and digits, unique in this spool across restarts); put it in
 *     the 250 reply and in every log line about the message
 * @param envelope the transaction
 * @param size the content's length in octets, as stored
 * @param recipients one state per {@link SpoolEnvelope#recipients() recipient}, same order
 */
public record SpoolEntry(String id, SpoolEnvelope envelope, long size, List<RecipientState> recipients) {

  public SpoolEntry {
    recipients = List.copyOf(recipients);
  }

  /** True when every recipient is delivered or failed: the entry may be removed (after any DSN). */
  public boolean isFinished() {
    return recipients.stream().allMatch(RecipientState::isFinal);
  }
}
