package dev.peregrine.protocol.impl;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * xtext (RFC 3461 §4): printable ASCII except '+' and '=' as is, everything else as {@code +HH}. Used
 * for ENVID, ORCPT and the AUTH parameter. Non-ASCII text is encoded as its UTF-8 octets.
 */
public final class Xtext {

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private Xtext() {
  }

  public static String encode(String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder(bytes.length + 8);
    for (byte b : bytes) {
      int c = b & 0xff;
      if (c >= 33 && c <= 126 && c != '+' && c != '=') {
        sb.append((char) c);
      } else {
        sb.append('+').append(HEX[c >> 4]).append(HEX[c & 0xf]);
      }
    }
    return sb.toString();
  }

  /**
   * Decodes xtext; returns {@code null} when it is malformed (a '+' without two hex digits, a control
   * character, '=' or a space). UTF-8 characters are accepted as they are (RFC 6533 §3).
   */
  public static String decode(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      int c = bytes[i] & 0xff;
      if (c == '+') {
        if (i + 2 >= bytes.length) {
          return null;
        }
        int hi = hex(bytes[i + 1]);
        int lo = hex(bytes[i + 2]);
        if (hi < 0 || lo < 0) {
          return null;
        }
        out.write(hi << 4 | lo);
        i += 2;
      } else if (c < 33 || c == '=' || c == 127) {
        return null;
      } else {
        out.write(c);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static int hex(byte b) {
    if (b >= '0' && b <= '9') {
      return b - '0';
    }
    if (b >= 'A' && b <= 'F') {
      return b - 'A' + 10;
    }
    if (b >= 'a' && b <= 'f') {
      return b - 'a' + 10;
    }
    return -1;
  }
}
