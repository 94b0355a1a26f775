package dev.peregrine.protocol;

import dev.peregrine.protocol.impl.Bytes;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;

import java.util.Arrays;

/**
 * Client-side DATA encoder (RFC 5321 §4.5.2), streaming: content goes in as chunks split anywhere, the
 * wire form comes out. It doubles a '.' that starts a line, turns a bare LF or bare CR into CRLF (so the
 * server never sees an ambiguous line ending, and a message is never refused for one), and
 * {@link #finish()} writes the end of data so that the content always ends with {@code CRLF.CRLF}.
 *
 * <p>When a chunk needs no change, which is the usual case for CRLF content, {@link #encode(Buffer)} returns
 * it as it is: no copy. Otherwise one output array per chunk, sized near the input and grown only when
 * many octets are inserted; never a per-line allocation.
 *
 * <p>Not thread-safe: one per message, used from one context.
 */
public final class DotStuffer {

  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] END = {'.', '\r', '\n'};
  private static final byte[] LF_END = {'\n', '.', '\r', '\n'};
  private static final byte[] CRLF_END = {'\r', '\n', '.', '\r', '\n'};
  private static final byte[] LF_ONLY = {'\n'};
  private static final byte[] NOTHING = {};

  private final boolean stuffDots;
  private boolean lineStart = true;
  private boolean pendingCr;
  private long written;

  // Output of the last encode call: the caller's array, or one allocated when the chunk changed.
  private byte[] out;
  private int outLength;

  /** A DATA encoder: dot-stuffing, line endings made CRLF, and the end of data. */
  public DotStuffer() {
    this(true);
  }

  private DotStuffer(boolean stuffDots) {
    this.stuffDots = stuffDots;
  }

  /**
   * For text sent with BDAT (RFC 3030), which has no dot-stuffing and no terminator: only turns bare CR and
   * bare LF into CRLF; {@link #finish()} returns what ends the last line (the LF after a final CR, CRLF
   * after a last line without one, nothing otherwise). Text then arrives exactly as it does after DATA,
   * whose terminator ends the last line too (RFC 5321 §4.1.1.4: the first CRLF of {@code CRLF.CRLF} ends
   * the message's last line), whichever extensions the server offers.
   */
  public static DotStuffer lineEndingsOnly() {
    return new DotStuffer(false);
  }

  /**
   * The room {@link #encode(byte[], int, int, byte[], int)} needs for {@code length} input octets: every octet
   * doubled, the LF owed to a CR that ended the previous chunk, and the encoder's slack for one line end.
   */
  public static int maxEncodedLength(int length) {
    return 2 * length + 4;
  }

  /** Encodes a chunk; returns {@code chunk} itself when nothing in it had to change. */
  public Buffer encode(Buffer chunk) {
    Bytes.Slice s = Bytes.slice(chunk);
    out = null;
    stuff(s.array(), s.offset(), s.offset() + s.length(), null, 0);
    if (out == null) {
      written += s.length();
      return chunk;
    }
    written += outLength;
    return Bytes.wrap(out, 0, outLength);
  }

  /**
   * Encodes {@code src[off, off+len)} into {@code dst} from {@code dstOff}, which must have room for
   * {@link #maxEncodedLength(int)} octets; returns the number written. Allocation-free.
   */
  public int encode(byte[] src, int off, int len, byte[] dst, int dstOff) {
    stuff(src, off, off + len, dst, dstOff);
    written += outLength;
    return outLength;
  }

  /**
   * Encodes a chunk straight into {@code dst} (a socket's buffer, say): the unchanged runs between insertions
   * are copied in bulk, so the one copy that sending needs anyway is the only one. Same output as
   * {@link #encode(Buffer)}.
   */
  public void encodeTo(Buffer chunk, ByteBuf dst) {
    Bytes.Slice s = Bytes.slice(chunk);
    byte[] a = s.array();
    int off = s.offset();
    int end = off + s.length();
    int before = dst.writerIndex();
    int i = off;
    int run = off;
    boolean atStart = lineStart;
    if (pendingCr && i < end) {
      // The CR went out with the previous chunk; only its LF is still owed.
      pendingCr = false;
      if (a[i] == Bytes.LF) {
        i++;
      } else {
        dst.writeByte(Bytes.LF);
      }
      atStart = true;
    }
    while (i < end) {
      if (stuffDots && atStart && a[i] == Bytes.DOT) {
        dst.writeBytes(a, run, i - run);
        dst.writeByte(Bytes.DOT);
        run = i;
      }
      atStart = false;
      int p = Bytes.indexOfCrOrLf(a, i, end);
      if (p == end) {
        break;
      }
      if (a[p] == Bytes.LF) {
        // Bare LF: insert the CR.
        dst.writeBytes(a, run, p - run);
        dst.writeByte(Bytes.CR);
        run = p;
        i = p + 1;
        atStart = true;
      } else if (p + 1 == end) {
        // CR at the end of the chunk: send it, owe the LF if the next chunk does not start with one.
        pendingCr = true;
        i = end;
      } else if (a[p + 1] == Bytes.LF) {
        i = p + 2;
        atStart = true;
      } else {
        // Bare CR: insert the LF.
        dst.writeBytes(a, run, p + 1 - run);
        dst.writeByte(Bytes.LF);
        run = p + 1;
        i = p + 1;
        atStart = true;
      }
    }
    dst.writeBytes(a, run, end - run);
    lineStart = atStart && !pendingCr;
    written += dst.writerIndex() - before;
  }

  /** The end of data: whatever closes the last line, then {@code .CRLF}. Resets for the next message. */
  public Buffer finish() {
    byte[] tail = stuffDots ? (pendingCr ? LF_END : lineStart ? END : CRLF_END)
        : pendingCr ? LF_ONLY : lineStart ? NOTHING : CRLF;
    written += tail.length;
    lineStart = true;
    pendingCr = false;
    return Buffer.buffer(tail);
  }

  /** Octets produced so far, terminator included once written. */
  public long written() {
    return written;
  }

  /**
   * The encoder proper. With {@code d == null} it writes nothing until the first change, then allocates
   * and copies the unchanged prefix: unchanged chunks cost one scan.
   */
  private void stuff(byte[] a, int off, int end, byte[] d, int dOff) {
    byte[] callers = d;
    int w = dOff;
    int i = off;
    boolean atStart = lineStart;
    if (pendingCr && i < end) {
      // The CR went out with the previous chunk; only its LF is still owed.
      pendingCr = false;
      if (a[i] == Bytes.LF) {
        if (d != null) {
          d[w++] = Bytes.LF;
        }
        i++;
      } else {
        if (d == null) {
          d = allocate(a, off, i, end);
          w = i - off;
        }
        d[w++] = Bytes.LF;
      }
      atStart = true;
    }
    while (i < end) {
      boolean dot = stuffDots && atStart && a[i] == Bytes.DOT;
      atStart = false;
      if (dot && d == null) {
        d = allocate(a, off, i, end);
        w = i - off;
      }
      int p = Bytes.indexOfCrOrLf(a, i, end);
      if (d != null) {
        // Room for the doubled dot, the run and a CRLF. A caller's array is big enough by contract; ours
        // starts near the input size and grows, since most content needs few insertions.
        int need = w + (p - i) + 3;
        if (need > d.length && d == callers) {
          throw new IllegalArgumentException("the destination array is smaller than maxEncodedLength(" + (end - off) + ")");
        }
        if (need > d.length) {
          d = Arrays.copyOf(d, Math.max(need + (end - p) + 16, d.length + (d.length >>> 1)));
        }
        if (dot) {
          d[w++] = Bytes.DOT;
        }
        System.arraycopy(a, i, d, w, p - i);
        w += p - i;
      }
      if (p == end) {
        i = end;
        break;
      }
      if (a[p] == Bytes.LF) {
        // Bare LF: insert the CR.
        if (d == null) {
          d = allocate(a, off, p, end);
          w = p - off;
        }
        d[w++] = Bytes.CR;
        d[w++] = Bytes.LF;
        i = p + 1;
        atStart = true;
      } else if (p + 1 == end) {
        // CR at the end of the chunk: send it, owe the LF if the next chunk does not start with one.
        if (d != null) {
          d[w++] = Bytes.CR;
        }
        pendingCr = true;
        i = end;
      } else if (a[p + 1] == Bytes.LF) {
        if (d != null) {
          d[w++] = Bytes.CR;
          d[w++] = Bytes.LF;
        }
        i = p + 2;
        atStart = true;
      } else {
        // Bare CR: insert the LF.
        if (d == null) {
          d = allocate(a, off, p, end);
          w = p - off;
        }
        d[w++] = Bytes.CR;
        d[w++] = Bytes.LF;
        i = p + 1;
        atStart = true;
      }
    }
    lineStart = atStart && !pendingCr;
    if (pendingCr) {
      lineStart = false;
    }
    out = d;
    outLength = d == null ? end - off : w - dOff;
  }

  private static byte[] allocate(byte[] a, int off, int changedAt, int end) {
    int rest = end - changedAt;
    byte[] d = new byte[(changedAt - off) + rest + (rest >>> 5) + 16];
    System.arraycopy(a, off, d, 0, changedAt - off);
    return d;
  }
}
