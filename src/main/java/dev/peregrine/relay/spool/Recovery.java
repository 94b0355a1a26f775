package dev.peregrine.relay.spool;

import java.util.List;

/**
 * What {@link Spool#open} found on disk.
 *
 * @param entries the unfinished messages, in queue-id order, with their recipients' progress
 * @param discardedPartial messages whose content was written but never committed (a crash mid-receive);
 *     they were never acknowledged, and are dropped
 * @param movedAside queue ids of entries found corrupt or truncated, copied to the {@code corrupt/} folder
 *     (a log line names each) and taken out of the queue
 * @param truncatedBytes octets of a torn last write cut off the end of the log
 */
public record Recovery(List<SpoolEntry> entries, int discardedPartial, List<String> movedAside, long truncatedBytes) {

  public Recovery {
    entries = List.copyOf(entries);
    movedAside = List.copyOf(movedAside);
  }
}
