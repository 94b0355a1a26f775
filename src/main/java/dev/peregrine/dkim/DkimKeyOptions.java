package dev.peregrine.dkim;

import io.vertx.core.json.JsonObject;

import java.net.IDN;
import java.util.Locale;

/**
 * One signing key (Vert.x options idiom, kebab-case JSON keys): the signing {@code domain} ({@code d=}), the
 * {@code selector} ({@code s=}; the public key is published at {@code selector._domainkey.domain}), and
 * {@code key-path}, a PEM file holding the private key: PKCS#8 ({@code BEGIN PRIVATE KEY}, RSA or Ed25519)
 * or PKCS#1 ({@code BEGIN RSA PRIVATE KEY}). The algorithm follows from the key. Two keys of one domain
 * (an RSA and an Ed25519 one, under two selectors) sign each message twice.
 *
 * <p>Also written {@code "domain:selector:key-path"}, the form a list from the environment takes.
 */
public class DkimKeyOptions {

  private String domain;
  private String selector;
  private String keyPath;

  public DkimKeyOptions() {
  }

  public DkimKeyOptions(String domain, String selector, String keyPath) {
    setDomain(domain);
    setSelector(selector);
    setKeyPath(keyPath);
  }

  public DkimKeyOptions(DkimKeyOptions o) {
    domain = o.domain;
    selector = o.selector;
    keyPath = o.keyPath;
  }

  public DkimKeyOptions(JsonObject json) {
    for (String key : json.fieldNames()) {
      Object v = json.getValue(key);
      switch (key) {
        case "domain" -> setDomain(text(key, v));
        case "selector" -> setSelector(text(key, v));
        case "key-path" -> setKeyPath(text(key, v));
        default -> throw new IllegalArgumentException("unknown dkim key option '" + key + "'");
      }
    }
  }

  /** {@code "domain:selector:key-path"} (the path may hold further colons). */
  public static DkimKeyOptions parse(String text) {
    String[] parts = text.trim().split(":", 3);
    if (parts.length != 3) {
      throw new IllegalArgumentException("a DKIM key is domain:selector:key-path, not '" + text + "'");
    }
    return new DkimKeyOptions(parts[0].trim(), parts[1].trim(), parts[2].trim());
  }

  private static String text(String key, Object v) {
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException("dkim key " + key + " must be a string, not " + v);
    }
    return s;
  }

  public JsonObject toJson() {
    JsonObject j = new JsonObject();
    if (domain != null) {
      j.put("domain", domain);
    }
    if (selector != null) {
      j.put("selector", selector);
    }
    if (keyPath != null) {
      j.put("key-path", keyPath);
    }
    return j;
  }

  /** Throws {@link IllegalArgumentException} unless domain, selector and key path are all given. */
  public DkimKeyOptions validate() {
    if (domain == null || selector == null || keyPath == null) {
      throw new IllegalArgumentException("a DKIM key needs domain, selector and key-path: " + toJson().encode());
    }
    return this;
  }

  public String getDomain() {
    return domain;
  }

  /** The signing domain, stored in its ASCII (A-label) lower-case form. */
  public DkimKeyOptions setDomain(String domain) {
    this.domain = domain(domain);
    return this;
  }

  public String getSelector() {
    return selector;
  }

  public DkimKeyOptions setSelector(String selector) {
    if (selector == null || !selector.matches("[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?)*")) {
      throw new IllegalArgumentException("a DKIM selector is dot-separated labels of letters, digits, - and _: '"
          + selector + "'");
    }
    this.selector = selector;
    return this;
  }

  public String getKeyPath() {
    return keyPath;
  }

  public DkimKeyOptions setKeyPath(String keyPath) {
    if (keyPath == null || keyPath.isBlank()) {
      throw new IllegalArgumentException("a DKIM key-path must not be empty");
    }
    this.keyPath = keyPath;
    return this;
  }

  /** A domain in its ASCII lower-case form (IDNA A-labels), without a final dot. */
  public static String domain(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("a DKIM domain must not be empty");
    }
    String n = name.trim();
    if (n.endsWith(".")) {
      n = n.substring(0, n.length() - 1);
    }
    try {
      return IDN.toASCII(n, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a domain name: '" + name + "'", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DkimKeyOptions other && other.toJson().equals(toJson());
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }

  @Override
  public String toString() {
    return domain + ":" + selector + ":" + keyPath;
  }
}
