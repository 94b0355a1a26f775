package dev.peregrine.protocol;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The service extensions of an EHLO reply (RFC 5321 §4.1.1.1), typed for the ones Peregrine uses and kept
 * verbatim for the rest. Keywords are case-insensitive; the legacy {@code AUTH=LOGIN PLAIN} form is merged
 * into {@link #authMechanisms()}.
 *
 * <p>Immutable. {@link #parse(Reply)} reads a server's reply; {@link #builder()} builds what our server
 * advertises, and {@link #toReply(String)} writes it.
 */
public final class Capabilities {

  private final String greeting;
  /** Keyword (upper case) → parameters, in the order received. */
  private final Map<String, List<String>> extensions;
  private final Set<String> auth;

  private Capabilities(String greeting, Map<String, List<String>> extensions) {
    this.greeting = greeting;
    this.extensions = Collections.unmodifiableMap(extensions);
    Set<String> mechs = new LinkedHashSet<>();
    for (String key : new String[] {"AUTH", "AUTH="}) {
      for (String m : extensions.getOrDefault(key, List.of())) {
        mechs.add(m.toUpperCase(Locale.ROOT));
      }
    }
    this.auth = Collections.unmodifiableSet(mechs);
  }

  /** Capabilities of a server that answered HELO, or EHLO with one line: none. */
  public static Capabilities none(String greeting) {
    return new Capabilities(greeting, new LinkedHashMap<>());
  }

  /** Reads a positive EHLO reply: the first line is the greeting, each further line one extension. */
  public static Capabilities parse(Reply ehlo) {
    List<String> lines = ehlo.lines();
    Map<String, List<String>> ext = new LinkedHashMap<>();
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] parts = line.split("[ \t]+");
      String keyword = parts[0].toUpperCase(Locale.ROOT);
      List<String> params = new ArrayList<>(parts.length);
      // Old servers write "AUTH=LOGIN PLAIN" (pre-RFC 4954 Outlook clients look for it).
      if (keyword.startsWith("AUTH=")) {
        params.add(parts[0].substring(5));
        keyword = "AUTH=";
      }
      for (int p = 1; p < parts.length; p++) {
        params.add(parts[p]);
      }
      ext.merge(keyword, List.copyOf(params), (a, b) -> {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
      });
    }
    return new Capabilities(lines.get(0), ext);
  }

  /** The greeting line (the server's name and any text). */
  public String greeting() {
    return greeting;
  }

  /** True when the keyword was advertised (case-insensitive). */
  public boolean has(String keyword) {
    return extensions.containsKey(keyword.toUpperCase(Locale.ROOT));
  }

  /** The keyword's parameters, empty when it has none or is absent. */
  public List<String> params(String keyword) {
    return extensions.getOrDefault(keyword.toUpperCase(Locale.ROOT), List.of());
  }

  /** Every advertised keyword, upper case, in order. */
  public Set<String> keywords() {
    return extensions.keySet();
  }

  public boolean pipelining() {
    return has("PIPELINING");
  }

  public boolean eightBitMime() {
    return has("8BITMIME");
  }

  public boolean smtpUtf8() {
    return has("SMTPUTF8");
  }

  public boolean chunking() {
    return has("CHUNKING");
  }

  public boolean binaryMime() {
    return has("BINARYMIME");
  }

  public boolean dsn() {
    return has("DSN");
  }

  public boolean enhancedStatusCodes() {
    return has("ENHANCEDSTATUSCODES");
  }

  public boolean startTls() {
    return has("STARTTLS");
  }

  public boolean requireTls() {
    return has("REQUIRETLS");
  }

  /** True when SIZE was advertised, with or without a limit. */
  public boolean sizeAdvertised() {
    return has("SIZE");
  }

  /**
   * The server's message size limit (RFC 1870 §4): empty when SIZE is absent, has no number, a number
   * that does not parse, or 0 (no fixed limit).
   */
  public OptionalLong size() {
    List<String> p = params("SIZE");
    if (p.isEmpty()) {
      return OptionalLong.empty();
    }
    try {
      long n = Long.parseLong(p.get(0));
      return n > 0 ? OptionalLong.of(n) : OptionalLong.empty();
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** SASL mechanisms from {@code AUTH} and the legacy {@code AUTH=} form, upper case. */
  public Set<String> authMechanisms() {
    return auth;
  }

  /** The EHLO reply for these capabilities: 250, {@code greetingLine} first, then one line each. */
  public Reply toReply(String greetingLine) {
    List<String> lines = new ArrayList<>(extensions.size() + 1);
    lines.add(greetingLine);
    extensions.forEach((k, v) -> lines.add(v.isEmpty() ? k : k + " " + String.join(" ", v)));
    return new Reply(250, null, lines);
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Capabilities c && c.greeting.equals(greeting) && c.extensions.equals(extensions);
  }

  @Override
  public int hashCode() {
    return extensions.hashCode();
  }

  @Override
  public String toString() {
    return "Capabilities" + extensions;
  }

  /** Builds what a server advertises; keeps the order of the calls. */
  public static final class Builder {
    private final Map<String, List<String>> ext = new LinkedHashMap<>();

    public Builder pipelining() {
      return add("PIPELINING");
    }

    /** {@code SIZE n}; 0 means no fixed limit. */
    public Builder size(long max) {
      return add("SIZE", Long.toString(max));
    }

    public Builder eightBitMime() {
      return add("8BITMIME");
    }

    public Builder smtpUtf8() {
      return add("SMTPUTF8");
    }

    public Builder chunking() {
      return add("CHUNKING");
    }

    public Builder binaryMime() {
      return add("BINARYMIME");
    }

    public Builder dsn() {
      return add("DSN");
    }

    public Builder enhancedStatusCodes() {
      return add("ENHANCEDSTATUSCODES");
    }

    public Builder startTls() {
      return add("STARTTLS");
    }

    public Builder requireTls() {
      return add("REQUIRETLS");
    }

    public Builder auth(List<String> mechanisms) {
      return mechanisms.isEmpty() ? this : add("AUTH", mechanisms.toArray(String[]::new));
    }

    /** Any keyword with parameters. */
    public Builder add(String keyword, String... params) {
      ext.put(keyword.toUpperCase(Locale.ROOT), List.of(params));
      return this;
    }

    public Capabilities build(String greeting) {
      return new Capabilities(greeting, new LinkedHashMap<>(ext));
    }
  }
}
