package dev.peregrine.cluster.impl;

import dev.peregrine.cluster.ClusterOptions;
import dev.peregrine.cluster.SharedLimits;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Limits shared through Redis: a cap is a sorted set of leases (member: node and permit, score: expiry in
 * Redis's own clock), taken by one Lua script that drops expired leases and adds one only below the cap, and
 * renewed every third of the lease time while held, all of this node's leases in one script call; a rate is
 * a GCRA whose theoretical arrival time is one key, checked and reserved by one script. One round trip per
 * check, times from Redis's {@code TIME}, so node clocks do not matter.
 *
 * <p>A node that finds a cap full marks the key as wanted (for a second); every quarter second the nodes
 * holding slots of a key look for that mark and hand it to the {@link #contentionHandler}, which ends their
 * idle sessions, so that idle connections do not starve a busy node.
 *
 * <p>When a call fails or outlives {@code timeout}, the node switches to {@link LocalLimits} of cap /
 * {@code expected-nodes}, logs it once, pings Redis every {@code retry-period}, and switches back when it
 * answers (logged once too). While down, a connection slot is granted when this node holds fewer than its
 * share of the key, counting the slots Redis granted before the outage (whose idle sessions are closed at
 * the switch); every slot, local or not, is renewed into Redis once it is back (one that expired meanwhile,
 * or was lost with a restarted Redis, is added again: the session it stands for is still open). So the
 * cluster holds a cap exactly while Redis answers; during an outage a node holds at most the larger of its
 * share and the busy sessions it had when Redis went away.
 */
public final class RedisLimits implements SharedLimits {

  private static final System.Logger LOG = System.getLogger("dev.peregrine.cluster");

  private static final String LEASE = String.join("\n",
      "local t = redis.call('TIME')",
      "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)",
      "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))",
      "if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then",
      "  redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[1])), ARGV[3])",
      "  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2)",
      "  return 1",
      "end",
      "redis.call('SET', KEYS[2], '1', 'PX', tonumber(ARGV[4]))",
      "return 0");

  /** KEYS: the lease sets; ARGV[1]: lease ms, ARGV[1 + i]: the member in KEYS[i]. */
  private static final String RENEW = String.join("\n",
      "local t = redis.call('TIME')",
      "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)",
      "local expiry = string.format('%.0f', now + tonumber(ARGV[1]))",
      "for i = 1, #KEYS do",
      "  redis.call('ZADD', KEYS[i], expiry, ARGV[i + 1])",
      "  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[1]) * 2)",
      "end",
      "return #KEYS");

  /** GCRA in µs. ARGV: interval, tolerance ((burst - 1) x interval), max wait. Returns the wait, or -1. */
  private static final String GCRA = String.join("\n",
      "local t = redis.call('TIME')",
      "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])",
      "local interval = tonumber(ARGV[1])",
      "local tat = tonumber(redis.call('GET', KEYS[1]) or '0')",
      "if tat < now then tat = now end",
      "local delay = tat - now - tonumber(ARGV[2])",
      "if delay < 0 then delay = 0 end",
      "if delay > tonumber(ARGV[3]) then return -1 end",
      "local nexttat = tat + interval",
      "redis.call('SET', KEYS[1], string.format('%.0f', nexttat), 'PX', math.floor((nexttat - now) / 1000) + 1)",
      "return delay");

  private final Vertx vertx;
  private final ClusterOptions options;
  private final Redis redis;
  private final LocalLimits local;
  private final String node;
  private final long leaseMillis;
  private final long timeoutMillis;
  private final AtomicLong ids = new AtomicLong();
  /** Tells this process's leases from those a previous process of the same node id left in Redis. */
  private final String run = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
  private final AtomicLong calls = new AtomicLong();
  private final Map<String, Lease> leases = new ConcurrentHashMap<>();
  private final Map<String, String> shas = new ConcurrentHashMap<>();
  private final AtomicBoolean down = new AtomicBoolean();
  private final AtomicBoolean confirming = new AtomicBoolean();
  private volatile String downReason;
  private volatile Instant downSince;
  private final long renewTimer;
  private final long contentionTimer;
  private volatile java.util.function.Consumer<String> contention;
  private volatile long probeTimer = -1;
  /** Until this System.nanoTime(), after Redis came back, new slots only within the local share. */
  private volatile long settleUntil = System.nanoTime();
  private volatile boolean closed;

  private record Lease(String name, String key, String member) {
  }

  /** How long a waiter's "wanted" mark lives, and how often holders look for one. */
  private static final long WANT_MILLIS = 1000;
  private static final long CONTENTION_PERIOD = 250;

  public RedisLimits(Vertx vertx, ClusterOptions options) {
    this.vertx = vertx;
    this.options = new ClusterOptions(options);
    this.leaseMillis = options.getLeaseTime().toMillis();
    this.timeoutMillis = options.getTimeout().toMillis();
    this.local = new LocalLimits(vertx, options.getExpectedNodes());
    this.node = options.getNodeId().isEmpty() ? defaultNodeId() : options.getNodeId();
    this.redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(options.getRedisEndpoints().get(0))
        .setMaxPoolSize(options.getPoolSize()).setMaxPoolWaiting(10_000)
        .setNetClientOptions(new NetClientOptions().setConnectTimeout((int) Math.max(1, timeoutMillis))
            .setTcpNoDelay(true)));
    this.renewTimer = vertx.setPeriodic(Math.max(1, leaseMillis / 3), id -> renew());
    this.contentionTimer = vertx.setPeriodic(CONTENTION_PERIOD, id -> contention());
  }

  @Override
  public void contentionHandler(java.util.function.Consumer<String> handler) {
    this.contention = handler;
  }

  /** Asks, for the keys this node holds slots of, whether another node waited for one in the last second. */
  private void contention() {
    java.util.function.Consumer<String> h = contention;
    if (h == null || down.get() || closed || leases.isEmpty()) {
      return;
    }
    List<String> names = leases.values().stream().map(Lease::name).distinct().toList();
    Request r = Request.cmd(Command.MGET);
    names.forEach(n -> r.arg(options.getKeyPrefix() + "want:" + n));
    calls.incrementAndGet();
    redis.send(r).timeout(timeoutMillis, TimeUnit.MILLISECONDS).onComplete(ar -> {
      if (ar.failed()) {
        failed(ar.cause());
        return;
      }
      for (int i = 0; i < names.size(); i++) {
        if (ar.result().get(i) != null) {
          h.accept(names.get(i));
        }
      }
    });
  }

  private static String defaultNodeId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      host = "node";
    }
    return host + "/" + ManagementFactory.getRuntimeMXBean().getPid();
  }

  // ---- caps ----

  @Override
  public Future<Permit> acquire(String key, int cap, long waitMillis) {
    ContextInternal ctx = (ContextInternal) vertx.getOrCreateContext();
    if (closed) {
      return ctx.failedFuture(new IllegalStateException("the limits are closed"));
    }
    Promise<Permit> p = ctx.promise();
    tryLease(ctx, key, cap, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis), waitMillis, 20, p);
    return p.future();
  }

  private void tryLease(ContextInternal ctx, String key, int cap, long deadline, long waitMillis, long backoff,
                        Promise<Permit> p) {
    String member = node + "#" + run + "-" + ids.incrementAndGet();
    String setKey = options.getKeyPrefix() + "lease:" + key;
    if (down.get()) {
      Lease l = localLease(key, setKey, member, cap);
      if (l != null) {
        p.complete(release(l));
        return;
      }
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        p.fail(new LimitWaitException("no slot of " + key + " (cap " + cap + " / " + options.getExpectedNodes()
            + " nodes while Redis is unreachable) came free within " + waitMillis + " ms"));
        return;
      }
      long wait = Math.min(left, backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1));
      vertx.setTimer(Math.max(1, wait), id -> ctx.runOnContext(v ->
          tryLease(ctx, key, cap, deadline, waitMillis, Math.min(500, backoff * 2), p)));
      return;
    }
    if (System.nanoTime() - settleUntil < 0 && !withinShare(key, cap)) {
      // Redis just came back: until every node has put its sessions back in it, this node's share only.
      busy(ctx, key, cap, deadline, waitMillis, backoff, p);
      return;
    }
    script(LEASE, List.of(setKey, options.getKeyPrefix() + "want:" + key),
        List.of(Long.toString(leaseMillis), Integer.toString(cap), member, Long.toString(WANT_MILLIS)))
        .onComplete(ar -> {
          if (ar.failed()) {
            failed(ar.cause());
            if (System.nanoTime() - deadline >= 0) {
              p.fail(new LimitWaitException("no slot of " + key + " within " + waitMillis + " ms: Redis " + ar.cause().getMessage()));
              return;
            }
            // Again once the PING has decided (local limits if Redis is down), without spinning meanwhile.
            vertx.setTimer(Math.max(1, Math.min(timeoutMillis, 50)), id -> ctx.runOnContext(v ->
                tryLease(ctx, key, cap, deadline, waitMillis, backoff, p)));
          } else if (ar.result().toInteger() == 1) {
            Lease l = new Lease(key, setKey, member);
            synchronized (this) {
              leases.put(member, l);
            }
            p.complete(release(l));
          } else {
            busy(ctx, key, cap, deadline, waitMillis, backoff, p);
          }
        });
  }

  /** No slot now: fails past the deadline, else tries again after a jittered back-off. */
  private void busy(ContextInternal ctx, String key, int cap, long deadline, long waitMillis, long backoff,
                    Promise<Permit> p) {
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (left <= 0) {
      p.fail(new LimitWaitException("no slot of " + key + " (cap " + cap + " across the cluster) came free within "
          + waitMillis + " ms"));
      return;
    }
    // Polling: a slot freed on another node tells nobody. Back off to at most 500 ms, with jitter.
    long wait = Math.min(left, backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1));
    vertx.setTimer(Math.max(1, wait), id -> ctx.runOnContext(v ->
        tryLease(ctx, key, cap, deadline, waitMillis, Math.min(500, backoff * 2), p)));
  }

  /**
   * Whether this node holds fewer slots of {@code key} than its local share (cap / expected nodes, at least
   * one): all it may hold while Redis is down, and while it settles after coming back.
   */
  private synchronized boolean withinShare(String key, int cap) {
    return leases.values().stream().filter(l -> l.name().equals(key)).count() < Math.max(1, cap / options.getExpectedNodes());
  }

  /**
   * While Redis is unreachable: a slot of this node's share (cap / expected-nodes, at least one), counting the
   * slots it already holds of the key, those Redis granted before the outage included; null when the share is
   * taken. The lease is kept like the others, so Redis learns of it with the first renewal once it is back.
   */
  private synchronized Lease localLease(String key, String setKey, String member, int cap) {
    if (!withinShare(key, cap)) {
      return null;
    }
    Lease l = new Lease(key, setKey, member);
    leases.put(member, l);
    return l;
  }

  private Permit release(Lease l) {
    AtomicBoolean done = new AtomicBoolean();
    return () -> {
      if (done.compareAndSet(false, true) && leases.remove(l.member()) != null && !down.get() && !closed) {
        calls.incrementAndGet();
        // Best effort: a lease we fail to remove expires within the lease time.
        redis.send(Request.cmd(Command.ZREM).arg(l.key()).arg(l.member())).timeout(timeoutMillis, TimeUnit.MILLISECONDS)
            .onFailure(this::failed);
      }
    };
  }

  private void renew() {
    if (down.get() || closed) {
      return;
    }
    if (leases.isEmpty()) {
      // Nothing to renew: a PING instead, so that a node with nothing to send still knows (and reports on
      // /ready and in the metrics) whether Redis answers.
      calls.incrementAndGet();
      redis.send(Request.cmd(Command.PING)).timeout(timeoutMillis, TimeUnit.MILLISECONDS).onFailure(this::failed);
      return;
    }
    List<String> keys = new ArrayList<>();
    List<String> args = new ArrayList<>();
    args.add(Long.toString(leaseMillis));
    for (Lease l : leases.values()) {
      keys.add(l.key());
      args.add(l.member());
    }
    script(RENEW, keys, args).onFailure(this::failed);
  }

  /** Stops renewing and forgets the leases without releasing them, as if this process had died (tests). */
  void abandon() {
    vertx.cancelTimer(renewTimer);
    leases.clear();
  }

  // ---- rates ----

  @Override
  public Future<Void> rate(String key, double perSecond, double burst, long waitMillis) {
    ContextInternal ctx = (ContextInternal) vertx.getOrCreateContext();
    if (perSecond <= 0) {
      return ctx.succeededFuture();
    }
    if (down.get()) {
      return local.rate(key, perSecond, burst, waitMillis);
    }
    long interval = Math.max(1, (long) (1_000_000 / perSecond));
    long tolerance = (long) ((Math.max(1, burst) - 1) * interval);
    Promise<Void> p = ctx.promise();
    script(GCRA, List.of(options.getKeyPrefix() + "rate:" + key),
        List.of(Long.toString(interval), Long.toString(tolerance), Long.toString(waitMillis * 1000)))
        .onComplete(ar -> {
          if (ar.failed()) {
            failed(ar.cause());
            local.rate(key, perSecond, burst, waitMillis).onComplete(p);
            return;
          }
          long delayMicros = ar.result().toLong();
          if (delayMicros < 0) {
            p.fail(new LimitWaitException("the rate of " + key + " (" + perSecond + "/s across the cluster) allows no turn within "
                + waitMillis + " ms"));
          } else if (delayMicros < 1000) {
            p.complete();
          } else {
            vertx.setTimer(delayMicros / 1000, id -> ctx.runOnContext(v -> p.complete()));
          }
        });
    return p.future();
  }

  // ---- Redis calls, failure and recovery ----

  private Future<Response> script(String script, List<String> keys, List<String> args) {
    String sha = shas.computeIfAbsent(script, RedisLimits::sha1);
    Request r = Request.cmd(Command.EVALSHA).arg(sha).arg(keys.size());
    keys.forEach(r::arg);
    args.forEach(r::arg);
    calls.incrementAndGet();
    return redis.send(r).timeout(timeoutMillis, TimeUnit.MILLISECONDS).recover(t -> {
      if (t.getMessage() == null || !t.getMessage().startsWith("NOSCRIPT")) {
        return Future.failedFuture(t);
      }
      // First use on this Redis (or after a restart or SCRIPT FLUSH): send the text, which caches it.
      Request e = Request.cmd(Command.EVAL).arg(script).arg(keys.size());
      keys.forEach(e::arg);
      args.forEach(e::arg);
      calls.incrementAndGet();
      return redis.send(e).timeout(timeoutMillis, TimeUnit.MILLISECONDS);
    });
  }

  private static String sha1(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A call failed or was slow: one PING decides. If it answers in time this was a slow moment (a busy
   * machine, a long script queue) and the limits stay shared; if not, the node goes to local limits.
   */
  private void failed(Throwable cause) {
    if (closed || down.get() || !confirming.compareAndSet(false, true)) {
      return;
    }
    calls.incrementAndGet();
    redis.send(Request.cmd(Command.PING)).timeout(timeoutMillis, TimeUnit.MILLISECONDS).onComplete(ar -> {
      confirming.set(false);
      if (ar.failed()) {
        down(cause);
      }
    });
  }

  private void down(Throwable cause) {
    if (closed || !down.compareAndSet(false, true)) {
      return;
    }
    downSince = Instant.now();
    downReason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    LOG.log(System.Logger.Level.WARNING, "cluster: Redis " + endpointForLog() + " unreachable (" + downReason
        + "): local limits of each cap and rate / " + options.getExpectedNodes() + " until it answers");
    // Sessions opened under the shared caps stay open, but the idle ones go: they count against this node's share.
    java.util.function.Consumer<String> h = contention;
    if (h != null && options.getExpectedNodes() > 1) {
      leases.values().stream().map(Lease::name).distinct().forEach(h);
    }
    probeTimer = vertx.setPeriodic(options.getRetryPeriod().toMillis(), id -> probe());
  }

  private void probe() {
    if (closed) {
      return;
    }
    calls.incrementAndGet();
    redis.send(Request.cmd(Command.PING)).timeout(timeoutMillis, TimeUnit.MILLISECONDS).onSuccess(r -> {
      if (down.compareAndSet(true, false)) {
        // Redis keeps nothing across a restart: the other nodes' sessions are back in it once each has seen
        // it answer (within a retry period) and renewed; until then this node keeps to its local share.
        settleUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.getRetryPeriod().toMillis() + 2 * timeoutMillis);
        vertx.cancelTimer(probeTimer);
        LOG.log(System.Logger.Level.WARNING, "cluster: Redis " + endpointForLog() + " answers again: shared limits resumed");
        renew();
      }
    });
  }

  /** The endpoint without a password. */
  private String endpointForLog() {
    return options.getRedisEndpoints().get(0).replaceFirst("//[^@/]*@", "//");
  }

  @Override
  public boolean isShared() {
    return !down.get();
  }

  @Override
  public String state() {
    return down.get()
        ? "local: Redis " + endpointForLog() + " unreachable since " + downSince + " (" + downReason + "), each cap and rate / "
            + options.getExpectedNodes()
        : "shared: Redis " + endpointForLog();
  }

  @Override
  public long redisCalls() {
    return calls.get();
  }

  @Override
  public Future<Void> close() {
    closed = true;
    vertx.cancelTimer(renewTimer);
    vertx.cancelTimer(contentionTimer);
    if (probeTimer >= 0) {
      vertx.cancelTimer(probeTimer);
    }
    List<Future<?>> done = new ArrayList<>();
    if (!down.get() && !leases.isEmpty()) {
      for (Lease l : leases.values()) {
        done.add(redis.send(Request.cmd(Command.ZREM).arg(l.key()).arg(l.member()))
            .timeout(timeoutMillis, TimeUnit.MILLISECONDS));
      }
    }
    leases.clear();
    return Future.join(done).transform(ar -> local.close()).eventually(redis::close);
  }
}
