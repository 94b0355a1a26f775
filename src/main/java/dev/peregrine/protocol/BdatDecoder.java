package dev.peregrine.protocol;

import io.vertx.core.buffer.Buffer;

import java.util.function.Consumer;

/**
 * Server-side BDAT chunk reader (RFC 3030 §2): after {@code BDAT n}, exactly {@code n} octets of content
 * follow, with no dot-stuffing and no end marker; then commands resume. Content goes out as slices of the
 * input, no copy.
 *
 * <p>Not thread-safe: one per connection, used from its context.
 */
public final class BdatDecoder {

  private long remaining;

  /** Starts a chunk of {@code size} octets. */
  public void start(long size) {
    if (size < 0) {
      throw new IllegalArgumentException("chunk size must not be negative");
    }
    remaining = size;
  }

  /** Octets of the current chunk still to come. */
  public long remaining() {
    return remaining;
  }

  /**
   * Reads from {@code chunk} at {@code from}; returns the index just after the chunk's last octet (where
   * commands resume) or -1 when all of {@code chunk} was content and more is due.
   */
  public int decode(Buffer chunk, int from, Consumer<Buffer> sink) {
    int available = chunk.length() - from;
    if (remaining == 0) {
      return from;
    }
    if (available <= 0) {
      return -1;
    }
    if (available < remaining) {
      remaining -= available;
      sink.accept(from == 0 ? chunk : chunk.slice(from, chunk.length()));
      return -1;
    }
    int end = from + (int) remaining;
    remaining = 0;
    sink.accept(from == 0 && end == chunk.length() ? chunk : chunk.slice(from, end));
    return end;
  }
}
