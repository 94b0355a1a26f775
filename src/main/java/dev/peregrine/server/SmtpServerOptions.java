package dev.peregrine.server;

import dev.peregrine.config.ProtocolConfig;
import dev.peregrine.protocol.CodecLimits;
import dev.peregrine.protocol.DataDecoder;
import dev.peregrine.protocol.Timeouts;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Settings of an {@link SmtpServer}, in the Vert.x options idiom: no-arg constructor with safe defaults,
 * copy constructor, fluent setters, a JSON constructor and {@link #toJson()} (keys in kebab case, as in
 * {@code config/peregrine.yaml}; durations as {@code 30s}/{@code 5m}/ISO-8601).
 *
 * <p>Defaults are what a careful operator expects of an internet-facing MTA: no AUTH over plaintext,
 * limits on sizes, counts and times, bare CR/LF in content refused.
 */
public class SmtpServerOptions {
  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 2525;
  public static final String DEFAULT_HOSTNAME = "localhost";
  public static final String DEFAULT_GREETING_TEXT = "ready";
  public static final long DEFAULT_MAX_MESSAGE_SIZE = 26_214_400L;
  public static final int DEFAULT_MAX_RECIPIENTS = 1000;
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
  public static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 50;
  public static final int DEFAULT_MAX_ERRORS = 20;
  public static final int DEFAULT_MAX_AUTH_FAILURES = 3;
  public static final Duration DEFAULT_AUTH_FAILURE_DELAY = Duration.ofSeconds(1);
  public static final List<String> DEFAULT_AUTH_MECHANISMS = List.of("PLAIN", "LOGIN");
  public static final boolean DEFAULT_ALLOW_PLAINTEXT_AUTH = false;
  public static final boolean DEFAULT_REQUIRE_AUTH = false;
  public static final boolean DEFAULT_REQUIRE_TLS = false;
  public static final boolean DEFAULT_START_TLS = true;
  public static final boolean DEFAULT_IMPLICIT_TLS = false;
  public static final String DEFAULT_TLS_CERT_PATH = null;
  public static final String DEFAULT_TLS_KEY_PATH = null;
  public static final boolean DEFAULT_VRFY = false;
  public static final boolean DEFAULT_EXPN = false;
  public static final boolean DEFAULT_PIPELINING = true;
  public static final boolean DEFAULT_CHUNKING = true;
  public static final boolean DEFAULT_BINARY_MIME = true;
  public static final boolean DEFAULT_EIGHT_BIT_MIME = true;
  public static final boolean DEFAULT_SMTP_UTF8 = true;
  public static final boolean DEFAULT_DSN = true;
  public static final boolean DEFAULT_REQUIRE_EHLO = true;
  public static final DataDecoder.Mode DEFAULT_BARE_LINE_ENDINGS = DataDecoder.Mode.REJECT;
  public static final boolean DEFAULT_USE_PROXY_PROTOCOL = false;
  public static final Duration DEFAULT_PROXY_PROTOCOL_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_GREETING_DELAY = Duration.ZERO;
  public static final Duration DEFAULT_SHUTDOWN_GRACE_PERIOD = Duration.ofSeconds(30);
  public static final CodecLimits DEFAULT_LIMITS = CodecLimits.DEFAULT;
  public static final Timeouts DEFAULT_TIMEOUTS = Timeouts.defaults();

  private String host = DEFAULT_HOST;
  private int port = DEFAULT_PORT;
  private String hostname = DEFAULT_HOSTNAME;
  private String greetingText = DEFAULT_GREETING_TEXT;
  private long maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
  private int maxRecipients = DEFAULT_MAX_RECIPIENTS;
  private int maxConnections = DEFAULT_MAX_CONNECTIONS;
  private int maxConnectionsPerIp = DEFAULT_MAX_CONNECTIONS_PER_IP;
  private int maxErrors = DEFAULT_MAX_ERRORS;
  private int maxAuthFailures = DEFAULT_MAX_AUTH_FAILURES;
  private Duration authFailureDelay = DEFAULT_AUTH_FAILURE_DELAY;
  private List<String> authMechanisms = DEFAULT_AUTH_MECHANISMS;
  private boolean allowPlaintextAuth = DEFAULT_ALLOW_PLAINTEXT_AUTH;
  private boolean requireAuth = DEFAULT_REQUIRE_AUTH;
  private boolean requireTls = DEFAULT_REQUIRE_TLS;
  private boolean startTls = DEFAULT_START_TLS;
  private boolean implicitTls = DEFAULT_IMPLICIT_TLS;
  private String tlsCertPath = DEFAULT_TLS_CERT_PATH;
  private String tlsKeyPath = DEFAULT_TLS_KEY_PATH;
  private boolean vrfy = DEFAULT_VRFY;
  private boolean expn = DEFAULT_EXPN;
  private boolean pipelining = DEFAULT_PIPELINING;
  private boolean chunking = DEFAULT_CHUNKING;
  private boolean binaryMime = DEFAULT_BINARY_MIME;
  private boolean eightBitMime = DEFAULT_EIGHT_BIT_MIME;
  private boolean smtpUtf8 = DEFAULT_SMTP_UTF8;
  private boolean dsn = DEFAULT_DSN;
  private boolean requireEhlo = DEFAULT_REQUIRE_EHLO;
  private DataDecoder.Mode bareLineEndings = DEFAULT_BARE_LINE_ENDINGS;
  private boolean useProxyProtocol = DEFAULT_USE_PROXY_PROTOCOL;
  private Duration proxyProtocolTimeout = DEFAULT_PROXY_PROTOCOL_TIMEOUT;
  private Duration greetingDelay = DEFAULT_GREETING_DELAY;
  private Duration shutdownGracePeriod = DEFAULT_SHUTDOWN_GRACE_PERIOD;
  private CodecLimits limits = DEFAULT_LIMITS;
  private Timeouts timeouts = DEFAULT_TIMEOUTS;

  public SmtpServerOptions() {
  }

  public SmtpServerOptions(SmtpServerOptions other) {
    this.host = other.host;
    this.port = other.port;
    this.hostname = other.hostname;
    this.greetingText = other.greetingText;
    this.maxMessageSize = other.maxMessageSize;
    this.maxRecipients = other.maxRecipients;
    this.maxConnections = other.maxConnections;
    this.maxConnectionsPerIp = other.maxConnectionsPerIp;
    this.maxErrors = other.maxErrors;
    this.maxAuthFailures = other.maxAuthFailures;
    this.authFailureDelay = other.authFailureDelay;
    this.authMechanisms = other.authMechanisms;
    this.allowPlaintextAuth = other.allowPlaintextAuth;
    this.requireAuth = other.requireAuth;
    this.requireTls = other.requireTls;
    this.startTls = other.startTls;
    this.implicitTls = other.implicitTls;
    this.tlsCertPath = other.tlsCertPath;
    this.tlsKeyPath = other.tlsKeyPath;
    this.vrfy = other.vrfy;
    this.expn = other.expn;
    this.pipelining = other.pipelining;
    this.chunking = other.chunking;
    this.binaryMime = other.binaryMime;
    this.eightBitMime = other.eightBitMime;
    this.smtpUtf8 = other.smtpUtf8;
    this.dsn = other.dsn;
    this.requireEhlo = other.requireEhlo;
    this.bareLineEndings = other.bareLineEndings;
    this.useProxyProtocol = other.useProxyProtocol;
    this.proxyProtocolTimeout = other.proxyProtocolTimeout;
    this.greetingDelay = other.greetingDelay;
    this.shutdownGracePeriod = other.shutdownGracePeriod;
    this.limits = other.limits;
    this.timeouts = other.timeouts;
  }

  /** Reads the keys of {@link #toJson()}; absent keys keep their defaults, a bad value names its key. */
  public SmtpServerOptions(JsonObject json) {
    for (String key : json.fieldNames()) {
      Object v = json.getValue(key);
      switch (key) {
        case "host" -> setHost(v == null ? null : str(key, v));
        case "port" -> setPort(v instanceof Number n ? n.intValue() : (int) number(key, v, 65535));
        case "hostname" -> setHostname(v == null ? null : str(key, v));
        case "greeting-text" -> setGreetingText(v == null ? null : str(key, v));
        case "max-message-size" -> setMaxMessageSize(number(key, v, Long.MAX_VALUE));
        case "max-recipients" -> setMaxRecipients((int) number(key, v, Integer.MAX_VALUE));
        case "max-connections" -> setMaxConnections((int) number(key, v, Integer.MAX_VALUE));
        case "max-connections-per-ip" -> setMaxConnectionsPerIp((int) number(key, v, Integer.MAX_VALUE));
        case "max-errors" -> setMaxErrors((int) number(key, v, Integer.MAX_VALUE));
        case "max-auth-failures" -> setMaxAuthFailures((int) number(key, v, Integer.MAX_VALUE));
        case "auth-failure-delay" -> setAuthFailureDelay(ProtocolConfig.duration(key, v));
        case "auth-mechanisms" -> setAuthMechanisms(list(key, v));
        case "allow-plaintext-auth" -> setAllowPlaintextAuth(bool(key, v));
        case "require-auth" -> setRequireAuth(bool(key, v));
        case "require-tls" -> setRequireTls(bool(key, v));
        case "starttls" -> setStartTls(bool(key, v));
        case "implicit-tls" -> setImplicitTls(bool(key, v));
        case "tls-cert-path" -> setTlsCertPath(v == null ? null : str(key, v));
        case "tls-key-path" -> setTlsKeyPath(v == null ? null : str(key, v));
        case "vrfy" -> setVrfy(bool(key, v));
        case "expn" -> setExpn(bool(key, v));
        case "pipelining" -> setPipelining(bool(key, v));
        case "chunking" -> setChunking(bool(key, v));
        case "binarymime" -> setBinaryMime(bool(key, v));
        case "8bitmime" -> setEightBitMime(bool(key, v));
        case "smtputf8" -> setSmtpUtf8(bool(key, v));
        case "dsn" -> setDsn(bool(key, v));
        case "require-ehlo" -> setRequireEhlo(bool(key, v));
        case "bare-line-endings" -> setBareLineEndings(mode(key, v));
        case "proxy-protocol" -> setUseProxyProtocol(bool(key, v));
        case "proxy-protocol-timeout" -> setProxyProtocolTimeout(ProtocolConfig.duration(key, v));
        case "greeting-delay" -> setGreetingDelay(zeroOrDuration(key, v));
        case "shutdown-grace-period" -> setShutdownGracePeriod(ProtocolConfig.duration(key, v));
        case "limits" -> setLimits(ProtocolConfig.limits(new JsonObject().put("limits", v)));
        case "timeouts" -> setTimeouts(ProtocolConfig.timeouts(new JsonObject().put("timeouts", v)));
        default -> throw new IllegalArgumentException("unknown server option '" + key + "'");
      }
    }
  }

  /** Every option, under the keys the JSON constructor reads. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    if (host != null) {
      json.put("host", host);
    }
    json.put("port", port);
    if (hostname != null) {
      json.put("hostname", hostname);
    }
    if (greetingText != null) {
      json.put("greeting-text", greetingText);
    }
    json.put("max-message-size", maxMessageSize);
    json.put("max-recipients", maxRecipients);
    json.put("max-connections", maxConnections);
    json.put("max-connections-per-ip", maxConnectionsPerIp);
    json.put("max-errors", maxErrors);
    json.put("max-auth-failures", maxAuthFailures);
    json.put("auth-failure-delay", authFailureDelay.toString());
    json.put("auth-mechanisms", new JsonArray(authMechanisms));
    json.put("allow-plaintext-auth", allowPlaintextAuth);
    json.put("require-auth", requireAuth);
    json.put("require-tls", requireTls);
    json.put("starttls", startTls);
    json.put("implicit-tls", implicitTls);
    if (tlsCertPath != null) {
      json.put("tls-cert-path", tlsCertPath);
    }
    if (tlsKeyPath != null) {
      json.put("tls-key-path", tlsKeyPath);
    }
    json.put("vrfy", vrfy);
    json.put("expn", expn);
    json.put("pipelining", pipelining);
    json.put("chunking", chunking);
    json.put("binarymime", binaryMime);
    json.put("8bitmime", eightBitMime);
    json.put("smtputf8", smtpUtf8);
    json.put("dsn", dsn);
    json.put("require-ehlo", requireEhlo);
    json.put("bare-line-endings", bareLineEndings.name().toLowerCase(Locale.ROOT));
    json.put("proxy-protocol", useProxyProtocol);
    json.put("proxy-protocol-timeout", proxyProtocolTimeout.toString());
    json.put("greeting-delay", greetingDelay.toString());
    json.put("shutdown-grace-period", shutdownGracePeriod.toString());
    json.put("limits", limitsJson(limits));
    json.put("timeouts", timeoutsJson(timeouts));
    return json;
  }

  /** Address to listen on. */
  public String getHost() {
    return host;
  }

  public SmtpServerOptions setHost(String host) {
    this.host = host;
    return this;
  }

  /**
   * Port to listen on; 0 picks a free one per instance, a negative number one free port shared by every instance
   * given the same number (Vert.x semantics; see {@link SmtpServer#actualPort()}).
   */
  public int getPort() {
    return port;
  }

  public SmtpServerOptions setPort(int port) {
    if (port < -1024 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, or negative for a random port shared by instances: " + port);
    }
    this.port = port;
    return this;
  }

  /** Our name in the greeting and EHLO reply. */
  public String getHostname() {
    return hostname;
  }

  public SmtpServerOptions setHostname(String hostname) {
    this.hostname = hostname;
    return this;
  }

  /** Text after {@code ESMTP} in the greeting. */
  public String getGreetingText() {
    return greetingText;
  }

  public SmtpServerOptions setGreetingText(String greetingText) {
    this.greetingText = greetingText;
    return this;
  }

  /** Largest message in octets, advertised in SIZE and enforced while streaming (552 5.3.4). */
  public long getMaxMessageSize() {
    return maxMessageSize;
  }

  public SmtpServerOptions setMaxMessageSize(long maxMessageSize) {
    if (maxMessageSize <= 0) {
      throw new IllegalArgumentException("max-message-size must be positive: " + maxMessageSize);
    }
    this.maxMessageSize = maxMessageSize;
    return this;
  }

  /** Most recipients per transaction; more get 452 4.5.3 (RFC 5321 §4.5.3.1.8 asks for at least 100). */
  public int getMaxRecipients() {
    return maxRecipients;
  }

  public SmtpServerOptions setMaxRecipients(int maxRecipients) {
    if (maxRecipients <= 0) {
      throw new IllegalArgumentException("max-recipients must be positive: " + maxRecipients);
    }
    this.maxRecipients = maxRecipients;
    return this;
  }

  /** Most concurrent connections over all instances on this address; more get 421 4.7.0. */
  public int getMaxConnections() {
    return maxConnections;
  }

  public SmtpServerOptions setMaxConnections(int maxConnections) {
    if (maxConnections <= 0) {
      throw new IllegalArgumentException("max-connections must be positive: " + maxConnections);
    }
    this.maxConnections = maxConnections;
    return this;
  }

  /** Most concurrent connections from one client address; more get 421 4.7.0. */
  public int getMaxConnectionsPerIp() {
    return maxConnectionsPerIp;
  }

  public SmtpServerOptions setMaxConnectionsPerIp(int maxConnectionsPerIp) {
    if (maxConnectionsPerIp <= 0) {
      throw new IllegalArgumentException("max-connections-per-ip must be positive: " + maxConnectionsPerIp);
    }
    this.maxConnectionsPerIp = maxConnectionsPerIp;
    return this;
  }

  /** Protocol errors (syntax, sequence) before 421 4.7.0 and close. */
  public int getMaxErrors() {
    return maxErrors;
  }

  public SmtpServerOptions setMaxErrors(int maxErrors) {
    if (maxErrors <= 0) {
      throw new IllegalArgumentException("max-errors must be positive: " + maxErrors);
    }
    this.maxErrors = maxErrors;
    return this;
  }

  /** Failed AUTH attempts before 421 4.7.0 and close. */
  public int getMaxAuthFailures() {
    return maxAuthFailures;
  }

  public SmtpServerOptions setMaxAuthFailures(int maxAuthFailures) {
    if (maxAuthFailures <= 0) {
      throw new IllegalArgumentException("max-auth-failures must be positive: " + maxAuthFailures);
    }
    this.maxAuthFailures = maxAuthFailures;
    return this;
  }

  /** Wait before answering a failed AUTH, to slow password guessing. */
  public Duration getAuthFailureDelay() {
    return authFailureDelay;
  }

  public SmtpServerOptions setAuthFailureDelay(Duration authFailureDelay) {
    if (authFailureDelay.isNegative() || authFailureDelay.isZero()) {
      throw new IllegalArgumentException("auth-failure-delay must be positive: " + authFailureDelay);
    }
    this.authFailureDelay = authFailureDelay;
    return this;
  }

  /** SASL mechanisms offered (PLAIN, LOGIN); empty disables AUTH. */
  public List<String> getAuthMechanisms() {
    return authMechanisms;
  }

  public SmtpServerOptions setAuthMechanisms(List<String> authMechanisms) {
    authMechanisms = List.copyOf(authMechanisms);
    this.authMechanisms = authMechanisms;
    return this;
  }

  /** Offer AUTH without TLS. Off: credentials never cross the network in clear. */
  public boolean isAllowPlaintextAuth() {
    return allowPlaintextAuth;
  }

  public SmtpServerOptions setAllowPlaintextAuth(boolean allowPlaintextAuth) {
    this.allowPlaintextAuth = allowPlaintextAuth;
    return this;
  }

  /** Refuse MAIL (530 5.7.0) until the client has authenticated (a submission port). */
  public boolean isRequireAuth() {
    return requireAuth;
  }

  public SmtpServerOptions setRequireAuth(boolean requireAuth) {
    this.requireAuth = requireAuth;
    return this;
  }

  /** Refuse MAIL (530 5.7.0) until STARTTLS. */
  public boolean isRequireTls() {
    return requireTls;
  }

  public SmtpServerOptions setRequireTls(boolean requireTls) {
    this.requireTls = requireTls;
    return this;
  }

  /** Offer STARTTLS when a certificate is configured. */
  public boolean isStartTls() {
    return startTls;
  }

  public SmtpServerOptions setStartTls(boolean startTls) {
    this.startTls = startTls;
    return this;
  }

  /** TLS from the first byte (port 465 style); needs a certificate. */
  public boolean isImplicitTls() {
    return implicitTls;
  }

  public SmtpServerOptions setImplicitTls(boolean implicitTls) {
    this.implicitTls = implicitTls;
    return this;
  }

  /** PEM certificate chain for STARTTLS and implicit TLS, or {@code null}. */
  public String getTlsCertPath() {
    return tlsCertPath;
  }

  public SmtpServerOptions setTlsCertPath(String tlsCertPath) {
    tlsCertPath = tlsCertPath == null || tlsCertPath.isBlank() ? null : tlsCertPath;
    this.tlsCertPath = tlsCertPath;
    return this;
  }

  /** PEM private key (PKCS#8 or PKCS#1) for the certificate. */
  public String getTlsKeyPath() {
    return tlsKeyPath;
  }

  public SmtpServerOptions setTlsKeyPath(String tlsKeyPath) {
    tlsKeyPath = tlsKeyPath == null || tlsKeyPath.isBlank() ? null : tlsKeyPath;
    this.tlsKeyPath = tlsKeyPath;
    return this;
  }

  /** Answer VRFY. Off (the default) it gets 252 2.5.0 without a look-up. */
  public boolean isVrfy() {
    return vrfy;
  }

  public SmtpServerOptions setVrfy(boolean vrfy) {
    this.vrfy = vrfy;
    return this;
  }

  /** Answer EXPN. Off (the default) it gets 502 5.5.1. */
  public boolean isExpn() {
    return expn;
  }

  public SmtpServerOptions setExpn(boolean expn) {
    this.expn = expn;
    return this;
  }

  /** Advertise PIPELINING (RFC 2920); commands are read as they arrive either way. */
  public boolean isPipelining() {
    return pipelining;
  }

  public SmtpServerOptions setPipelining(boolean pipelining) {
    this.pipelining = pipelining;
    return this;
  }

  /** Advertise CHUNKING and accept BDAT (RFC 3030). */
  public boolean isChunking() {
    return chunking;
  }

  public SmtpServerOptions setChunking(boolean chunking) {
    this.chunking = chunking;
    return this;
  }

  /** Advertise BINARYMIME (needs CHUNKING). */
  public boolean isBinaryMime() {
    return binaryMime;
  }

  public SmtpServerOptions setBinaryMime(boolean binaryMime) {
    this.binaryMime = binaryMime;
    return this;
  }

  /** Advertise 8BITMIME (RFC 6152). */
  public boolean isEightBitMime() {
    return eightBitMime;
  }

  public SmtpServerOptions setEightBitMime(boolean eightBitMime) {
    this.eightBitMime = eightBitMime;
    return this;
  }

  /** Advertise SMTPUTF8 (RFC 6531) and accept UTF-8 addresses with it. */
  public boolean isSmtpUtf8() {
    return smtpUtf8;
  }

  public SmtpServerOptions setSmtpUtf8(boolean smtpUtf8) {
    this.smtpUtf8 = smtpUtf8;
    return this;
  }

  /** Advertise DSN (RFC 3461) and accept NOTIFY, ORCPT, RET, ENVID. */
  public boolean isDsn() {
    return dsn;
  }

  public SmtpServerOptions setDsn(boolean dsn) {
    this.dsn = dsn;
    return this;
  }

  /** Refuse MAIL (503 5.5.1) before EHLO/HELO. */
  public boolean isRequireEhlo() {
    return requireEhlo;
  }

  public SmtpServerOptions setRequireEhlo(boolean requireEhlo) {
    this.requireEhlo = requireEhlo;
    return this;
  }

  /** What a bare CR or LF in DATA content does: REJECT (550 5.6.0, the default) or ALLOW. */
  public DataDecoder.Mode getBareLineEndings() {
    return bareLineEndings;
  }

  public SmtpServerOptions setBareLineEndings(DataDecoder.Mode bareLineEndings) {
    Objects.requireNonNull(bareLineEndings, "bare-line-endings");
    this.bareLineEndings = bareLineEndings;
    return this;
  }

  /** Expect a HAProxy PROXY protocol v1/v2 header first (behind a load balancer). */
  public boolean isUseProxyProtocol() {
    return useProxyProtocol;
  }

  public SmtpServerOptions setUseProxyProtocol(boolean useProxyProtocol) {
    this.useProxyProtocol = useProxyProtocol;
    return this;
  }

  /** How long to wait for the PROXY header. */
  public Duration getProxyProtocolTimeout() {
    return proxyProtocolTimeout;
  }

  public SmtpServerOptions setProxyProtocolTimeout(Duration proxyProtocolTimeout) {
    if (proxyProtocolTimeout.isNegative() || proxyProtocolTimeout.isZero()) {
      throw new IllegalArgumentException("proxy-protocol-timeout must be positive: " + proxyProtocolTimeout);
    }
    this.proxyProtocolTimeout = proxyProtocolTimeout;
    return this;
  }

  /** Wait this long before the greeting; a client that talks first is refused (554 5.5.1). */
  public Duration getGreetingDelay() {
    return greetingDelay;
  }

  public SmtpServerOptions setGreetingDelay(Duration greetingDelay) {
    if (greetingDelay.isNegative()) {
      throw new IllegalArgumentException("greeting-delay must not be negative: " + greetingDelay);
    }
    this.greetingDelay = greetingDelay;
    return this;
  }

  /** On shutdown, how long transactions in flight may take before 421 and close. */
  public Duration getShutdownGracePeriod() {
    return shutdownGracePeriod;
  }

  public SmtpServerOptions setShutdownGracePeriod(Duration shutdownGracePeriod) {
    if (shutdownGracePeriod.isNegative() || shutdownGracePeriod.isZero()) {
      throw new IllegalArgumentException("shutdown-grace-period must be positive: " + shutdownGracePeriod);
    }
    this.shutdownGracePeriod = shutdownGracePeriod;
    return this;
  }

  /** Line, path and reply size limits of the codec. */
  public CodecLimits getLimits() {
    return limits;
  }

  public SmtpServerOptions setLimits(CodecLimits limits) {
    Objects.requireNonNull(limits, "limits");
    this.limits = limits;
    return this;
  }

  /** Per-phase timeouts; the server uses server-command and data-block. */
  public Timeouts getTimeouts() {
    return timeouts;
  }

  public SmtpServerOptions setTimeouts(Timeouts timeouts) {
    Objects.requireNonNull(timeouts, "timeouts");
    this.timeouts = timeouts;
    return this;
  }

  /** True when a certificate and key are configured. */
  public boolean isTlsConfigured() {
    return tlsCertPath != null && tlsKeyPath != null;
  }

  private static String str(String key, Object v) {
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException(key + " must be a string, not " + v);
    }
    return s;
  }

  private static long number(String key, Object v, long max) {
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.longValue() < 0
        || n.longValue() > max) {
      throw new IllegalArgumentException(key + " must be a whole number from 0 to " + max + ", not " + v);
    }
    return n.longValue();
  }

  private static boolean bool(String key, Object v) {
    if (!(v instanceof Boolean b)) {
      throw new IllegalArgumentException(key + " must be true or false, not " + v);
    }
    return b;
  }

  private static Duration zeroOrDuration(String key, Object v) {
    if (v instanceof Number n && n.doubleValue() == 0 || "0".equals(v) || "0s".equals(v) || "PT0S".equals(v)) {
      return Duration.ZERO;
    }
    return ProtocolConfig.duration(key, v);
  }

  private static List<String> list(String key, Object v) {
    if (!(v instanceof JsonArray a)) {
      throw new IllegalArgumentException(key + " must be a list, not " + v);
    }
    return a.stream().map(o -> str(key, o).toUpperCase(Locale.ROOT)).toList();
  }

  private static DataDecoder.Mode mode(String key, Object v) {
    try {
      return DataDecoder.Mode.valueOf(str(key, v).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + " must be reject or allow, not " + v);
    }
  }

  private static JsonObject limitsJson(CodecLimits l) {
    return new JsonObject().put("command-line", l.commandLine()).put("local-part", l.localPart())
        .put("domain", l.domain()).put("path", l.path()).put("reply-line", l.replyLine())
        .put("reply-lines", l.replyLines());
  }

  private static JsonObject timeoutsJson(Timeouts t) {
    JsonObject json = new JsonObject();
    t.asMap().forEach((phase, d) -> json.put(phase.name().toLowerCase(Locale.ROOT).replace('_', '-'), d.toString()));
    return json;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SmtpServerOptions other && toJson().equals(other.toJson());
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }

  @Override
  public String toString() {
    return "SmtpServerOptions" + toJson().encode();
  }
}
