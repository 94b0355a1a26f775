package dev.peregrine.client;

import dev.peregrine.config.ProtocolConfig;
import dev.peregrine.protocol.CodecLimits;
import dev.peregrine.protocol.Timeouts;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Settings of an {@link SmtpClient}, in the Vert.x options idiom (no-arg, copy, fluent setters, JSON with
 * kebab-case keys). Defaults: opportunistic STARTTLS with a fallback to plaintext, PIPELINING and CHUNKING
 * used when offered, RFC 5321 timeouts.
 */
public class SmtpClientOptions {

  private String heloName = "localhost";
  private String localAddress;
  private Duration connectTimeout = Duration.ofSeconds(30);
  private TlsPolicy tlsPolicy = TlsPolicy.OPPORTUNISTIC;
  private boolean plaintextFallback = true;
  private boolean implicitTls;
  private String trustPemPath;
  private String username;
  private String password;
  private String authMechanism;
  private boolean pipelining = true;
  private boolean chunking = true;
  private Timeouts timeouts = Timeouts.defaults();
  private CodecLimits limits = CodecLimits.DEFAULT;

  public SmtpClientOptions() {
  }

  public SmtpClientOptions(SmtpClientOptions o) {
    heloName = o.heloName;
    localAddress = o.localAddress;
    connectTimeout = o.connectTimeout;
    tlsPolicy = o.tlsPolicy;
    plaintextFallback = o.plaintextFallback;
    implicitTls = o.implicitTls;
    trustPemPath = o.trustPemPath;
    username = o.username;
    password = o.password;
    authMechanism = o.authMechanism;
    pipelining = o.pipelining;
    chunking = o.chunking;
    timeouts = o.timeouts;
    limits = o.limits;
  }

  /** Reads the keys of {@link #toJson()}; a bad value or unknown key is refused by name. */
  public SmtpClientOptions(JsonObject json) {
    for (String key : json.fieldNames()) {
      Object v = json.getValue(key);
      switch (key) {
        case "helo-name" -> setHeloName((String) v);
        case "local-address" -> setLocalAddress((String) v);
        case "connect-timeout" -> setConnectTimeout(ProtocolConfig.duration(key, v));
        case "tls-policy" -> setTlsPolicy(TlsPolicy.valueOf(String.valueOf(v).toUpperCase(Locale.ROOT).replace('-', '_')));
        case "plaintext-fallback" -> setPlaintextFallback((Boolean) v);
        case "implicit-tls" -> setImplicitTls((Boolean) v);
        case "trust-pem-path" -> setTrustPemPath((String) v);
        case "username" -> setUsername((String) v);
        case "password" -> setPassword((String) v);
        case "auth-mechanism" -> setAuthMechanism((String) v);
        case "pipelining" -> setPipelining((Boolean) v);
        case "chunking" -> setChunking((Boolean) v);
        case "timeouts" -> setTimeouts(ProtocolConfig.timeouts(new JsonObject().put("timeouts", v)));
        default -> throw new IllegalArgumentException("unknown client option '" + key + "'");
      }
    }
  }

  public JsonObject toJson() {
    JsonObject j = new JsonObject().put("helo-name", heloName).put("connect-timeout", connectTimeout.toString())
        .put("tls-policy", tlsPolicy.name().toLowerCase(Locale.ROOT).replace('_', '-'))
        .put("plaintext-fallback", plaintextFallback).put("implicit-tls", implicitTls)
        .put("pipelining", pipelining).put("chunking", chunking);
    if (localAddress != null) {
      j.put("local-address", localAddress);
    }
    if (trustPemPath != null) {
      j.put("trust-pem-path", trustPemPath);
    }
    if (username != null) {
      j.put("username", username);
    }
    if (password != null) {
      j.put("password", password);
    }
    if (authMechanism != null) {
      j.put("auth-mechanism", authMechanism);
    }
    JsonObject t = new JsonObject();
    timeouts.asMap().forEach((p, d) -> t.put(p.name().toLowerCase(Locale.ROOT).replace('_', '-'), d.toString()));
    return j.put("timeouts", t);
  }

  public String getHeloName() {
    return heloName;
  }

  /** The name we give in EHLO/HELO. */
  public SmtpClientOptions setHeloName(String heloName) {
    this.heloName = Objects.requireNonNull(heloName, "helo-name");
    return this;
  }

  public String getLocalAddress() {
    return localAddress;
  }

  /** The local (source) IP to connect from, or {@code null} for the system's choice. */
  public SmtpClientOptions setLocalAddress(String localAddress) {
    this.localAddress = localAddress;
    return this;
  }

  public Duration getConnectTimeout() {
    return connectTimeout;
  }

  public SmtpClientOptions setConnectTimeout(Duration connectTimeout) {
    this.connectTimeout = connectTimeout;
    return this;
  }

  public TlsPolicy getTlsPolicy() {
    return tlsPolicy;
  }

  public SmtpClientOptions setTlsPolicy(TlsPolicy tlsPolicy) {
    this.tlsPolicy = Objects.requireNonNull(tlsPolicy, "tls-policy");
    return this;
  }

  public boolean isPlaintextFallback() {
    return plaintextFallback;
  }

  /** With {@link TlsPolicy#OPPORTUNISTIC}: after a failed handshake, reconnect without TLS. */
  public SmtpClientOptions setPlaintextFallback(boolean plaintextFallback) {
    this.plaintextFallback = plaintextFallback;
    return this;
  }

  public boolean isImplicitTls() {
    return implicitTls;
  }

  /** TLS from the first byte (port 465). */
  public SmtpClientOptions setImplicitTls(boolean implicitTls) {
    this.implicitTls = implicitTls;
    return this;
  }

  public String getTrustPemPath() {
    return trustPemPath;
  }

  /** PEM certificates trusted with {@link TlsPolicy#REQUIRED_VERIFIED}; {@code null} = the JVM's trust store. */
  public SmtpClientOptions setTrustPemPath(String trustPemPath) {
    this.trustPemPath = trustPemPath == null || trustPemPath.isBlank() ? null : trustPemPath;
    return this;
  }

  public String getUsername() {
    return username;
  }

  /** AUTH user name; {@code null} = no AUTH. */
  public SmtpClientOptions setUsername(String username) {
    this.username = username == null || username.isBlank() ? null : username;
    return this;
  }

  public String getPassword() {
    return password;
  }

  /** AUTH password (or the OAuth 2 access token for XOAUTH2). */
  public SmtpClientOptions setPassword(String password) {
    this.password = password == null || password.isBlank() ? null : password;
    return this;
  }

  public String getAuthMechanism() {
    return authMechanism;
  }

  /** PLAIN, LOGIN or XOAUTH2; {@code null} = PLAIN if offered, else LOGIN. */
  public SmtpClientOptions setAuthMechanism(String authMechanism) {
    this.authMechanism = authMechanism == null ? null : authMechanism.toUpperCase(Locale.ROOT);
    return this;
  }

  public boolean isPipelining() {
    return pipelining;
  }

  /** Use PIPELINING when offered. */
  public SmtpClientOptions setPipelining(boolean pipelining) {
    this.pipelining = pipelining;
    return this;
  }

  public boolean isChunking() {
    return chunking;
  }

  /** Use BDAT when CHUNKING is offered and the content is a Buffer. */
  public SmtpClientOptions setChunking(boolean chunking) {
    this.chunking = chunking;
    return this;
  }

  public Timeouts getTimeouts() {
    return timeouts;
  }

  public SmtpClientOptions setTimeouts(Timeouts timeouts) {
    this.timeouts = Objects.requireNonNull(timeouts, "timeouts");
    return this;
  }

  public CodecLimits getLimits() {
    return limits;
  }

  public SmtpClientOptions setLimits(CodecLimits limits) {
    this.limits = Objects.requireNonNull(limits, "limits");
    return this;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SmtpClientOptions other && toJson().equals(other.toJson()) && limits.equals(other.limits);
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }
}
