package dev.peregrine.protocol;

import dev.peregrine.protocol.impl.Bytes;
import io.vertx.core.buffer.Buffer;

import java.util.function.Consumer;

/**
 * Server-side DATA decoder (RFC 5321 §4.5.2), streaming: finds the end of data and removes the dot that
 * the client doubled at the start of a line, over chunks split anywhere.
 *
 * <p>Only {@code CRLF.CRLF} ends the data (the start of the data counts as after a CRLF). A bare LF is never
 * a line end and a bare CR never a line start, so {@code \n.\n}, {@code \n.\r\n}, {@code \r\n.\n},
 * {@code \r.\r} and the like are content, never the end: the SMTP smuggling vectors (CVE-2023-51764 and
 * kin) cannot split one message into two. In {@link Mode#REJECT} (the default) the first bare CR or LF
 * marks the message as refused ({@link #violation()}); the decoder then delivers no more content but
 * still reads to the real end, so the session stays in step and can answer with one reply.
 *
 * <p>Past {@code maxSize} content octets it stops delivering and sets {@link #sizeExceeded()}, likewise
 * reading on to the end (RFC 1870 §6.3: 552 after the data). Content goes out as slices of the input
 * buffers: no copy, and an allocation per chunk or per removed dot, never per line.
 *
 * <p>Not thread-safe: one per connection, used from its context; {@link #reset()} between messages.
 */
public final class DataDecoder {

  /** What to do with a bare CR or LF in the content. */
  public enum Mode {
    /** Refuse the message (the default; what Postfix does with {@code smtpd_forbid_bare_newline}). */
    REJECT,
    /** Pass it through as content. It still never ends the data. */
    ALLOW
  }

  private static final int LINE_START = 0;
  private static final int MID = 1;
  private static final int CR = 2;
  private static final int DOT = 3;
  private static final int DOT_CR = 4;

  private static final byte[] CR_OCTET = {'\r'};

  private final long maxSize;
  private final Mode mode;
  private int state = LINE_START;
  private long size;
  private long offset;
  private long chunkOrigin;
  private boolean sizeExceeded;
  private String violation;

  /** @param maxSize most content octets delivered; past it the message is refused */
  public DataDecoder(long maxSize, Mode mode) {
    this.maxSize = maxSize;
    this.mode = mode;
  }

  /**
   * Reads {@code chunk} from {@code from}. Content goes to {@code sink} in order. Returns the index just
   * after the end-of-data line, where the next command starts, or -1 when the whole chunk was content.
   */
  public int decode(Buffer chunk, int from, Consumer<Buffer> sink) {
    Bytes.Slice s = Bytes.slice(chunk);
    byte[] a = s.array();
    int base = s.offset();
    int end = base + s.length();
    int i = base + from;
    chunkOrigin = offset - from;
    int runStart = i;
    int st = state;
    while (i < end) {
      switch (st) {
        case LINE_START:
          if (a[i] == Bytes.DOT) {
            emit(chunk, runStart - base, i - base, sink);
            i++;
            runStart = i;
            st = DOT;
            break;
          }
          st = MID;
          // fall through
        case MID: {
          int p = Bytes.indexOfCrOrLf(a, i, end);
          if (p == end) {
            i = end;
          } else if (a[p] == Bytes.LF) {
            bare(p - base, "bare LF");
            i = p + 1;
          } else {
            i = p + 1;
            st = CR;
          }
          break;
        }
        case CR:
          if (a[i] == Bytes.LF) {
            i++;
            st = LINE_START;
          } else {
            bare(i - 1 - base, "bare CR");
            st = MID;
          }
          break;
        case DOT:
          if (a[i] == Bytes.CR) {
            // Maybe the end: hold the CR back until the next octet says.
            i++;
            runStart = i;
            st = DOT_CR;
          } else {
            st = MID;
          }
          break;
        case DOT_CR:
          if (a[i] == Bytes.LF) {
            state = LINE_START;
            offset += i + 1 - (base + from);
            return i + 1 - base;
          }
          bare(i - 1 - base, "bare CR");
          emit(Buffer.buffer(CR_OCTET), 0, 1, sink);
          st = MID;
          break;
        default:
          throw new IllegalStateException("state " + st);
      }
    }
    emit(chunk, runStart - base, end - base, sink);
    state = st;
    offset += end - (base + from);
    return -1;
  }

  private void emit(Buffer chunk, int from, int to, Consumer<Buffer> sink) {
    int n = to - from;
    if (n <= 0 || violation != null || sizeExceeded) {
      return;
    }
    if (size + n > maxSize) {
      sizeExceeded = true;
      return;
    }
    size += n;
    sink.accept(from == 0 && to == chunk.length() ? chunk : chunk.slice(from, to));
  }

  private void bare(int index, String what) {
    if (mode == Mode.REJECT && violation == null) {
      violation = what + " at octet " + (chunkOrigin + index) + " of the data";
    }
  }

  /** Content octets delivered so far (after dot removal). */
  public long size() {
    return size;
  }

  /** True once the content passed {@code maxSize}; nothing more is delivered. */
  public boolean sizeExceeded() {
    return sizeExceeded;
  }

  /** What made the message unacceptable in {@link Mode#REJECT} ("bare LF at content octet 17"), or {@code null}. */
  public String violation() {
    return violation;
  }

  /** The reply for a refused message, or {@code null} when it may be accepted. */
  public Reply refusal() {
    if (violation != null) {
      return ServerReplies.R550_BARE_LINE_ENDING.withText("Message refused: " + violation
          + " (lines must end with CRLF)");
    }
    if (sizeExceeded) {
      return ServerReplies.R552_MESSAGE_TOO_BIG;
    }
    return null;
  }

  /** Ready for the next message. */
  public void reset() {
    state = LINE_START;
    size = 0;
    offset = 0;
    sizeExceeded = false;
    violation = null;
  }
}
