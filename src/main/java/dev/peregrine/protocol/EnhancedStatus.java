package dev.peregrine.protocol;

/**
 * An enhanced mail system status code (RFC 3463, registry RFC 5248): {@code class.subject.detail}.
 *
 * <p>Immutable value. {@link #parse(CharSequence, int, int)} never throws; it returns {@code null} when the
 * text is not an enhanced status code, so callers can tell a reply without one from a malformed one.
 */
public record EnhancedStatus(int statusClass, int subject, int detail) {

  public EnhancedStatus {
    if (statusClass != 2 && statusClass != 4 && statusClass != 5) {
      throw new IllegalArgumentException("enhanced status class must be 2, 4 or 5: " + statusClass);
    }
    if (subject < 0 || subject > 999 || detail < 0 || detail > 999) {
      throw new IllegalArgumentException("enhanced status subject and detail must be 0..999");
    }
  }

  /** Parses {@code "5.1.1"}; throws {@link IllegalArgumentException} naming the problem. */
  public static EnhancedStatus of(String text) {
    EnhancedStatus status = parse(text, 0, text.length());
    if (status == null || length(text, 0, text.length()) != text.length()) {
      throw new IllegalArgumentException("not an enhanced status code: '" + text + "'");
    }
    return status;
  }

  /**
   * Parses an enhanced status code at the start of {@code text[from, to)}; the code must be followed by
   * a space or the end of the range. Returns {@code null} when there is none.
   */
  public static EnhancedStatus parse(CharSequence text, int from, int to) {
    int len = length(text, from, to);
    if (len < 0) {
      return null;
    }
    int i = from;
    int cls = text.charAt(i) - '0';
    i += 2;
    int subject = 0;
    while (text.charAt(i) != '.') {
      subject = subject * 10 + (text.charAt(i++) - '0');
    }
    i++;
    int detail = 0;
    while (i < from + len) {
      detail = detail * 10 + (text.charAt(i++) - '0');
    }
    return new EnhancedStatus(cls, subject, detail);
  }

  /** Length of the enhanced code at {@code from}, or -1. Grammar: class "." 1*3digit "." 1*3digit. */
  static int length(CharSequence text, int from, int to) {
    int i = from;
    if (to - i < 5) {
      return -1;
    }
    char c = text.charAt(i);
    if ((c != '2' && c != '4' && c != '5') || text.charAt(i + 1) != '.') {
      return -1;
    }
    i += 2;
    for (int part = 0; part < 2; part++) {
      int digits = 0;
      while (i < to && digits < 4 && isDigit(text.charAt(i))) {
        i++;
        digits++;
      }
      if (digits == 0 || digits > 3) {
        return -1;
      }
      if (part == 0) {
        if (i >= to || text.charAt(i) != '.') {
          return -1;
        }
        i++;
      }
    }
    if (i < to && text.charAt(i) != ' ') {
      return -1;
    }
    return i - from;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  public boolean isSuccess() {
    return statusClass == 2;
  }

  public boolean isTransient() {
    return statusClass == 4;
  }

  public boolean isPermanent() {
    return statusClass == 5;
  }

  @Override
  public String toString() {
    return statusClass + "." + subject + "." + detail;
  }
}
