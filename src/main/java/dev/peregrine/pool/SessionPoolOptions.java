package dev.peregrine.pool;

import dev.peregrine.config.ProtocolConfig;
import io.vertx.core.json.JsonObject;

import java.time.Duration;

/**
 * Limits of a {@link SessionPool} (Vert.x options idiom, kebab-case JSON keys). Connection caps hold across
 * every event loop of the process.
 *
 * <ul>
 *   <li>{@code max-per-key} (10): sessions per {@link PoolKey}.</li>
 *   <li>{@code max-per-host} (20): sessions per remote address, whatever the rest of the key.</li>
 *   <li>{@code max-total} (500): sessions in all.</li>
 *   <li>{@code max-messages-per-session} (100), {@code max-age} (300 s), {@code max-idle} (60 s): then the
 *       session ends with QUIT (and a new one opens at once when mail is waiting).</li>
 *   <li>{@code pipeline-depth} (2): transactions queued on one session at once, so that the end of one
 *       message and the next one's commands share a write; 1 = one at a time.</li>
 *   <li>{@code max-waiters} (1,000 per key) and {@code wait-timeout} (60 s): callers queued for a session.</li>
 *   <li>{@code host-down-backoff} (60 s): how long an address and port that refused or timed out a connection is
 *       not tried again.</li>
 * </ul>
 */
public class SessionPoolOptions {

  private int maxPerKey = 10;
  private int maxPerHost = 20;
  private int maxTotal = 500;
  private int maxMessagesPerSession = 100;
  private Duration maxAge = Duration.ofSeconds(300);
  private Duration maxIdle = Duration.ofSeconds(60);
  private int pipelineDepth = 2;
  private int maxWaiters = 1000;
  private Duration waitTimeout = Duration.ofSeconds(60);
  private Duration hostDownBackoff = Duration.ofSeconds(60);

  public SessionPoolOptions() {
  }

  public SessionPoolOptions(SessionPoolOptions o) {
    maxPerKey = o.maxPerKey;
    maxPerHost = o.maxPerHost;
    maxTotal = o.maxTotal;
    maxMessagesPerSession = o.maxMessagesPerSession;
    maxAge = o.maxAge;
    maxIdle = o.maxIdle;
    pipelineDepth = o.pipelineDepth;
    maxWaiters = o.maxWaiters;
    waitTimeout = o.waitTimeout;
    hostDownBackoff = o.hostDownBackoff;
  }

  public SessionPoolOptions(JsonObject json) {
    for (String key : json.fieldNames()) {
      Object v = json.getValue(key);
      switch (key) {
        case "max-per-key" -> setMaxPerKey(ProtocolConfig.wholeNumber(key, v));
        case "max-per-host" -> setMaxPerHost(ProtocolConfig.wholeNumber(key, v));
        case "max-total" -> setMaxTotal(ProtocolConfig.wholeNumber(key, v));
        case "max-messages-per-session" -> setMaxMessagesPerSession(ProtocolConfig.wholeNumber(key, v));
        case "max-age" -> setMaxAge(ProtocolConfig.duration(key, v));
        case "max-idle" -> setMaxIdle(ProtocolConfig.duration(key, v));
        case "pipeline-depth" -> setPipelineDepth(ProtocolConfig.wholeNumber(key, v));
        case "max-waiters" -> setMaxWaiters(ProtocolConfig.wholeNumber(key, v));
        case "wait-timeout" -> setWaitTimeout(ProtocolConfig.duration(key, v));
        case "host-down-backoff" -> setHostDownBackoff(ProtocolConfig.duration(key, v));
        default -> throw new IllegalArgumentException("unknown pool option '" + key + "'");
      }
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("max-per-key", maxPerKey).put("max-per-host", maxPerHost).put("max-total", maxTotal)
        .put("max-messages-per-session", maxMessagesPerSession).put("max-age", maxAge.toString())
        .put("max-idle", maxIdle.toString()).put("pipeline-depth", pipelineDepth).put("max-waiters", maxWaiters)
        .put("wait-timeout", waitTimeout.toString()).put("host-down-backoff", hostDownBackoff.toString());
  }

  public int getMaxPerKey() {
    return maxPerKey;
  }

  public SessionPoolOptions setMaxPerKey(int v) {
    maxPerKey = ProtocolConfig.atLeastOne("max-per-key", v);
    return this;
  }

  public int getMaxPerHost() {
    return maxPerHost;
  }

  public SessionPoolOptions setMaxPerHost(int v) {
    maxPerHost = ProtocolConfig.atLeastOne("max-per-host", v);
    return this;
  }

  public int getMaxTotal() {
    return maxTotal;
  }

  public SessionPoolOptions setMaxTotal(int v) {
    maxTotal = ProtocolConfig.atLeastOne("max-total", v);
    return this;
  }

  public int getMaxMessagesPerSession() {
    return maxMessagesPerSession;
  }

  public SessionPoolOptions setMaxMessagesPerSession(int v) {
    maxMessagesPerSession = ProtocolConfig.atLeastOne("max-messages-per-session", v);
    return this;
  }

  public Duration getMaxAge() {
    return maxAge;
  }

  public SessionPoolOptions setMaxAge(Duration v) {
    maxAge = ProtocolConfig.positive("max-age", v);
    return this;
  }

  public Duration getMaxIdle() {
    return maxIdle;
  }

  public SessionPoolOptions setMaxIdle(Duration v) {
    maxIdle = ProtocolConfig.positive("max-idle", v);
    return this;
  }

  public int getPipelineDepth() {
    return pipelineDepth;
  }

  public SessionPoolOptions setPipelineDepth(int v) {
    pipelineDepth = ProtocolConfig.atLeastOne("pipeline-depth", v);
    return this;
  }

  public int getMaxWaiters() {
    return maxWaiters;
  }

  public SessionPoolOptions setMaxWaiters(int v) {
    maxWaiters = ProtocolConfig.atLeastOne("max-waiters", v);
    return this;
  }

  public Duration getWaitTimeout() {
    return waitTimeout;
  }

  public SessionPoolOptions setWaitTimeout(Duration v) {
    waitTimeout = ProtocolConfig.positive("wait-timeout", v);
    return this;
  }

  public Duration getHostDownBackoff() {
    return hostDownBackoff;
  }

  public SessionPoolOptions setHostDownBackoff(Duration v) {
    hostDownBackoff = ProtocolConfig.positive("host-down-backoff", v);
    return this;
  }

  /** Equal when their JSON forms are (every option is in {@link #toJson()}, round-trip tested). */
  @Override
  public boolean equals(Object o) {
    return o instanceof SessionPoolOptions other && other.toJson().equals(toJson());
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }
}
