package dev.peregrine.dkim.impl;

import dev.peregrine.dkim.Canonicalization;

import java.security.MessageDigest;

/**
 * The body hash of RFC 6376 §3.4.3 / §3.4.4 / §3.7, computed as the body passes: octets in (split anywhere),
 * the canonical form goes to a {@link MessageDigest} through a small buffer, never the whole body. Lines end
 * with CRLF; a bare CR or LF is an ordinary octet (the sender has already made line endings CRLF, see
 * {@link dev.peregrine.protocol.DotStuffer#lineEndingsOnly()}). Empty lines are held back as a count until a
 * line with content follows, which is how the trailing ones are dropped without buffering them.
 *
 * <p>Not thread-safe: one per message and signature set.
 */
public final class BodyCanonicalizer {

  private static final byte CR = '\r';
  private static final byte LF = '\n';

  private final boolean relaxed;
  private final MessageDigest digest;
  private final byte[] out = new byte[8192];
  private int n;
  /** CRLFs of empty lines not written yet: they are dropped if nothing follows them. */
  private long emptyLines;
  /** The current line has had an octet that is written (for relaxed: not whitespace). */
  private boolean lineHasContent;
  /** Relaxed: a run of whitespace not written yet (one SP if content follows on the line). */
  private boolean space;
  /** A CR whose LF may come next. */
  private boolean cr;
  /** Anything written at all. */
  private boolean any;
  private long length;

  public BodyCanonicalizer(Canonicalization c, MessageDigest digest) {
    this.relaxed = c == Canonicalization.RELAXED;
    this.digest = digest;
  }

  public void update(byte[] a, int off, int len) {
    int end = off + len;
    for (int i = off; i < end; i++) {
      if (!cr && !space) {
        // A run that canonicalizes to itself goes in bulk: no CR, no TAB, and (relaxed) only single spaces
        // between octets that stay.
        int j = i;
        while (j < end) {
          byte b = a[j];
          if (b == CR || b == '\t' && relaxed) {
            break;
          }
          if (b == ' ' && relaxed && (j + 1 == end || a[j + 1] == ' ' || a[j + 1] == '\t' || a[j + 1] == CR)) {
            break;
          }
          j++;
        }
        if (j > i) {
          run(a, i, j - i);
          i = j;
          if (i == end) {
            break;
          }
        }
      }
      byte b = a[i];
      if (cr) {
        cr = false;
        if (b == LF) {
          endLine();
          continue;
        }
        content(CR);
      }
      if (b == CR) {
        cr = true;
      } else if (relaxed && (b == ' ' || b == '\t')) {
        space = true;
      } else {
        content(b);
      }
    }
  }

  private void run(byte[] a, int off, int len) {
    if (!lineHasContent) {
      for (; emptyLines > 0; emptyLines--) {
        put(CR);
        put(LF);
      }
      lineHasContent = true;
    }
    if (len >= 512) {
      digest.update(out, 0, n);
      n = 0;
      digest.update(a, off, len);
    } else {
      if (n + len > out.length) {
        digest.update(out, 0, n);
        n = 0;
      }
      System.arraycopy(a, off, out, n, len);
      n += len;
    }
    any = true;
    length += len;
  }

  private void content(byte b) {
    if (!lineHasContent) {
      for (; emptyLines > 0; emptyLines--) {
        put(CR);
        put(LF);
      }
      lineHasContent = true;
    }
    if (space) {
      space = false;
      put((byte) ' ');
    }
    put(b);
  }

  private void endLine() {
    space = false; // relaxed: whitespace at the end of a line is ignored
    if (lineHasContent) {
      put(CR);
      put(LF);
      lineHasContent = false;
    } else {
      emptyLines++;
    }
  }

  private void put(byte b) {
    if (n == out.length) {
      digest.update(out, 0, n);
      n = 0;
    }
    out[n++] = b;
    any = true;
    length++;
  }

  /**
   * Ends the body: a last line without CRLF gets one, trailing empty lines are dropped, and an empty body is
   * CRLF for simple, nothing for relaxed. Returns the digest.
   */
  public byte[] finish() {
    if (cr) {
      cr = false;
      content(CR);
    }
    if (lineHasContent) {
      put(CR);
      put(LF);
      lineHasContent = false;
    }
    if (!any && !relaxed) {
      put(CR);
      put(LF);
    }
    digest.update(out, 0, n);
    n = 0;
    return digest.digest();
  }

  /** Canonical octets hashed so far (for tests). */
  public long length() {
    return length;
  }
}
