package dev.peregrine.pool.impl;

import dev.peregrine.client.ClientSession;
import dev.peregrine.client.SmtpConnectionException;
import dev.peregrine.pool.HostDownException;
import dev.peregrine.pool.Lease;
import dev.peregrine.pool.PoolExhaustedException;
import dev.peregrine.pool.PoolKey;
import dev.peregrine.pool.PoolStats;
import dev.peregrine.pool.SessionConnector;
import dev.peregrine.pool.SessionPool;
import dev.peregrine.pool.SessionPoolOptions;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * {@link SessionPool} with all of its state behind one lock, held only to decide (never across I/O or a
 * callback): each operation collects what to do next (complete a waiter, connect, QUIT a session) and does
 * it after unlocking. One lock makes the caps exact across event loops; the decisions are a few hundred
 * nanoseconds against a network round trip per lease.
 */
public final class SessionPoolImpl implements SessionPool {

  /** How long a key whose connector said "capped" opens no new session. */
  private static final long CAPPED_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(250);

  private final class Group {
    final PoolKey key;
    final List<Slot> slots = new ArrayList<>(4);
    final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    int connecting;
    /** Sessions leaving (QUIT sent, socket not yet closed): they still count against the caps. */
    int closing;
    /**
     * Until this time no new session is opened for the key: the connector said the slots beyond those open
     * are taken elsewhere (a cluster-wide cap), so waiters wait for the open ones.
     */
    long cappedUntil;

    Group(PoolKey key) {
      this.key = key;
    }

    int size() {
      return slots.size() + connecting + closing;
    }
  }

  private static final class Slot {
    final Group group;
    final ClientSession session;
    final Context context;
    final long created;
    long lastUsed;
    int inUse;
    int leases;
    boolean retiring;

    Slot(Group group, ClientSession session, Context context, long now) {
      this.group = group;
      this.session = session;
      this.context = context;
      this.created = now;
      this.lastUsed = now;
    }
  }

  private static final class Waiter {
    final Promise<Lease> promise;
    final ContextInternal context;
    final String serverName;
    long timer = -1;

    Waiter(Promise<Lease> promise, ContextInternal context, String serverName) {
      this.promise = promise;
      this.context = context;
      this.serverName = serverName;
    }
  }

  private final class LeaseImpl implements Lease {
    private final Slot slot;
    private final boolean reused;
    private final AtomicBoolean done = new AtomicBoolean();

    LeaseImpl(Slot slot, boolean reused) {
      this.slot = slot;
      this.reused = reused;
    }

    @Override
    public ClientSession session() {
      return slot.session;
    }

    @Override
    public Context context() {
      return slot.context;
    }

    @Override
    public boolean reused() {
      return reused;
    }

    @Override
    public void release() {
      if (done.compareAndSet(false, true)) {
        giveBack(slot, false);
      }
    }

    @Override
    public void discard() {
      if (done.compareAndSet(false, true)) {
        giveBack(slot, true);
      }
    }
  }

  private final Vertx vertx;
  private final SessionPoolOptions options;
  private final SessionConnector connector;
  private final LongSupplier clock;
  private final Map<PoolKey, Group> groups = new HashMap<>();
  private final Map<String, Integer> perHost = new HashMap<>();
  private final Map<String, Integer> closingPerHost = new HashMap<>();
  private final Map<String, Integer> peakPerHost = new LinkedHashMap<>();
  private final Map<String, Long> downUntil = new HashMap<>();
  private final Map<String, Throwable> downCause = new HashMap<>();
  private final long sweeper;
  private int total;
  private int closingTotal;
  private boolean closed;
  private long opened;
  private long connectFailures;
  private long leases;
  private long reusedLeases;
  private long closedCount;

  public SessionPoolImpl(Vertx vertx, SessionPoolOptions options, SessionConnector connector) {
    this(vertx, options, connector, System::nanoTime);
  }

  public SessionPoolImpl(Vertx vertx, SessionPoolOptions options, SessionConnector connector, LongSupplier nanoClock) {
    this.vertx = vertx;
    this.options = new SessionPoolOptions(options);
    this.connector = connector;
    this.clock = nanoClock;
    long period = Math.max(50, Math.min(1000, options.getMaxIdle().toMillis() / 4));
    this.sweeper = vertx.setPeriodic(period, id -> sweep());
  }

  @Override
  public Future<Lease> acquire(PoolKey key, String serverName) {
    ContextInternal ctx = (ContextInternal) vertx.getOrCreateContext(); // the caller's, when it has one
    Promise<Lease> promise = ctx.promise();
    Waiter w = new Waiter(promise, ctx, serverName);
    List<Runnable> after = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        after.add(() -> promise.tryFail(new IllegalStateException("the session pool is closed")));
      } else {
        long now = clock.getAsLong();
        Group g = groups.computeIfAbsent(key, Group::new);
        if (!place(g, w, now, after)) {
          Long down = downUntil.get(endpoint(key));
          if (down != null && now - down < 0 && g.slots.isEmpty() && g.connecting == 0) {
            // Marked down and nothing open to wait for: refuse at once.
            HostDownException e = new HostDownException(endpoint(key), (down - now) / 1_000_000, downCause.get(endpoint(key)));
            after.add(() -> promise.tryFail(e));
          } else {
            if (g.waiters.size() >= options.getMaxWaiters()) {
              after.add(() -> promise.tryFail(new PoolExhaustedException(
                  "already " + g.waiters.size() + " callers waiting for a session to " + key)));
            } else {
              g.waiters.add(w);
              w.timer = vertx.setTimer(options.getWaitTimeout().toMillis(), id -> timedOut(g, w));
            }
          }
        }
      }
    }
    run(after);
    return promise.future();
  }

  /** A count that reaches 0 leaves its map: the maps hold the addresses in use, not every one ever seen. */
  private static Integer sumOrForget(Integer a, Integer b) {
    int n = a + b;
    return n == 0 ? null : n;
  }

  private static void run(List<Runnable> actions) {
    for (Runnable r : actions) {
      r.run();
    }
  }

  /**
   * Finds a session for {@code w} now: an idle one, a new one within the caps (evicting an idle session of
   * another key when a shared cap is full), or room in a busy session's pipeline. False = it must wait.
   */
  private boolean place(Group g, Waiter w, long now, List<Runnable> after) {
    Slot idle = null;
    Slot busy = null;
    for (Iterator<Slot> it = g.slots.iterator(); it.hasNext(); ) {
      Slot s = it.next();
      if (!usable(s, now)) {
        if (s.inUse == 0) {
          it.remove();
          dropped(s, after);
        }
        continue;
      }
      if (s.inUse == 0) {
        if (idle == null || s.lastUsed - idle.lastUsed > 0) {
          idle = s; // the most recently used: the warmest
        }
      } else if (s.inUse < depth(s) && (busy == null || s.inUse < busy.inUse)) {
        busy = s;
      }
    }
    if (idle != null) {
      lease(idle, w, after);
      return true;
    }
    Long down = downUntil.get(endpoint(g.key));
    // Sessions already open still serve while it is down, or while the slots beyond them are taken elsewhere.
    boolean mayConnect = (down == null || now - down >= 0) && now - g.cappedUntil >= 0;
    if (mayConnect && g.size() < options.getMaxPerKey() && makeRoom(g.key.address(), after)) {
      g.connecting++;
      perHost.merge(g.key.address(), 1, Integer::sum);
      total++;
      after.add(() -> connect(g, w));
      return true;
    }
    if (busy != null) {
      lease(busy, w, after);
      return true;
    }
    return false;
  }

  private int depth(Slot s) {
    return s.session.capabilities().pipelining() ? options.getPipelineDepth() : 1;
  }

  private boolean usable(Slot s, long now) {
    return !s.retiring && s.session.isOpen() && s.leases < options.getMaxMessagesPerSession()
        && now - s.created < options.getMaxAge().toNanos()
        && (s.inUse > 0 || now - s.lastUsed < options.getMaxIdle().toNanos());
  }

  /** True when one more session to {@code address} fits the host and total caps, after evicting an idle one. */
  private boolean makeRoom(String address, List<Runnable> after) {
    if (perHost.getOrDefault(address, 0) >= options.getMaxPerHost()) {
      return evictIdle(address, after);
    }
    if (total >= options.getMaxTotal()) {
      return evictIdle(null, after);
    }
    return true;
  }

  /**
   * Starts closing the least recently used idle session (of {@code address}, or of any host when null) to
   * make room; the room appears when it has closed. False: there is no room now.
   */
  private boolean evictIdle(String address, List<Runnable> after) {
    int closingNow = address == null ? closingTotal
        : closingPerHost.getOrDefault(address, 0);
    if (closingNow > 0) {
      return false; // room is on its way
    }
    Slot oldest = null;
    for (Group g : groups.values()) {
      if (address != null && !g.key.address().equals(address)) {
        continue;
      }
      for (Slot s : g.slots) {
        if (s.inUse == 0 && (oldest == null || s.lastUsed - oldest.lastUsed < 0)) {
          oldest = s;
        }
      }
    }
    if (oldest != null) {
      oldest.group.slots.remove(oldest);
      dropped(oldest, after);
    }
    return false;
  }

  private void lease(Slot s, Waiter w, List<Runnable> after) {
    s.inUse++;
    boolean reused = s.leases > 0;
    s.leases++;
    leases++;
    if (reused) {
      reusedLeases++;
    }
    if (w.timer >= 0) {
      vertx.cancelTimer(w.timer);
    }
    LeaseImpl lease = new LeaseImpl(s, reused);
    after.add(() -> {
      if (!w.promise.tryComplete(lease)) {
        lease.release(); // the waiter gave up meanwhile
      }
    });
  }

  /**
   * A slot left the pool: its session ends (QUIT when still open), and only once its socket is closed do
   * its counts go, so that the caps bound real connections, not just pooled ones.
   */
  private void dropped(Slot s, List<Runnable> after) {
    s.retiring = true;
    s.group.closing++;
    closingPerHost.merge(s.group.key.address(), 1, Integer::sum);
    closingTotal++;
    closedCount++;
    after.add(() -> {
      Future<Void> end = s.session.isOpen() ? s.session.quit().recover(e -> s.session.close()) : s.session.close();
      end.onComplete(ar -> closed(s));
    });
  }

  private void closed(Slot s) {
    List<Runnable> after = new ArrayList<>();
    synchronized (this) {
      String address = s.group.key.address();
      s.group.closing--;
      closingPerHost.merge(address, -1, SessionPoolImpl::sumOrForget);
      closingTotal--;
      perHost.merge(address, -1, SessionPoolImpl::sumOrForget);
      total--;
      serveWaiters(clock.getAsLong(), after);
    }
    run(after);
  }

  private void connect(Group g, Waiter w) {
    Runnable open = () -> {
      Future<ClientSession> f;
      try {
        f = connector.connect(g.key, w.serverName);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(ar -> connected(g, w, ar));
    };
    if (Vertx.currentContext() == w.context) {
      open.run();
    } else {
      w.context.runOnContext(v -> open.run());
    }
  }

  private void connected(Group g, Waiter w, AsyncResult<ClientSession> ar) {
    List<Runnable> after = new ArrayList<>();
    synchronized (this) {
      g.connecting--;
      long now = clock.getAsLong();
      if (ar.failed() && ar.cause() instanceof PoolExhaustedException && !g.slots.isEmpty() && !closed) {
        // No more room for this key elsewhere (the connector's cap): the caller waits for an open session,
        // and no new one is tried for a while.
        perHost.merge(g.key.address(), -1, SessionPoolImpl::sumOrForget);
        total--;
        g.cappedUntil = now + CAPPED_NANOS;
        g.waiters.addFirst(w);
        w.timer = vertx.setTimer(options.getWaitTimeout().toMillis(), id -> timedOut(g, w));
      } else if (ar.failed()) {
        connectFailures++;
        perHost.merge(g.key.address(), -1, SessionPoolImpl::sumOrForget);
        total--;
        Throwable cause = ar.cause();
        after.add(() -> w.promise.tryFail(cause));
        if (cause instanceof SmtpConnectionException ce && !ce.isTlsFailure() && !ce.isStale()) {
          markDown(endpoint(g.key), cause, now, after);
        }
      } else if (closed) {
        after.add(() -> ar.result().close());
        after.add(() -> w.promise.tryFail(new IllegalStateException("the session pool is closed")));
      } else {
        Slot s = new Slot(g, ar.result(), Vertx.currentContext(), now);
        g.slots.add(s);
        opened++;
        peakPerHost.merge(g.key.address(), perHost.getOrDefault(g.key.address(), 0), Math::max);
        lease(s, w, after);
      }
      serveWaiters(now, after);
    }
    run(after);
  }

  /** Refuses the address for the back-off interval, and fails those waiting for it with no session to wait on. */
  private void markDown(String endpoint, Throwable cause, long now, List<Runnable> after) {
    downUntil.put(endpoint, now + options.getHostDownBackoff().toNanos());
    downCause.put(endpoint, cause);
    for (Group g : groups.values()) {
      if (endpoint(g.key).equals(endpoint) && g.slots.isEmpty() && g.connecting == 0) {
        failWaiters(g, options.getHostDownBackoff().toMillis(), cause, after);
      }
    }
  }

  /** The address is down and nothing of this key is open or opening: its waiters would wait in vain. */
  /** What is marked down: an address and port (a host may refuse on one port and serve on another). */
  private static String endpoint(PoolKey key) {
    return key.address().indexOf(':') >= 0 ? "[" + key.address() + "]:" + key.port() : key.address() + ":" + key.port();
  }

  private void failWaiters(Group g, long retryInMillis, Throwable cause, List<Runnable> after) {
    Waiter w;
    while ((w = g.waiters.poll()) != null) {
      if (w.timer >= 0) {
        vertx.cancelTimer(w.timer);
      }
      Promise<Lease> p = w.promise;
      HostDownException e = new HostDownException(endpoint(g.key), retryInMillis, cause);
      after.add(() -> p.tryFail(e));
    }
  }

  private void giveBack(Slot s, boolean discard) {
    List<Runnable> after = new ArrayList<>();
    synchronized (this) {
      long now = clock.getAsLong();
      s.inUse--;
      s.lastUsed = now;
      if (discard) {
        s.retiring = true;
        Slot dead = s;
        after.add(() -> dead.session.close());
      }
      if (!s.retiring && !usable(s, now)) {
        s.retiring = true; // a cap: it ends once its last transaction is done
      }
      if (s.retiring && s.inUse == 0 && s.group.slots.remove(s)) {
        dropped(s, after);
      }
      serveWaiters(now, after);
    }
    run(after);
  }

  @Override
  public int closeIdle(String address) {
    List<Runnable> after = new ArrayList<>();
    int n = 0;
    synchronized (this) {
      for (Group g : groups.values()) {
        if (!g.key.address().equals(address)) {
          continue;
        }
        for (Slot s : new ArrayList<>(g.slots)) {
          if (s.inUse == 0) {
            g.slots.remove(s);
            dropped(s, after);
            n++;
          }
        }
      }
    }
    run(after);
    return n;
  }

  /** Gives waiting callers what the pool can offer now, across keys (a freed slot may lift a shared cap). */
  private void serveWaiters(long now, List<Runnable> after) {
    if (closed) {
      return;
    }
    for (Group g : groups.values()) {
      while (!g.waiters.isEmpty()) {
        Long down = downUntil.get(endpoint(g.key));
        if (down != null && now - down < 0 && g.slots.isEmpty() && g.connecting == 0) {
          failWaiters(g, (down - now) / 1_000_000, downCause.get(endpoint(g.key)), after);
          break;
        }
        Waiter w = g.waiters.peek();
        if (!place(g, w, now, after)) {
          break;
        }
        g.waiters.poll();
      }
    }
  }

  private void timedOut(Group g, Waiter w) {
    boolean removed;
    synchronized (this) {
      removed = g.waiters.remove(w);
    }
    if (removed) {
      w.promise.tryFail(new PoolExhaustedException("no session to " + g.key + " became free within "
          + options.getWaitTimeout().toMillis() + " ms"));
    }
  }

  /** Ends sessions past their idle or age cap, forgets expired host-down marks and unused keys. */
  private void sweep() {
    List<Runnable> after = new ArrayList<>();
    synchronized (this) {
      long now = clock.getAsLong();
      for (Iterator<Group> gi = groups.values().iterator(); gi.hasNext(); ) {
        Group g = gi.next();
        for (Iterator<Slot> it = g.slots.iterator(); it.hasNext(); ) {
          Slot s = it.next();
          if (s.inUse == 0 && !usable(s, now)) {
            it.remove();
            dropped(s, after);
          }
        }
        if (g.size() == 0 && g.waiters.isEmpty()) {
          gi.remove();
        }
      }
      downUntil.entrySet().removeIf(e -> now - e.getValue() >= 0);
      if (peakPerHost.size() > 10_000) {
        peakPerHost.keySet().retainAll(perHost.keySet()); // a statistic: keep it for the addresses in use
      }
      downCause.keySet().retainAll(downUntil.keySet());
      serveWaiters(now, after);
    }
    run(after);
  }

  @Override
  public synchronized PoolStats stats() {
    int open = 0;
    for (Group g : groups.values()) {
      open += g.slots.size();
    }
    return new PoolStats(opened, connectFailures, leases, reusedLeases, closedCount, open, Map.copyOf(peakPerHost));
  }

  @Override
  public synchronized int open(PoolKey key) {
    Group g = groups.get(key);
    return g == null ? 0 : g.slots.size();
  }

  @Override
  public Future<Void> close() {
    List<Slot> open = new ArrayList<>();
    List<Waiter> waiting = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        return Future.succeededFuture();
      }
      closed = true;
      vertx.cancelTimer(sweeper);
      for (Group g : groups.values()) {
        for (Slot s : g.slots) {
          s.retiring = true;
        }
        open.addAll(g.slots);
        g.slots.clear();
        waiting.addAll(g.waiters);
        g.waiters.clear();
      }
    }
    List<Future<Void>> quits = new ArrayList<>();
    for (Slot s : open) {
      quits.add(s.session.quit().recover(e -> s.session.close()));
    }
    for (Waiter w : waiting) {
      if (w.timer >= 0) {
        vertx.cancelTimer(w.timer);
      }
      w.promise.tryFail(new IllegalStateException("the session pool is closed"));
    }
    return Future.join(quits).mapEmpty();
  }
}
