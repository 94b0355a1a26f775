package dev.peregrine.config;

import dev.peregrine.protocol.CodecLimits;
import dev.peregrine.protocol.Timeouts;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * Reads the {@code protocol} section ({@code limits}, {@code timeouts}) into the codec's values. Missing
 * keys keep the codec's defaults; a wrong value fails with an {@link IllegalArgumentException} that names
 * the key.
 */
public final class ProtocolConfig {

  private ProtocolConfig() {
  }

  /** {@code protocol.limits} → {@link CodecLimits}. */
  public static CodecLimits limits(JsonObject protocol) {
    JsonObject l = section(protocol, "limits");
    CodecLimits d = CodecLimits.DEFAULT;
    return new CodecLimits(
        positiveInt(l, "command-line", d.commandLine()),
        positiveInt(l, "local-part", d.localPart()),
        positiveInt(l, "domain", d.domain()),
        positiveInt(l, "path", d.path()),
        positiveInt(l, "reply-line", d.replyLine()),
        positiveInt(l, "reply-lines", d.replyLines()));
  }

  /** {@code protocol.timeouts} → {@link Timeouts}; keys are the phase names in kebab case. */
  public static Timeouts timeouts(JsonObject protocol) {
    JsonObject t = section(protocol, "timeouts");
    Timeouts out = Timeouts.defaults();
    for (Timeouts.Phase phase : Timeouts.Phase.values()) {
      String key = phase.name().toLowerCase(Locale.ROOT).replace('_', '-');
      if (t.containsKey(key)) {
        out = out.with(phase, duration("protocol.timeouts." + key, t.getValue(key)));
      }
    }
    for (String key : t.fieldNames()) {
      try {
        Timeouts.Phase.valueOf(key.toUpperCase(Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("protocol.timeouts." + key + " is not a known timeout");
      }
    }
    return out;
  }

  /**
   * A duration: {@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 2d}, ISO-8601 ({@code PT5M}) or
   * a bare number of seconds. Throws naming {@code key} when it is none of these or not positive.
   */
  public static Duration duration(String key, Object value) {
    Duration d;
    if (value instanceof Number n) {
      d = Duration.ofMillis(Math.round(n.doubleValue() * 1000));
    } else if (value instanceof String s) {
      d = parseDuration(key, s.trim());
    } else {
      throw new IllegalArgumentException(key + " must be a duration such as 30s or 5m, not " + value);
    }
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(key + " must be positive: " + value);
    }
    return d;
  }

  private static Duration parseDuration(String key, String s) {
    if (s.startsWith("P") || s.startsWith("p")) {
      try {
        return Duration.parse(s);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(key + " is not an ISO-8601 duration: " + s);
      }
    }
    int i = 0;
    while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
      i++;
    }
    if (i == 0) {
      throw new IllegalArgumentException(key + " must be a duration such as 30s or 5m: '" + s + "'");
    }
    double n;
    try {
      n = Double.parseDouble(s.substring(0, i));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a duration such as 30s or 5m: '" + s + "'");
    }
    String unit = s.substring(i).trim().toLowerCase(Locale.ROOT);
    double millis = switch (unit) {
      case "ms" -> n;
      case "", "s" -> n * 1_000;
      case "m" -> n * 60_000;
      case "h" -> n * 3_600_000;
      case "d" -> n * 86_400_000;
      default -> throw new IllegalArgumentException(key + " has an unknown unit '" + unit + "' (ms, s, m, h, d)");
    };
    return Duration.ofMillis(Math.round(millis));
  }

  static JsonObject section(JsonObject parent, String key) {
    Object v = parent == null ? null : parent.getValue(key);
    if (v == null) {
      return new JsonObject();
    }
    if (v instanceof JsonObject o) {
      return o;
    }
    throw new IllegalArgumentException(key + " must be a section (a map), not " + v);
  }

  static int positiveInt(JsonObject json, String key, int def) {
    Object v = json.getValue(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.longValue() <= 0
        || n.longValue() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(key + " must be a positive whole number, not " + v);
    }
    return n.intValue();
  }

  /**
   * A JSON value that must be a whole number that fits an {@code int}, refused by its key's name otherwise:
   * 2.5 is not 2, and 5e9 is not the int it would wrap to. A whole number written as a decimal (4.0) is
   * that number.
   */
  public static int wholeNumber(String key, Object value) {
    if (value instanceof Number n) {
      try {
        // Through the number's own text: exact for Integer, Long, BigInteger, Double and BigDecimal alike.
        return new BigDecimal(n.toString()).intValueExact();
      } catch (NumberFormatException | ArithmeticException e) {
        // NaN, an infinity, a fraction, or out of range: refused below
      }
    }
    throw new IllegalArgumentException(key + " must be a whole number (at most " + Integer.MAX_VALUE + "): " + value);
  }

  /** A JSON value that must be a number, refused by its key's name otherwise. */
  public static Number number(String key, Object value) {
    if (!(value instanceof Number n)) {
      throw new IllegalArgumentException(key + " must be a number: " + value);
    }
    return n;
  }

  /** {@code value}, or an exception naming {@code name} when it is below 1. */
  public static int atLeastOne(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be at least 1: " + value);
    }
    return value;
  }

  /** {@code d}, or an exception naming {@code name} when it is zero or negative. */
  public static Duration positive(String name, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
    return d;
  }

  /** {@code d}, or an exception naming {@code name} when it is negative. */
  public static Duration notNegative(String name, Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative: " + d);
    }
    return d;
  }
}
