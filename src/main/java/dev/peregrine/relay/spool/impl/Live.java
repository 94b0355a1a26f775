package dev.peregrine.relay.spool.impl;

import dev.peregrine.relay.spool.SpoolEntry;

import java.util.Locale;

/**
 * A committed entry as the writer thread last made it durable: the public snapshot, where its content lies
 * ({@code extents}: segment, offset, length triples, in order) and the first segment holding any of its
 * records, and the header fields stored with the commit ({@code prefix}: read back before the content). Immutable, published to other threads through a concurrent map.
 */
record Live(SpoolEntry entry, long[] extents, long firstSegment, byte[] prefix) {

  private static final byte[] NONE = new byte[0];

  Live {
    prefix = prefix == null ? NONE : prefix;
  }

  static String queueId(long id) {
    return Long.toString(id, 36).toUpperCase(Locale.ROOT);
  }

  /** The numeric id of a queue id, or -1 when it is not one. */
  static long parseQueueId(String queueId) {
    if (queueId == null || queueId.isEmpty() || queueId.length() > 13) {
      return -1;
    }
    // The canonical form only: upper-case letters and digits, no sign, no leading zero.
    if (queueId.charAt(0) == '0') {
      return -1;
    }
    for (int i = 0; i < queueId.length(); i++) {
      char c = queueId.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z')) {
        return -1;
      }
    }
    try {
      long id = Long.parseLong(queueId, 36);
      return id > 0 ? id : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
