package dev.peregrine.dkim.impl;

import dev.peregrine.dkim.DkimKeyOptions;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The header section of a message (CRLF line endings, without the empty line that ends it), split into
 * fields: a line that starts with whitespace continues the field before it (RFC 5322 §2.2.3). No I/O.
 */
public final class HeaderBlock {

  /** One field: its lower-case name and where it lies, its final CRLF included. */
  public record Field(String name, int start, int end) {
  }

  private final byte[] bytes;
  private final List<Field> fields;

  private HeaderBlock(byte[] bytes, List<Field> fields) {
    this.bytes = bytes;
    this.fields = fields;
  }

  /** Splits {@code a[0, length)}; the array is kept, not copied. */
  public static HeaderBlock parse(byte[] a, int length) {
    List<Field> fields = new ArrayList<>();
    int start = -1;
    int i = 0;
    while (i < length) {
      int lineEnd = i;
      while (lineEnd < length && !(a[lineEnd] == '\n' && lineEnd > i && a[lineEnd - 1] == '\r')) {
        lineEnd++;
      }
      lineEnd = Math.min(lineEnd + 1, length);
      boolean continuation = a[i] == ' ' || a[i] == '\t';
      if (!continuation) {
        if (start >= 0) {
          fields.add(field(a, start, i));
        }
        start = i;
      } else if (start < 0) {
        start = i; // whitespace before any field: kept with the first one, as a verifier would read it
      }
      i = lineEnd;
    }
    if (start >= 0) {
      fields.add(field(a, start, length));
    }
    return new HeaderBlock(a, fields);
  }

  private static Field field(byte[] a, int start, int end) {
    int colon = start;
    while (colon < end && a[colon] != ':') {
      colon++;
    }
    int nameEnd = colon;
    while (nameEnd > start && HeaderCanonicalizer.isWsp(a[nameEnd - 1])) {
      nameEnd--;
    }
    String name = colon == end ? "" : new String(a, start, nameEnd - start, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
    return new Field(name, start, end);
  }

  public List<Field> fields() {
    return fields;
  }

  public byte[] bytes() {
    return bytes;
  }

  /** How many fields are named {@code name} (lower case). */
  public int count(String name) {
    int n = 0;
    for (Field f : fields) {
      if (f.name().equals(name)) {
        n++;
      }
    }
    return n;
  }

  /**
   * The fields {@code names} pick (lower case, in h= order), each name taking that name's instances from the
   * bottom up (RFC 6376 §5.4.2); a name with no instance left picks nothing.
   */
  public List<Field> select(List<String> names) {
    Map<String, Integer> used = new HashMap<>();
    List<Field> out = new ArrayList<>();
    for (String name : names) {
      int skip = used.merge(name, 1, Integer::sum) - 1;
      for (int i = fields.size() - 1; i >= 0; i--) {
        if (fields.get(i).name().equals(name) && skip-- == 0) {
          out.add(fields.get(i));
          break;
        }
      }
    }
    return out;
  }

  /** The value of the first field named {@code name}, unfolded, as UTF-8 text; null when there is none. */
  public String value(String name) {
    for (Field f : fields) {
      if (f.name().equals(name)) {
        int colon = f.start();
        while (bytes[colon] != ':') {
          colon++;
        }
        String v = new String(bytes, colon + 1, f.end() - colon - 1, StandardCharsets.UTF_8);
        return v.replace("\r\n", "").replace("\r", "").replace("\n", "").trim();
      }
    }
    return null;
  }

  /**
   * The domain of the From header's (first) address, in ASCII lower case; null when there is no From or no
   * address in it. A display name may hold anything, so the address is the last {@code <...>} when there is
   * one, else the value without comments.
   */
  public String fromDomain() {
    String v = value("from");
    if (v == null) {
      return null;
    }
    return addressDomain(v);
  }

  static String addressDomain(String value) {
    String addr;
    int lt = value.lastIndexOf('<');
    if (lt >= 0) {
      int gt = value.indexOf('>', lt);
      addr = value.substring(lt + 1, gt < 0 ? value.length() : gt);
    } else {
      addr = value.replaceAll("\\([^()]*\\)", " ").trim();
      int comma = addr.indexOf(',');
      if (comma >= 0) {
        addr = addr.substring(0, comma);
      }
    }
    int at = addr.lastIndexOf('@');
    if (at < 0) {
      return null;
    }
    String domain = addr.substring(at + 1).trim();
    if (domain.isEmpty() || domain.startsWith("[")) {
      return null;
    }
    try {
      return DkimKeyOptions.domain(domain);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
