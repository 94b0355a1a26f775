package dev.peregrine.dkim.impl;

import dev.peregrine.dkim.Canonicalization;

import java.util.ArrayList;
import java.util.List;

/**
 * Writes a {@code DKIM-Signature} header field (RFC 6376 §3.5), folded at 78 columns: the tags up to an
 * empty {@code b=} (what is signed), then the same text with the signature folded after it. {@code b=} is
 * last and starts a line of its own, so the signed text is exactly what a verifier gets back by deleting
 * the {@code b=} value. No {@code l=} and no {@code i=} (the default, {@code @d}).
 */
final class SignatureHeader {

  static final String NAME = "DKIM-Signature:";
  private static final int WIDTH = 78;
  private static final String FOLD = "\r\n\t";

  private SignatureHeader() {
  }

  /** The field up to and including {@code b=}, without a final CRLF. */
  static String unsigned(DkimKey key, Canonicalization header, Canonicalization body, long t, long x,
                         List<String> signedHeaders, String bodyHash) {
    List<String[]> tokens = new ArrayList<>(); // {glue, text}: the glue becomes a fold when the line is full
    tokens.add(new String[] {" ", "v=1;"});
    tokens.add(new String[] {" ", "a=" + key.algorithm().tag() + ";"});
    tokens.add(new String[] {" ", "c=" + header.tag() + "/" + body.tag() + ";"});
    tokens.add(new String[] {" ", "d=" + key.domain() + ";"});
    tokens.add(new String[] {" ", "s=" + key.selector() + ";"});
    tokens.add(new String[] {" ", "t=" + t + ";"});
    if (x > 0) {
      tokens.add(new String[] {" ", "x=" + x + ";"});
    }
    for (int i = 0; i < signedHeaders.size(); i++) {
      boolean last = i == signedHeaders.size() - 1;
      // FWS may follow each ':' of h= (RFC 6376 §3.5, sig-h-tag), so a long list folds after one.
      tokens.add(new String[] {i == 0 ? " " : "", (i == 0 ? "h=" : "") + signedHeaders.get(i) + (last ? ";" : ":")});
    }
    tokens.add(new String[] {" ", "bh=" + bodyHash + ";"});
    StringBuilder sb = new StringBuilder(512).append(NAME);
    int column = sb.length();
    for (String[] t2 : tokens) {
      if (column + t2[0].length() + t2[1].length() > WIDTH) {
        sb.append(FOLD);
        column = 1;
      } else {
        sb.append(t2[0]);
        column += t2[0].length();
      }
      sb.append(t2[1]);
      column += t2[1].length();
    }
    return sb.append(FOLD).append("b=").toString();
  }

  /** The whole field: {@code unsigned} with the base64 signature folded after it, and CRLF. */
  static String signed(String unsigned, String signature) {
    StringBuilder sb = new StringBuilder(unsigned.length() + signature.length() + 32).append(unsigned);
    int first = WIDTH - 3; // after the TAB and "b="
    int i = Math.min(first, signature.length());
    sb.append(signature, 0, i);
    while (i < signature.length()) {
      int next = Math.min(i + WIDTH - 1, signature.length());
      sb.append(FOLD).append(signature, i, next);
      i = next;
    }
    return sb.append("\r\n").toString();
  }
}
