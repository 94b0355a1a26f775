package dev.peregrine.dkim.impl;

import dev.peregrine.dkim.Canonicalization;

import java.io.ByteArrayOutputStream;

/**
 * Header field canonicalization (RFC 6376 §3.4.1, §3.4.2) of one field, given as its octets from the name to
 * the CRLF that ends it (folded lines included). No I/O, no state.
 */
public final class HeaderCanonicalizer {

  private HeaderCanonicalizer() {
  }

  /** Appends the canonical form of {@code a[off, end)} (one field, ending with CRLF) to {@code out}. */
  public static void canonicalize(Canonicalization c, byte[] a, int off, int end, ByteArrayOutputStream out) {
    if (c == Canonicalization.SIMPLE) {
      out.write(a, off, end - off);
      return;
    }
    int colon = off;
    while (colon < end && a[colon] != ':') {
      colon++;
    }
    // The name in lower case, without the whitespace before the colon.
    int nameEnd = colon;
    while (nameEnd > off && isWsp(a[nameEnd - 1])) {
      nameEnd--;
    }
    for (int i = off; i < nameEnd; i++) {
      byte b = a[i];
      out.write(b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b);
    }
    out.write(':');
    // The value unfolded, each run of whitespace one SP, none at the start or the end.
    boolean space = false;
    boolean started = false;
    for (int i = colon + 1; i < end; i++) {
      byte b = a[i];
      if (b == '\r' || b == '\n') {
        continue;
      }
      if (isWsp(b)) {
        space = true;
        continue;
      }
      if (space && started) {
        out.write(' ');
      }
      space = false;
      started = true;
      out.write(b);
    }
    out.write('\r');
    out.write('\n');
  }

  /** The canonical form of one field as a new array. */
  public static byte[] canonicalize(Canonicalization c, byte[] field) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(field.length + 2);
    canonicalize(c, field, 0, field.length, out);
    return out.toByteArray();
  }

  static boolean isWsp(byte b) {
    return b == ' ' || b == '\t';
  }
}
