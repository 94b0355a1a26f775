package dev.peregrine.dkim;

import java.util.Locale;

/**
 * A DKIM canonicalization algorithm (RFC 6376 §3.4), for the header fields or the body: {@code simple}
 * tolerates no change at all, {@code relaxed} tolerates the usual rewrapping and whitespace changes of
 * relaying servers.
 */
public enum Canonicalization {
  SIMPLE,
  RELAXED;

  /** The name in a {@code c=} tag: {@code simple} or {@code relaxed}. */
  public String tag() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** {@code simple} or {@code relaxed}, any case; throws {@link IllegalArgumentException} naming {@code key}. */
  public static Canonicalization of(String key, String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "simple" -> SIMPLE;
      case "relaxed" -> RELAXED;
      default -> throw new IllegalArgumentException(key + " must be simple or relaxed, not '" + text + "'");
    };
  }
}
