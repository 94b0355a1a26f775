package dev.peregrine.dns;

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
 * Settings of an {@link MxResolver} (Vert.x options idiom, kebab-case JSON keys).
 *
 * <ul>
 *   <li>{@code servers}: DNS servers as {@code host[:port]}, tried in order on a timeout or server failure;
 *       empty = the system's first nameserver.</li>
 *   <li>{@code query-timeout}: per query and server (5 s).</li>
 *   <li>{@code min-ttl} / {@code max-ttl}: the floor and ceiling applied to record TTLs (30 s, 1 day).</li>
 *   <li>{@code negative-ttl}: how long a domain that does not exist, or has a null MX, stays cached (5 min;
 *       RFC 2308 caps it at the SOA minimum, which the Vert.x DNS client does not report).</li>
 *   <li>{@code address-ttl}: the TTL used for A/AAAA answers, whose TTL the Vert.x DNS client does not report
 *       (5 min); an entry lives for the lowest of its MX TTL and this.</li>
 *   <li>{@code address-policy}: {@code ipv4-only}, {@code ipv6-only}, {@code ipv4-first} (default),
 *       {@code ipv6-first}.</li>
 *   <li>{@code port}: the SMTP port of mail exchangers (25; tests use another).</li>
 *   <li>{@code routes}: domain → {@code host[:port]} or {@code [address][:port]}, overriding DNS; the key
 *       {@code *} is a smarthost for every other domain. A host name is resolved to A/AAAA, not MX.</li>
 * </ul>
 */
public class MxResolverOptions {

  private List<String> servers = new ArrayList<>();
  private Duration queryTimeout = Duration.ofSeconds(5);
  private Duration minTtl = Duration.ofSeconds(30);
  private Duration maxTtl = Duration.ofDays(1);
  private Duration negativeTtl = Duration.ofMinutes(5);
  private Duration addressTtl = Duration.ofMinutes(5);
  private AddressPolicy addressPolicy = AddressPolicy.IPV4_FIRST;
  private int port = 25;
  private Map<String, String> routes = new LinkedHashMap<>();

  public MxResolverOptions() {
  }

  public MxResolverOptions(MxResolverOptions o) {
    servers = new ArrayList<>(o.servers);
    queryTimeout = o.queryTimeout;
    minTtl = o.minTtl;
    maxTtl = o.maxTtl;
    negativeTtl = o.negativeTtl;
    addressTtl = o.addressTtl;
    addressPolicy = o.addressPolicy;
    port = o.port;
    routes = new LinkedHashMap<>(o.routes);
  }

  /** Reads the keys of {@link #toJson()}; an unknown key or bad value is refused by name. */
  public MxResolverOptions(JsonObject json) {
    for (String key : json.fieldNames()) {
      Object v = json.getValue(key);
      switch (key) {
        case "servers" -> {
          servers = new ArrayList<>();
          for (Object s : (JsonArray) v) {
            servers.add(String.valueOf(s));
          }
        }
        case "query-timeout" -> setQueryTimeout(ProtocolConfig.duration(key, v));
        case "min-ttl" -> setMinTtl(ProtocolConfig.duration(key, v));
        case "max-ttl" -> setMaxTtl(ProtocolConfig.duration(key, v));
        case "negative-ttl" -> setNegativeTtl(ProtocolConfig.duration(key, v));
        case "address-ttl" -> setAddressTtl(ProtocolConfig.duration(key, v));
        case "address-policy" -> setAddressPolicy(
            AddressPolicy.valueOf(String.valueOf(v).toUpperCase(Locale.ROOT).replace('-', '_')));
        case "port" -> setPort(ProtocolConfig.wholeNumber(key, v));
        case "routes" -> {
          routes = new LinkedHashMap<>();
          ((JsonObject) v).forEach(e -> addRoute(e.getKey(), String.valueOf(e.getValue())));
        }
        default -> throw new IllegalArgumentException("unknown dns option '" + key + "'");
      }
    }
  }

  public JsonObject toJson() {
    JsonObject r = new JsonObject();
    routes.forEach(r::put);
    return new JsonObject().put("servers", new JsonArray(new ArrayList<>(servers)))
        .put("query-timeout", queryTimeout.toString()).put("min-ttl", minTtl.toString())
        .put("max-ttl", maxTtl.toString()).put("negative-ttl", negativeTtl.toString())
        .put("address-ttl", addressTtl.toString())
        .put("address-policy", addressPolicy.name().toLowerCase(Locale.ROOT).replace('_', '-'))
        .put("port", port).put("routes", r);
  }

  public List<String> getServers() {
    return servers;
  }

  /** Adds a DNS server, {@code host[:port]} ({@code [v6]:port} for IPv6 with a port). */
  public MxResolverOptions addServer(String server) {
    servers.add(server);
    return this;
  }

  public Duration getQueryTimeout() {
    return queryTimeout;
  }

  public MxResolverOptions setQueryTimeout(Duration queryTimeout) {
    this.queryTimeout = ProtocolConfig.positive("query-timeout", queryTimeout);
    return this;
  }

  public Duration getMinTtl() {
    return minTtl;
  }

  public MxResolverOptions setMinTtl(Duration minTtl) {
    this.minTtl = ProtocolConfig.notNegative("min-ttl", minTtl);
    return this;
  }

  public Duration getMaxTtl() {
    return maxTtl;
  }

  public MxResolverOptions setMaxTtl(Duration maxTtl) {
    this.maxTtl = ProtocolConfig.notNegative("max-ttl", maxTtl);
    return this;
  }

  public Duration getNegativeTtl() {
    return negativeTtl;
  }

  public MxResolverOptions setNegativeTtl(Duration negativeTtl) {
    this.negativeTtl = ProtocolConfig.notNegative("negative-ttl", negativeTtl);
    return this;
  }

  public Duration getAddressTtl() {
    return addressTtl;
  }

  public MxResolverOptions setAddressTtl(Duration addressTtl) {
    this.addressTtl = ProtocolConfig.notNegative("address-ttl", addressTtl);
    return this;
  }

  public AddressPolicy getAddressPolicy() {
    return addressPolicy;
  }

  public MxResolverOptions setAddressPolicy(AddressPolicy addressPolicy) {
    this.addressPolicy = addressPolicy;
    return this;
  }

  public int getPort() {
    return port;
  }

  public MxResolverOptions setPort(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1-65535: " + port);
    }
    this.port = port;
    return this;
  }

  public Map<String, String> getRoutes() {
    return routes;
  }

  /** Routes {@code domain} ({@code *} for every other) to {@code host[:port]} or {@code [address][:port]}. */
  public MxResolverOptions addRoute(String domain, String target) {
    Route.parse(target, port); // refuse a bad target now, by name
    routes.put(domain.toLowerCase(Locale.ROOT), target);
    return this;
  }

  /** A parsed route target. */
  public record Route(String host, int port, boolean literal) {

    /** {@code host}, {@code host:port}, {@code [address]}, {@code [address]:port}. */
    public static Route parse(String target, int defaultPort) {
      String t = target.trim();
      String host;
      String rest;
      boolean literal = t.startsWith("[");
      if (literal) {
        int close = t.indexOf(']');
        if (close < 0) {
          throw new IllegalArgumentException("route target without ']': " + target);
        }
        host = t.substring(1, close);
        if (host.regionMatches(true, 0, "IPv6:", 0, 5)) {
          host = host.substring(5);
        }
        rest = t.substring(close + 1);
      } else {
        int colon = t.lastIndexOf(':');
        host = colon < 0 ? t : t.substring(0, colon);
        rest = colon < 0 ? "" : t.substring(colon);
      }
      int port = defaultPort;
      if (!rest.isEmpty()) {
        try {
          port = Integer.parseInt(rest.substring(1));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("route target with a bad port: " + target);
        }
        if (!rest.startsWith(":") || port < 1 || port > 65535) {
          throw new IllegalArgumentException("route target with a bad port: " + target);
        }
      }
      if (host.isEmpty()) {
        throw new IllegalArgumentException("route target without a host: " + target);
      }
      return new Route(host.toLowerCase(Locale.ROOT), port, literal);
    }
  }

  /** Equal when their JSON forms are (every option is in {@link #toJson()}, round-trip tested). */
  @Override
  public boolean equals(Object o) {
    return o instanceof MxResolverOptions other && other.toJson().equals(toJson());
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }
}
