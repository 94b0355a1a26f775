package dev.peregrine.cluster;

import dev.peregrine.config.ProtocolConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How the nodes of a cluster share the limits that concern the receiving side (the {@code cluster} section):
 * connection caps and rates held in Redis, so that a destination allowing 20 connections gets 20 from the
 * whole cluster. Without Redis endpoints a node runs alone with local limits, exactly as without a cluster.
 * When Redis cannot be reached a node falls back to local limits of cap / {@code expected-nodes} (at least
 * one) until it answers again.
 */
public class ClusterOptions {

  public static final String DEFAULT_KEY_PREFIX = "peregrine:";
  public static final Duration DEFAULT_LEASE_TIME = Duration.ofSeconds(30);
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(500);
  public static final Duration DEFAULT_RETRY_PERIOD = Duration.ofSeconds(5);
  public static final int DEFAULT_POOL_SIZE = 8;
  public static final int DEFAULT_EXPECTED_NODES = 1;
  public static final Duration DEFAULT_DRAIN_DELIVER_FOR = Duration.ofSeconds(20);
  public static final Duration DEFAULT_DRAIN_HAND_OFF_FOR = Duration.ofSeconds(60);

  private List<String> redisEndpoints = new ArrayList<>();
  private String keyPrefix = DEFAULT_KEY_PREFIX;
  private Duration leaseTime = DEFAULT_LEASE_TIME;
  private Duration timeout = DEFAULT_TIMEOUT;
  private Duration retryPeriod = DEFAULT_RETRY_PERIOD;
  private int poolSize = DEFAULT_POOL_SIZE;
  private int expectedNodes = DEFAULT_EXPECTED_NODES;
  private String nodeId = "";
  private String drainPeer = "";
  private Duration drainDeliverFor = DEFAULT_DRAIN_DELIVER_FOR;
  private Duration drainHandOffFor = DEFAULT_DRAIN_HAND_OFF_FOR;

  public ClusterOptions() {
  }

  public ClusterOptions(ClusterOptions o) {
    this(o.toJson());
  }

  /** @throws IllegalArgumentException naming the key of an unknown option or a bad value */
  public ClusterOptions(JsonObject json) {
    for (String key : json.fieldNames()) {
      Object v = json.getValue(key);
      switch (key) {
        case "redis" -> {
          if (!(v instanceof JsonObject redis)) {
            throw new IllegalArgumentException("cluster.redis must be a section, not " + v);
          }
          redis(redis);
        }
        case "drain" -> {
          if (!(v instanceof JsonObject drain)) {
            throw new IllegalArgumentException("cluster.drain must be a section, not " + v);
          }
          drain(drain);
        }
        case "expected-nodes" -> setExpectedNodes(ProtocolConfig.wholeNumber("cluster.expected-nodes", v));
        case "node-id" -> {
          if (!(v instanceof String s)) {
            throw new IllegalArgumentException("cluster.node-id must be a string, not " + v);
          }
          setNodeId(s.trim());
        }
        default -> throw new IllegalArgumentException("unknown cluster option '" + key + "'");
      }
    }
  }

  private void redis(JsonObject json) {
    for (String key : json.fieldNames()) {
      Object v = json.getValue(key);
      String name = "cluster.redis." + key;
      switch (key) {
        case "endpoints" -> {
          List<String> list = new ArrayList<>();
          if (v instanceof JsonArray a) {
            a.forEach(e -> list.add(String.valueOf(e)));
          } else if (v instanceof String s) {
            // From the environment: comma-separated.
            for (String part : s.split(",")) {
              list.add(part);
            }
          } else if (v != null) {
            throw new IllegalArgumentException(name + " must be a list of redis://host:port addresses, not " + v);
          }
          setRedisEndpoints(list);
        }
        case "key-prefix" -> {
          if (!(v instanceof String s)) {
            throw new IllegalArgumentException(name + " must be a string, not " + v);
          }
          setKeyPrefix(s);
        }
        case "lease-time" -> setLeaseTime(ProtocolConfig.duration(name, v));
        case "timeout" -> setTimeout(ProtocolConfig.duration(name, v));
        case "retry-period" -> setRetryPeriod(ProtocolConfig.duration(name, v));
        case "pool-size" -> setPoolSize(ProtocolConfig.wholeNumber(name, v));
        default -> throw new IllegalArgumentException("unknown cluster.redis option '" + key + "'");
      }
    }
  }

  private void drain(JsonObject json) {
    for (String key : json.fieldNames()) {
      Object v = json.getValue(key);
      String name = "cluster.drain." + key;
      switch (key) {
        case "peer" -> {
          if (!(v instanceof String s)) {
            throw new IllegalArgumentException(name + " must be a string (host[:port]), not " + v);
          }
          setDrainPeer(s);
        }
        case "deliver-for" -> setDrainDeliverFor(ProtocolConfig.duration(name, v));
        case "hand-off-for" -> setDrainHandOffFor(ProtocolConfig.duration(name, v));
        default -> throw new IllegalArgumentException("unknown cluster.drain option '" + key + "'");
      }
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("redis", new JsonObject().put("endpoints", new JsonArray(new ArrayList<>(redisEndpoints)))
            .put("key-prefix", keyPrefix).put("lease-time", leaseTime.toString()).put("timeout", timeout.toString())
            .put("retry-period", retryPeriod.toString()).put("pool-size", poolSize))
        .put("expected-nodes", expectedNodes).put("node-id", nodeId)
        .put("drain", new JsonObject().put("peer", drainPeer).put("deliver-for", drainDeliverFor.toString())
            .put("hand-off-for", drainHandOffFor.toString()));
  }

  /** True when limits are shared through Redis (some endpoint is set). */
  public boolean isShared() {
    return !redisEndpoints.isEmpty();
  }

  /** {@code redis://[user:password@]host:port[/db]} each; the first is used (a Sentinel or Cluster setup later). */
  public List<String> getRedisEndpoints() {
    return redisEndpoints;
  }

  public ClusterOptions setRedisEndpoints(List<String> endpoints) {
    List<String> clean = new ArrayList<>();
    for (String e : endpoints) {
      String t = e == null ? "" : e.trim();
      if (t.isEmpty()) {
        continue;
      }
      if (!t.startsWith("redis://") && !t.startsWith("rediss://")) {
        throw new IllegalArgumentException("cluster.redis.endpoints: '" + t + "' is not a redis:// or rediss:// address");
      }
      clean.add(t);
    }
    this.redisEndpoints = clean;
    return this;
  }

  /** Prefix of every key this cluster writes (several clusters may share one Redis). */
  public String getKeyPrefix() {
    return keyPrefix;
  }

  public ClusterOptions setKeyPrefix(String keyPrefix) {
    this.keyPrefix = keyPrefix;
    return this;
  }

  /** How long a connection lease lives without renewal: a node that dies frees its leases within this time. */
  public Duration getLeaseTime() {
    return leaseTime;
  }

  public ClusterOptions setLeaseTime(Duration leaseTime) {
    this.leaseTime = ProtocolConfig.positive("cluster.redis.lease-time", leaseTime);
    return this;
  }

  /** A Redis call that has not answered in this time counts as Redis being unreachable. */
  public Duration getTimeout() {
    return timeout;
  }

  public ClusterOptions setTimeout(Duration timeout) {
    this.timeout = ProtocolConfig.positive("cluster.redis.timeout", timeout);
    return this;
  }

  /** While on local limits, Redis is tried again this often. */
  public Duration getRetryPeriod() {
    return retryPeriod;
  }

  public ClusterOptions setRetryPeriod(Duration retryPeriod) {
    this.retryPeriod = ProtocolConfig.positive("cluster.redis.retry-period", retryPeriod);
    return this;
  }

  /** Connections to Redis per node. */
  public int getPoolSize() {
    return poolSize;
  }

  public ClusterOptions setPoolSize(int poolSize) {
    this.poolSize = ProtocolConfig.atLeastOne("cluster.redis.pool-size", poolSize);
    return this;
  }

  /** Nodes the cluster usually runs: without Redis, each node allows cap / this (at least one). */
  public int getExpectedNodes() {
    return expectedNodes;
  }

  public ClusterOptions setExpectedNodes(int expectedNodes) {
    this.expectedNodes = ProtocolConfig.atLeastOne("cluster.expected-nodes", expectedNodes);
    return this;
  }

  /** This node's name in lease entries; empty: the host name and the process id. */
  public String getNodeId() {
    return nodeId;
  }

  public ClusterOptions setNodeId(String nodeId) {
    this.nodeId = nodeId == null ? "" : nodeId;
    return this;
  }

  /**
   * Where a draining node hands what it could not deliver in {@link #getDrainDeliverFor()}: {@code host[:port]}
   * (port 25 by default) of the other nodes, usually the cluster's SMTP Service, which must accept relaying
   * from the nodes. Empty: a drain leaves the rest in the spool for the node's next start, and SIGTERM does
   * not drain.
   */
  public String getDrainPeer() {
    return drainPeer;
  }

  public ClusterOptions setDrainPeer(String peer) {
    String p = peer == null ? "" : peer.trim();
    if (!p.isEmpty()) {
      try {
        dev.peregrine.dns.MxResolverOptions.Route.parse(p, 25);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("cluster.drain.peer: " + e.getMessage(), e);
      }
    }
    this.drainPeer = p;
    return this;
  }

  /** True when a drain (and so SIGTERM) hands the rest of the queue to {@link #getDrainPeer()}. */
  public boolean handsOff() {
    return !drainPeer.isEmpty();
  }

  /** How long a draining node goes on delivering (with its listeners closed) before it hands off the rest. */
  public Duration getDrainDeliverFor() {
    return drainDeliverFor;
  }

  public ClusterOptions setDrainDeliverFor(Duration d) {
    if (d == null || d.isNegative()) {
      throw new IllegalArgumentException("cluster.drain.deliver-for must be zero or more, not " + d);
    }
    this.drainDeliverFor = d;
    return this;
  }

  /** How long the hand-off tries; what is not handed off by then stays in the spool (and is logged). */
  public Duration getDrainHandOffFor() {
    return drainHandOffFor;
  }

  public ClusterOptions setDrainHandOffFor(Duration d) {
    this.drainHandOffFor = ProtocolConfig.positive("cluster.drain.hand-off-for", d);
    return this;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ClusterOptions other && toJson().equals(other.toJson());
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }

  @Override
  public String toString() {
    // No endpoint text: it may carry a password.
    return "ClusterOptions" + toJson().put("redis", toJson().getJsonObject("redis").put("endpoints",
        redisEndpoints.size() + " endpoint(s)")).encode();
  }
}
