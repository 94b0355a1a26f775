package dev.peregrine.relay.spool;

/**
 * Counters of a {@link Spool} since it was opened, for tests, benchmarks and metrics. A snapshot; the
 * counters only grow.
 *
 * @param fsyncs every fsync/fdatasync issued (log data, directories, recovery), 0 in unsafe mode
 * @param entriesCommitted receives made durable (acknowledged)
 * @param marks per-recipient marks and removals made durable
 * @param batches write batches that carried at least one commit, mark or removal (each costs one fsync of the log)
 * @param largestBatch the most commits, marks and removals one batch carried
 * @param bytesWritten octets appended to the log (records and their headers)
 * @param bufferedBytes content octets held in memory right now, between the network and the log
 * @param peakBufferedBytes the most {@code bufferedBytes} ever reached
 */
public record SpoolStats(long fsyncs, long entriesCommitted, long marks, long batches, long largestBatch,
    long bytesWritten, long bufferedBytes, long peakBufferedBytes) {

  /** fsyncs per committed entry, or 0 before any. */
  public double fsyncsPerEntry() {
    return entriesCommitted == 0 ? 0 : (double) fsyncs / entriesCommitted;
  }

  /** Commits, marks and removals per batch, or 0 before any. */
  public double meanBatch() {
    return batches == 0 ? 0 : (double) (entriesCommitted + marks) / batches;
  }
}
