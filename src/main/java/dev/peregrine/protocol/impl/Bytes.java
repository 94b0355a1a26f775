package dev.peregrine.protocol.impl;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Byte-level helpers for the codecs: zero-copy views between Vert.x {@link Buffer}s and arrays, and a
 * SWAR (8 bytes per step) search for CR or LF, the only bytes that end a run of message content.
 *
 * <p>Stateless and thread-safe. Uses Vert.x's internal buffer API, which the Vert.x modules use too.
 */
public final class Bytes {

  public static final byte CR = '\r';
  public static final byte LF = '\n';
  public static final byte DOT = '.';

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long CRS = ONES * CR;
  private static final long LFS = ONES * LF;

  private Bytes() {
  }

  /** A heap view of {@code buffer}: the backing array when there is one, else a copy. */
  public static Slice slice(Buffer buffer) {
    ByteBuf bb = ((BufferInternal) buffer).getByteBuf();
    if (bb.hasArray()) {
      return new Slice(bb.array(), bb.arrayOffset() + bb.readerIndex(), bb.readableBytes());
    }
    byte[] copy = new byte[bb.readableBytes()];
    bb.getBytes(bb.readerIndex(), copy);
    return new Slice(copy, 0, copy.length);
  }

  /** Wraps {@code array[off, off+len)} as a Buffer without copying; the caller must not reuse the array. */
  public static Buffer wrap(byte[] array, int off, int len) {
    return BufferInternal.buffer(Unpooled.wrappedBuffer(array, off, len));
  }

  /** A view of part of an array. */
  public record Slice(byte[] array, int offset, int length) {
  }

  /** Index of the first CR or LF in {@code a[from, to)}, or {@code to} when there is none. */
  public static int indexOfCrOrLf(byte[] a, int from, int to) {
    int i = from;
    int limit = to - 8;
    while (i <= limit) {
      long word = (long) LONGS.get(a, i);
      long cr = word ^ CRS;
      long lf = word ^ LFS;
      long found = ((cr - ONES) & ~cr | (lf - ONES) & ~lf) & HIGHS;
      if (found != 0) {
        return i + (Long.numberOfTrailingZeros(found) >>> 3);
      }
      i += 8;
    }
    for (; i < to; i++) {
      byte b = a[i];
      if (b == CR || b == LF) {
        return i;
      }
    }
    return to;
  }

  /** What {@link #classify} found. */
  public enum ContentClass { SEVEN_BIT, EIGHT_BIT, BINARY }

  /**
   * One pass over {@code buffer}, 8 octets per step: {@code BINARY} when it holds a NUL (RFC 3030),
   * {@code EIGHT_BIT} when an octet has its high bit set, {@code SEVEN_BIT} otherwise.
   */
  public static ContentClass classify(Buffer buffer) {
    Slice s = slice(buffer);
    byte[] a = s.array();
    int i = s.offset();
    int end = i + s.length();
    long high = 0;
    for (; i <= end - 8; i += 8) {
      long v = (long) LONGS.get(a, i);
      high |= v;
      if (((v - 0x0101010101010101L) & ~v & HIGHS) != 0) {
        return ContentClass.BINARY;
      }
    }
    for (; i < end; i++) {
      if (a[i] == 0) {
        return ContentClass.BINARY;
      }
      high |= a[i] & 0xFF;
    }
    return (high & HIGHS) != 0 ? ContentClass.EIGHT_BIT : ContentClass.SEVEN_BIT;
  }

  /**
   * One Buffer of several: small ones copied into one array (cheaper than a composite), large ones wrapped
   * without a copy (a composite, written with one gathering write).
   */
  public static Buffer concat(java.util.List<Buffer> parts) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    int total = 0;
    for (Buffer b : parts) {
      total += b.length();
    }
    if (total <= 16 * 1024) {
      Buffer out = Buffer.buffer(total);
      for (Buffer b : parts) {
        out.appendBuffer(b);
      }
      return out;
    }
    ByteBuf[] bufs = new ByteBuf[parts.size()];
    for (int k = 0; k < bufs.length; k++) {
      bufs[k] = ((BufferInternal) parts.get(k)).getByteBuf();
    }
    return BufferInternal.buffer(Unpooled.wrappedBuffer(bufs.length, bufs));
  }

  /** Index of the first {@code value} in {@code a[from, to)}, or -1. */
  public static int indexOf(byte[] a, int from, int to, byte value) {
    for (int i = from; i < to; i++) {
      if (a[i] == value) {
        return i;
      }
    }
    return -1;
  }
}
