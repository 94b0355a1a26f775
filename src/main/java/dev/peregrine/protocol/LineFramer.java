package dev.peregrine.protocol;

import dev.peregrine.protocol.impl.Bytes;
import io.vertx.core.buffer.Buffer;

/**
 * Splits a byte stream into lines, never holding more than one maximum-length line.
 *
 * <p>Pull style, so the caller can switch to another framing mid-buffer (DATA, BDAT, TLS): {@link #append}
 * a chunk, call {@link #next()} until it returns {@code null}, and {@link #takeRemainder()} to get the
 * bytes not yet returned. Lines end with LF; a CR before the LF is stripped (a bare CR is left in the line
 * for the parser to reject). The limit counts the CRLF, as RFC 5321 §4.5.3.1.4 does.
 *
 * <p>Not thread-safe: one per connection, used from its context only.
 */
public final class LineFramer {

  private final int maxLength;
  private byte[] partial;
  private int partialLength;
  private boolean discarding;
  private byte[] chunk;
  private int chunkPos;
  private int chunkEnd;
  private Buffer chunkBuffer;
  private int chunkBase;
  private boolean bare;

  /** @param maxLength the longest line accepted, CRLF included (at least 3) */
  public LineFramer(int maxLength) {
    if (maxLength < 3) {
      throw new IllegalArgumentException("maxLength must be at least 3: " + maxLength);
    }
    this.maxLength = maxLength;
  }

  public int maxLength() {
    return maxLength;
  }

  /** Adds input. Bytes appended before and not yet returned are kept in order. */
  public void append(Buffer data) {
    if (chunk != null && chunkPos < chunkEnd) {
      Buffer rest = chunkBuffer.slice(chunkPos - chunkBase, chunkEnd - chunkBase);
      data = Buffer.buffer(rest.length() + data.length()).appendBuffer(rest).appendBuffer(data);
    }
    Bytes.Slice s = Bytes.slice(data);
    chunkBuffer = data;
    chunk = s.array();
    chunkBase = s.offset();
    chunkPos = s.offset();
    chunkEnd = s.offset() + s.length();
  }

  /**
   * The next complete line without its terminator, or {@code null} when more input is needed.
   *
   * @throws LineTooLongException once per overlong line, as soon as it is known to be too long; its
   *     bytes are dropped and the next call continues after it
   */
  public Buffer next() {
    if (chunk == null) {
      return null;
    }
    int lf = Bytes.indexOf(chunk, chunkPos, chunkEnd, Bytes.LF);
    if (lf < 0) {
      int rest = chunkEnd - chunkPos;
      if (!discarding) {
        // Room for the line and its CR: the LF alone still to come.
        if (partialLength + rest > maxLength - 1) {
          discarding = true;
          partialLength = 0;
          releaseChunk();
          throw new LineTooLongException(maxLength);
        }
        if (partial == null) {
          // Allocated on the first split line only: most connections never need it.
          partial = new byte[maxLength];
        }
        System.arraycopy(chunk, chunkPos, partial, partialLength, rest);
        partialLength += rest;
      }
      releaseChunk();
      return null;
    }
    int start = chunkPos;
    chunkPos = lf + 1;
    if (discarding) {
      discarding = false;
      return next();
    }
    if (partialLength == 0) {
      int end = lf > start && chunk[lf - 1] == Bytes.CR ? lf - 1 : lf;
      if (end - start > maxLength - 2) {
        throw new LineTooLongException(maxLength);
      }
      bare = end == lf || Bytes.indexOf(chunk, start, end, Bytes.CR) >= 0;
      return chunkBuffer.slice(start - chunkBase, end - chunkBase);
    }
    int total = partialLength + (lf - start);
    if (total > maxLength - 1) {
      partialLength = 0;
      throw new LineTooLongException(maxLength);
    }
    byte[] line = new byte[total];
    System.arraycopy(partial, 0, line, 0, partialLength);
    System.arraycopy(chunk, start, line, partialLength, lf - start);
    partialLength = 0;
    int len = total > 0 && line[total - 1] == Bytes.CR ? total - 1 : total;
    if (len > maxLength - 2) {
      throw new LineTooLongException(maxLength);
    }
    bare = len == total || Bytes.indexOf(line, 0, len, Bytes.CR) >= 0;
    return Bytes.wrap(line, 0, len);
  }

  /**
   * True when the line {@link #next()} returned last did not end with CRLF (a bare LF) or holds a CR
   * (RFC 5321 §2.3.8: lines end with CRLF, and CR and LF appear only together). A server that forbids bare
   * line endings (Postfix's {@code smtpd_forbid_bare_newline}) refuses such a line.
   */
  public boolean lastLineBare() {
    return bare;
  }

  /** True when bytes are held that {@link #next()} has not returned (a partial line, or unread input). */
  public boolean hasBufferedBytes() {
    return partialLength > 0 || (chunk != null && chunkPos < chunkEnd);
  }

  /**
   * Hands back every byte not yet returned as a line, in order, and empties the framer. Used to switch to
   * content framing after DATA/BDAT, and to discard plaintext sent after STARTTLS.
   */
  public Buffer takeRemainder() {
    Buffer out = Buffer.buffer(partialLength + (chunk == null ? 0 : chunkEnd - chunkPos));
    if (partialLength > 0) {
      out.appendBytes(partial, 0, partialLength);
    }
    if (chunk != null && chunkPos < chunkEnd) {
      out.appendBytes(chunk, chunkPos, chunkEnd - chunkPos);
    }
    partialLength = 0;
    discarding = false;
    releaseChunk();
    return out;
  }

  private void releaseChunk() {
    chunk = null;
    chunkBuffer = null;
    chunkPos = chunkEnd = chunkBase = 0;
  }
}
