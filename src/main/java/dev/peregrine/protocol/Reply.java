package dev.peregrine.protocol;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * An SMTP reply (RFC 5321 §4.2): a three-digit code, an optional enhanced status code (RFC 3463) and
 * one or more text lines. The enhanced code, when present, is kept out of {@link #lines()} and written
 * at the start of every line by {@link #encode()}.
 *
 * <p>Immutable value; classifies itself: {@link #isPositive()} (2xx), {@link #isIntermediate()} (3xx),
 * {@link #isTransient()} (4xx), {@link #isPermanent()} (5xx).
 */
public record Reply(int code, EnhancedStatus enhanced, List<String> lines) {

  public Reply {
    if (!isValidCode(code)) {
      throw new IllegalArgumentException("reply code must match [2-5][0-5][0-9]: " + code);
    }
    if (lines == null || lines.isEmpty()) {
      throw new IllegalArgumentException("a reply has at least one line");
    }
    lines = List.copyOf(lines);
    for (String line : lines) {
      for (int i = 0; i < line.length(); i++) {
        char c = line.charAt(i);
        if (c == '\r' || c == '\n') {
          throw new IllegalArgumentException("reply text must not contain CR or LF: " + line);
        }
      }
    }
    if (enhanced != null && enhanced.statusClass() != code / 100) {
      throw new IllegalArgumentException("enhanced status " + enhanced + " does not match reply code " + code);
    }
  }

  /** A one-line reply; {@code enhanced} may be {@code null}. */
  public static Reply of(int code, String enhanced, String text) {
    return new Reply(code, enhanced == null ? null : EnhancedStatus.of(enhanced), List.of(text));
  }

  /** A multi-line reply; {@code enhanced} may be {@code null}. */
  public static Reply of(int code, String enhanced, List<String> lines) {
    return new Reply(code, enhanced == null ? null : EnhancedStatus.of(enhanced), lines);
  }

  static boolean isValidCode(int code) {
    int first = code / 100;
    int second = (code / 10) % 10;
    return code >= 200 && code <= 599 && first >= 2 && first <= 5 && second <= 5;
  }

  public boolean isPositive() {
    return code >= 200 && code < 300;
  }

  public boolean isIntermediate() {
    return code >= 300 && code < 400;
  }

  public boolean isTransient() {
    return code >= 400 && code < 500;
  }

  public boolean isPermanent() {
    return code >= 500;
  }

  /** The text lines joined with a newline; for messages and logs. */
  public String text() {
    return String.join("\n", lines);
  }

  /**
   * {@code text} (an exception's message, say) made fit for a reply line: CR and LF become spaces, null
   * becomes empty.
   */
  public static String lineText(String text) {
    return text == null ? "" : text.replace('\r', ' ').replace('\n', ' ');
  }

  /** A copy with other text, same codes. */
  public Reply withText(String text) {
    return new Reply(code, enhanced, List.of(text));
  }

  /** The wire form, every line terminated by CRLF. */
  public String encode() {
    StringBuilder sb = new StringBuilder(16 * lines.size() + 32);
    appendTo(sb);
    return sb.toString();
  }

  /** Appends the wire form to {@code sb}. */
  public void appendTo(StringBuilder sb) {
    for (int i = 0, n = lines.size(); i < n; i++) {
      String text = lines.get(i);
      sb.append(code);
      boolean last = i == n - 1;
      if (enhanced != null) {
        sb.append(last ? ' ' : '-').append(enhanced);
        if (!text.isEmpty()) {
          sb.append(' ').append(text);
        }
      } else if (!text.isEmpty()) {
        sb.append(last ? ' ' : '-').append(text);
      } else if (!last) {
        sb.append('-');
      }
      sb.append("\r\n");
    }
  }

  /** Appends the wire form (UTF-8, RFC 6531 allows it in reply text) to {@code buffer}. */
  public Buffer appendTo(Buffer buffer) {
    return buffer.appendBytes(encode().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    String s = encode();
    return s.substring(0, s.length() - 2).replace("\r\n", " / ");
  }
}
