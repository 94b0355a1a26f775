package dev.peregrine.dkim;

import dev.peregrine.config.ProtocolConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * DKIM signing (RFC 6376, RFC 8463) of outgoing mail (Vert.x options idiom, kebab-case JSON keys; the
 * {@code mailer.dkim} section of {@code config/peregrine.yaml}). Signing is on when {@link #getKeys() keys}
 * are given; a message is signed when its From header's domain, after the {@code domains} mapping, is the
 * domain of one or more keys, and sent unsigned otherwise.
 *
 * <ul>
 *   <li>{@code keys} ([]): {@link DkimKeyOptions}, as objects or {@code "domain:selector:key-path"}.</li>
 *   <li>{@code domains} ({}): From domain → signing domain, for DMARC alignment (a parent domain aligns in
 *       DMARC's relaxed mode); a key {@code "*.example.org"} maps every subdomain of example.org.</li>
 *   <li>{@code canonicalization} (relaxed/relaxed): header/body, each {@code simple} or {@code relaxed}.</li>
 *   <li>{@code headers} ({@link #DEFAULT_HEADERS}): header fields signed, every instance present.</li>
 *   <li>{@code oversign} ([From]): header fields signed once more than present, so that none can be added
 *       without breaking the signature.</li>
 *   <li>{@code expiry} (0 = none): the signature's {@code x=}, this long after its {@code t=}.</li>
 *   <li>{@code reload-period} (60s; 0 = never): how often the key files are checked for a change.</li>
 * </ul>
 * Never {@code l=}: a signature covers the whole body.
 */
public class DkimOptions {

  /** From first, then what a reader sees and what bulk-sender rules want signed (RFC 8058 one-click). */
  public static final List<String> DEFAULT_HEADERS = List.of("From", "To", "Cc", "Subject", "Date", "Message-ID",
      "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Reply-To", "In-Reply-To", "References",
      "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "Sender");
  public static final List<String> DEFAULT_OVERSIGN = List.of("From");
  public static final Duration DEFAULT_RELOAD_PERIOD = Duration.ofSeconds(60);

  private List<DkimKeyOptions> keys = new ArrayList<>();
  private Map<String, String> domains = new LinkedHashMap<>();
  private Canonicalization headerCanonicalization = Canonicalization.RELAXED;
  private Canonicalization bodyCanonicalization = Canonicalization.RELAXED;
  private List<String> headers = new ArrayList<>(DEFAULT_HEADERS);
  private List<String> oversign = new ArrayList<>(DEFAULT_OVERSIGN);
  private Duration expiry = Duration.ZERO;
  private Duration reloadPeriod = DEFAULT_RELOAD_PERIOD;

  public DkimOptions() {
  }

  public DkimOptions(DkimOptions o) {
    o.keys.forEach(k -> keys.add(new DkimKeyOptions(k)));
    domains = new LinkedHashMap<>(o.domains);
    headerCanonicalization = o.headerCanonicalization;
    bodyCanonicalization = o.bodyCanonicalization;
    headers = new ArrayList<>(o.headers);
    oversign = new ArrayList<>(o.oversign);
    expiry = o.expiry;
    reloadPeriod = o.reloadPeriod;
  }

  public DkimOptions(JsonObject json) {
    for (String key : json.fieldNames()) {
      Object v = json.getValue(key);
      switch (key) {
        case "keys" -> {
          keys = new ArrayList<>();
          for (Object k : list(key, v)) {
            addKey(k instanceof JsonObject o ? new DkimKeyOptions(o) : DkimKeyOptions.parse(String.valueOf(k)));
          }
        }
        case "domains" -> {
          if (!(v instanceof JsonObject o)) {
            throw new IllegalArgumentException("dkim domains must be a mapping of From domain to signing domain");
          }
          domains = new LinkedHashMap<>();
          o.forEach(e -> addDomain(e.getKey(), String.valueOf(e.getValue())));
        }
        case "canonicalization" -> setCanonicalization(String.valueOf(v));
        case "headers" -> setHeaders(strings(key, v));
        case "oversign" -> setOversign(strings(key, v));
        case "expiry" -> setExpiry(zeroOrDuration(key, v));
        case "reload-period" -> setReloadPeriod(zeroOrDuration(key, v));
        default -> throw new IllegalArgumentException("unknown dkim option '" + key + "'");
      }
    }
  }

  private static JsonArray list(String key, Object v) {
    if (!(v instanceof JsonArray a)) {
      throw new IllegalArgumentException("dkim " + key + " must be a list");
    }
    return a;
  }

  private static List<String> strings(String key, Object v) {
    List<String> out = new ArrayList<>();
    for (Object o : list(key, v)) {
      out.add(String.valueOf(o));
    }
    return out;
  }

  /** 0 (a number, or "0", "0s", "PT0S") for none, else a positive duration as {@link ProtocolConfig#duration} reads. */
  private static Duration zeroOrDuration(String key, Object v) {
    if (v instanceof Number n && n.doubleValue() == 0
        || v instanceof String s && List.of("0", "0s", "pt0s").contains(s.trim().toLowerCase(Locale.ROOT))) {
      return Duration.ZERO;
    }
    return ProtocolConfig.duration(key, v);
  }

  public JsonObject toJson() {
    JsonArray k = new JsonArray();
    keys.forEach(o -> k.add(o.toJson()));
    JsonObject d = new JsonObject();
    domains.forEach(d::put);
    return new JsonObject().put("keys", k).put("domains", d).put("canonicalization", getCanonicalization())
        .put("headers", new JsonArray(new ArrayList<>(headers))).put("oversign", new JsonArray(new ArrayList<>(oversign)))
        .put("expiry", expiry.toString()).put("reload-period", reloadPeriod.toString());
  }

  /** True when there is a key to sign with. */
  public boolean isEnabled() {
    return !keys.isEmpty();
  }

  public List<DkimKeyOptions> getKeys() {
    return keys;
  }

  public DkimOptions setKeys(List<DkimKeyOptions> keys) {
    this.keys = new ArrayList<>();
    keys.forEach(this::addKey);
    return this;
  }

  public DkimOptions addKey(DkimKeyOptions key) {
    keys.add(new DkimKeyOptions(key).validate());
    return this;
  }

  public Map<String, String> getDomains() {
    return domains;
  }

  /** Mail From {@code fromDomain} (or, as {@code "*.parent"}, any subdomain of parent) is signed as {@code signingDomain}. */
  public DkimOptions addDomain(String fromDomain, String signingDomain) {
    String from = fromDomain.trim().startsWith("*.")
        ? "*." + DkimKeyOptions.domain(fromDomain.trim().substring(2)) : DkimKeyOptions.domain(fromDomain);
    domains.put(from, DkimKeyOptions.domain(signingDomain));
    return this;
  }

  /** {@code header/body}, as in a {@code c=} tag. */
  public String getCanonicalization() {
    return headerCanonicalization.tag() + "/" + bodyCanonicalization.tag();
  }

  /** {@code header/body} (each simple or relaxed); a single name sets both. */
  public DkimOptions setCanonicalization(String c) {
    String[] parts = c.split("/", -1);
    if (parts.length > 2) {
      throw new IllegalArgumentException("canonicalization is header/body, e.g. relaxed/relaxed, not '" + c + "'");
    }
    headerCanonicalization = Canonicalization.of("canonicalization", parts[0]);
    bodyCanonicalization = Canonicalization.of("canonicalization", parts.length == 2 ? parts[1] : parts[0]);
    return this;
  }

  public Canonicalization getHeaderCanonicalization() {
    return headerCanonicalization;
  }

  public Canonicalization getBodyCanonicalization() {
    return bodyCanonicalization;
  }

  public List<String> getHeaders() {
    return headers;
  }

  /** Must include From (RFC 6376 §5.4). */
  public DkimOptions setHeaders(List<String> headers) {
    List<String> h = names("headers", headers);
    if (h.stream().noneMatch("from"::equalsIgnoreCase)) {
      throw new IllegalArgumentException("dkim headers must include From (RFC 6376 §5.4)");
    }
    this.headers = h;
    return this;
  }

  public List<String> getOversign() {
    return oversign;
  }

  public DkimOptions setOversign(List<String> oversign) {
    this.oversign = names("oversign", oversign);
    return this;
  }

  private static List<String> names(String key, List<String> names) {
    List<String> out = new ArrayList<>();
    for (String n : names) {
      String t = n.trim();
      if (!t.matches("[\\x21-\\x39\\x3b-\\x7e]+")) {
        throw new IllegalArgumentException("dkim " + key + ": not a header field name: '" + n + "'");
      }
      if (out.stream().noneMatch(t::equalsIgnoreCase)) {
        out.add(t);
      }
    }
    return out;
  }

  public Duration getExpiry() {
    return expiry;
  }

  /** {@code x=} this long after {@code t=}; zero for no {@code x=}. At least a second when set. */
  public DkimOptions setExpiry(Duration expiry) {
    if (expiry.isNegative() || !expiry.isZero() && expiry.getSeconds() < 1) {
      throw new IllegalArgumentException("dkim expiry must be 0 (none) or at least 1s: " + expiry);
    }
    this.expiry = expiry;
    return this;
  }

  public Duration getReloadPeriod() {
    return reloadPeriod;
  }

  /** How often the key files are checked for a change (on a worker thread); zero for never. */
  public DkimOptions setReloadPeriod(Duration reloadPeriod) {
    if (reloadPeriod.isNegative() || !reloadPeriod.isZero() && reloadPeriod.toMillis() < 1) {
      throw new IllegalArgumentException("dkim reload-period must be 0 (never) or at least 1ms: " + reloadPeriod);
    }
    this.reloadPeriod = reloadPeriod;
    return this;
  }

  /** Equal when their JSON forms are (every option is in {@link #toJson()}, round-trip tested). */
  @Override
  public boolean equals(Object o) {
    return o instanceof DkimOptions other && other.toJson().equals(toJson());
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }
}
