package dev.peregrine.mailer.impl;

import dev.peregrine.client.ClientSession;
import dev.peregrine.client.DeliveryResult;
import dev.peregrine.client.MailTransaction;
import dev.peregrine.client.SmtpClient;
import dev.peregrine.client.SmtpClientException;
import dev.peregrine.client.SmtpClientFailure;
import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.SmtpConnectionException;
import dev.peregrine.dns.MxHost;
import dev.peregrine.dns.MxResolution;
import dev.peregrine.cluster.SharedLimits;
import dev.peregrine.dkim.DkimMessage;
import dev.peregrine.dkim.DkimSigner;
import dev.peregrine.dns.MxResolver;
import dev.peregrine.mailer.MailMessage;
import dev.peregrine.mailer.MailResult;
import dev.peregrine.mailer.Mailer;
import dev.peregrine.mailer.MailerMetrics;
import dev.peregrine.mailer.MailerOptions;
import dev.peregrine.mailer.RecipientOutcome;
import dev.peregrine.pool.Lease;
import dev.peregrine.pool.PoolExhaustedException;
import dev.peregrine.pool.PoolKey;
import dev.peregrine.pool.PoolStats;
import dev.peregrine.pool.SessionPool;
import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.SmtpException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.streams.ReadStream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * The {@link Mailer}: resolve → group by mail exchanger set → split → throttle → pooled session → outcome
 * per recipient, with failover along the exchangers' addresses.
 */
public final class MailerImpl implements Mailer {

  private static final int STALE_RETRIES = 3;

  /** One address to try: the exchanger's name (for TLS and reports), its address and port. */
  private record Target(String host, String address, int port) {
  }

  private final Vertx vertx;
  private final MailerOptions options;
  private final MxResolver resolver;
  private final SmtpClient client;
  private final SessionPool pool;
  /** Signs every message before it goes out; null when DKIM is off. */
  private final DkimSigner signer;
  /** Cluster-wide limits, or null: the node's own only. Set once, before any message. */
  private volatile SharedLimits limits;
  private final boolean ownsSigner;
  private final Map<String, Throttle> destinations = new ConcurrentHashMap<>();
  private final Map<String, Throttle> connectionRates = new ConcurrentHashMap<>();
  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  private int inFlight;
  private Handler<Void> drainHandler;
  /** The resume hooks of running {@link #sendAll} calls. */
  private final List<Handler<Void>> streams = new ArrayList<>();
  private final AtomicLong messages = new AtomicLong();
  private final AtomicLong transactions = new AtomicLong();
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong deferred = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong staleRetries = new AtomicLong();
  private final AtomicLong failovers = new AtomicLong();

  public MailerImpl(Vertx vertx, MailerOptions options) {
    this(vertx, options, MxResolver.create(vertx, options.getDns()));
  }

  /** With DKIM keys in the options, reads them now (a key that cannot be used throws, naming the file). */
  public MailerImpl(Vertx vertx, MailerOptions options, MxResolver resolver) {
    this(vertx, options, resolver, options.getDkim().isEnabled() ? DkimSigner.loadNow(vertx, options.getDkim()) : null,
        true);
  }

  /** Signing with {@code signer} (null: none), which it closes when it {@code owns} it. */
  public MailerImpl(Vertx vertx, MailerOptions options, DkimSigner signer, boolean owns) {
    this(vertx, options, MxResolver.create(vertx, options.getDns()), signer, owns);
  }

  /**
   * As {@link #MailerImpl(Vertx, MailerOptions, DkimSigner, boolean)}, with the connection caps, connection
   * rates and destination caps and rates also held in {@code limits} (shared by a cluster; the caller closes it).
   */
  public MailerImpl(Vertx vertx, MailerOptions options, DkimSigner signer, boolean owns, SharedLimits limits) {
    this(vertx, options, MxResolver.create(vertx, options.getDns()), signer, owns);
    this.limits = limits;
    if (limits != null) {
      // Another node waits for a slot of an exchanger we hold idle sessions to: end them.
      limits.contentionHandler(key -> {
        if (key.startsWith("mx:")) {
          pool.closeIdle(key.substring(3));
        }
      });
    }
  }

  private MailerImpl(Vertx vertx, MailerOptions options, MxResolver resolver, DkimSigner signer, boolean owns) {
    this.vertx = vertx;
    this.options = new MailerOptions(options);
    this.resolver = resolver;
    this.signer = signer;
    this.ownsSigner = owns;
    this.client = SmtpClient.create(vertx, options.getClient());
    this.pool = SessionPool.create(vertx, options.getPool(), this::connect);
  }

  /** How long a node with sessions open to an address waits for one more cluster-wide slot. */
  private static final long SLOT_GLANCE_MILLIS = 50;

  /** Sessions open (or opening) per address under cluster-wide slots. */
  private final Map<String, java.util.concurrent.atomic.AtomicInteger> openLimited = new java.util.concurrent.ConcurrentHashMap<>();

  private Future<ClientSession> connect(PoolKey key, String serverName) {
    SharedLimits shared = limits;
    if (shared != null) {
      // Across the cluster: the connection rate of the address, then one of its max-per-host slots, held
      // until the session closes.
      // With sessions of its own open there, a node only glances for a free slot: when the cluster's are
      // taken, the pool hands the caller one of those sessions as it comes free rather than a connection
      // that may wait out the whole wait-timeout.
      java.util.concurrent.atomic.AtomicInteger open = openLimited.computeIfAbsent(key.address(), a -> new java.util.concurrent.atomic.AtomicInteger());
      boolean hasSessions = open.get() > 0;
      long wait = hasSessions ? Math.min(SLOT_GLANCE_MILLIS, options.getPool().getWaitTimeout().toMillis())
          : options.getPool().getWaitTimeout().toMillis();
      int cpm = options.getConnectionsPerMinute();
      Future<Void> turn = cpm == 0 ? Future.succeededFuture()
          : shared.rate("connect:" + key.address(), cpm / 60.0, Math.max(1, cpm / 60.0), wait);
      return turn.compose(v -> shared.acquire("mx:" + key.address(), options.getPool().getMaxPerHost(), wait))
          // Our own congestion, whether or not this node has sessions there: the queue tries again shortly
          // (451 4.4.5), where "no exchanger took it" would defer the mail as if the exchanger had failed.
          .recover(t -> Future.failedFuture(t instanceof SharedLimits.LimitWaitException
              ? new PoolExhaustedException("the cluster's " + options.getPool().getMaxPerHost() + " sessions to "
                  + key.address() + " are taken: " + t.getMessage()) : t))
          .compose(permit -> {
            open.incrementAndGet();
            java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
            SharedLimits.Permit counted = () -> {
              if (released.compareAndSet(false, true)) {
                permit.release();
                open.decrementAndGet();
              }
            };
            return client.connect(key.address(), key.port(), serverName)
                .<ClientSession>map(s -> new LimitedSession(s, counted))
                .onFailure(t -> counted.release());
          });
    }
    if (options.getConnectionsPerMinute() == 0) {
      return client.connect(key.address(), key.port(), serverName);
    }
    Throttle rate = hold(connectionRates, key.address(), () -> new Throttle(vertx, Integer.MAX_VALUE,
        options.getConnectionsPerMinute() / 60.0, Math.max(1, options.getConnectionsPerMinute() / 60.0),
        System::nanoTime));
    return rate.acquire().compose(v -> {
      let(connectionRates, key.address(), rate); // a rate, not a concurrency limit
      return client.connect(key.address(), key.port(), serverName);
    }); // acquire never fails
  }

  /** The throttle of {@code key}, counted as held until {@link #let}: an idle one is forgotten, so maps stay small. */
  private static Throttle hold(Map<String, Throttle> map, String key, java.util.function.Supplier<Throttle> create) {
    return map.compute(key, (k, t) -> {
      Throttle held = t == null ? create.get() : t;
      held.users++;
      return held;
    });
  }

  private static void let(Map<String, Throttle> map, String key, Throttle t) {
    t.release();
    map.computeIfPresent(key, (k, cur) -> {
      if (cur != t) {
        return cur;
      }
      cur.users--;
      return cur.users == 0 && cur.idle() ? null : cur;
    });
  }

  // ---- admission: at most max-in-flight messages at once -------------------------------------------------

  @Override
  public Future<MailResult> send(MailMessage message) {
    ContextInternal ctx = (ContextInternal) vertx.getOrCreateContext(); // the caller's, when it has one
    Promise<MailResult> result = ctx.promise();
    Runnable start = () -> {
      Future<MailResult> f;
      try {
        f = signer == null ? deliver(message) : signThenDeliver(message, ctx);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(ar -> {
        result.handle(ar);
        finished();
      });
    };
    boolean now;
    synchronized (this) {
      now = inFlight < options.getMaxInFlight();
      if (now) {
        inFlight++;
      } else {
        // Started later as a task of its own on the sender's event loop, not on the stack that finished.
        waiting.add(() -> ctx.runOnContext(v -> start.run()));
      }
    }
    if (now) {
      start.run();
    }
    return result.future();
  }

  private void finished() {
    Runnable next;
    List<Handler<Void>> drain = List.of();
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        inFlight--;
        if (inFlight < options.getMaxInFlight()) {
          drain = new ArrayList<>(streams);
          if (drainHandler != null) {
            drain.add(drainHandler);
          }
        }
      }
    }
    if (next != null) {
      next.run();
    }
    for (Handler<Void> h : drain) {
      h.handle(null);
    }
  }

  @Override
  public synchronized boolean full() {
    return inFlight + waiting.size() >= options.getMaxInFlight();
  }

  /** Called (from any event loop) each time a message finishes and the mailer has room. */
  @Override
  public synchronized Mailer drainHandler(Handler<Void> handler) {
    this.drainHandler = handler;
    return this;
  }

  @Override
  public Future<Void> sendAll(ReadStream<MailMessage> in, Handler<MailResult> results) {
    ContextInternal ctx = (ContextInternal) vertx.getOrCreateContext();
    Promise<Void> done = ctx.promise();
    long[] pending = {0};
    boolean[] ended = {false};
    Throwable[] handlerFailed = {null};
    // The stream is used on its own context only: room reported from another event loop hops there.
    Handler<Void> resume = v -> ctx.runOnContext(x -> {
      if (!full()) {
        in.resume();
      }
    });
    synchronized (this) {
      streams.add(resume);
    }
    done.future().onComplete(ar -> {
      synchronized (this) {
        streams.remove(resume);
      }
    });
    Runnable check = () -> {
      if (ended[0] && pending[0] == 0) {
        if (handlerFailed[0] != null) {
          done.tryFail(handlerFailed[0]);
        } else {
          done.tryComplete();
        }
      }
    };
    ctx.runOnContext(start -> {
      in.exceptionHandler(done::tryFail);
      in.endHandler(v -> {
        ended[0] = true;
        check.run();
      });
      in.handler(m -> {
        pending[0]++;
        send(m).onComplete(ar -> ctx.runOnContext(x -> {
          pending[0]--;
          if (ar.succeeded()) {
            try {
              results.handle(ar.result());
            } catch (RuntimeException e) {
              // The caller's bug: the other results still go to it, and the future fails once all are in.
              if (handlerFailed[0] == null) {
                handlerFailed[0] = e;
              }
            }
          } else {
            done.tryFail(ar.cause());
          }
          check.run();
        }));
        if (full()) {
          in.pause();
          if (!full()) {
            in.resume(); // room appeared between the check and the pause
          }
        }
      });
    });
    return done.future();
  }

  // ---- DKIM: each message signed once, before any transaction -------------------------------------------

  private Future<MailResult> signThenDeliver(MailMessage m, ContextInternal ctx) {
    return signed(m, ctx).transform(ar -> {
      if (ar.succeeded()) {
        return deliver(ar.result());
      }
      // Its content could not be read to sign it: as when it cannot be read to send it (ContentSender).
      messages.incrementAndGet();
      Reply reply = Reply.of(451, "4.3.0", "The message content could not be read: "
          + Reply.lineText(String.valueOf(ar.cause().getMessage())));
      AtomicReferenceArray<RecipientOutcome> out = new AtomicReferenceArray<>(m.recipients().size());
      List<RecipientOutcome> list = new ArrayList<>();
      for (int i = 0; i < m.recipients().size(); i++) {
        settle(m, out, i, reply, null);
        list.add(out.get(i));
      }
      return Future.succeededFuture(new MailResult(list));
    });
  }

  /**
   * {@code m} with its DKIM-Signature fields before its content (itself when no key signs it), completed on
   * {@code ctx}. A buffer is signed on the signer's workers; a stream factory's content is read once here,
   * hashed as it passes, and the signed message opens a fresh stream with the fields before it.
   */
  private Future<MailMessage> signed(MailMessage m, ContextInternal ctx) {
    boolean binary = m.body() == EsmtpParam.BodyType.BINARY_MIME;
    Promise<MailMessage> done = ctx.promise();
    if (m.content() != null) {
      Buffer content = m.content();
      signer.sign(content, binary).map(h -> h.length() == 0 ? m
          : new MailMessage(m.from(), m.recipients(), Buffer.buffer(h.length() + content.length()).appendBuffer(h)
              .appendBuffer(content), null, m.ret(), m.envelopeId(), m.body())).onComplete(done);
      return done.future();
    }
    ctx.runOnContext(v -> {
      DkimMessage dkim = signer.message(binary);
      ReadStream<Buffer> first;
      try {
        first = m.contentFactory().get();
      } catch (RuntimeException e) {
        done.tryFail(e);
        return;
      }
      Promise<Buffer> header = ctx.promise();
      first.exceptionHandler(header::tryFail);
      first.endHandler(x -> {
        if (!header.future().isComplete()) {
          dkim.end().onComplete(header);
        }
      });
      first.handler(chunk -> {
        try {
          dkim.update(chunk);
        } catch (RuntimeException e) {
          first.pause();
          header.tryFail(e);
        }
      });
      first.resume();
      header.future().map(h -> h.length() == 0 ? m : new MailMessage(m.from(), m.recipients(), null,
          () -> DkimSigner.prepend(h, m.contentFactory().get()), m.ret(), m.envelopeId(), m.body())).onComplete(done);
    });
    return done.future();
  }

  // ---- one message ----------------------------------------------------------------------------------------

  private Future<MailResult> deliver(MailMessage m) {
    int n = m.recipients().size();
    AtomicReferenceArray<RecipientOutcome> out = new AtomicReferenceArray<>(n);
    Map<String, List<Integer>> byDomain = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      var path = m.recipients().get(i).path();
      String domain = path.isPostmaster() ? null : path.mailbox().domain().toLowerCase(Locale.ROOT);
      if (domain == null) {
        out.set(i, new RecipientOutcome(path, RecipientOutcome.Status.FAILED,
            Reply.of(550, "5.1.3", "<postmaster> without a domain cannot be routed"), null));
        continue;
      }
      byDomain.computeIfAbsent(domain, d -> new ArrayList<>()).add(i);
    }
    List<String> domains = new ArrayList<>(byDomain.keySet());
    List<Future<MxResolution>> lookups = new ArrayList<>();
    for (String d : domains) {
      lookups.add(resolver.resolve(d));
    }
    return Future.join(lookups).transform(x -> {
      // Domains whose exchangers are the same set go in one transaction.
      Map<String, List<Integer>> byDestination = new LinkedHashMap<>();
      Map<String, MxResolution> route = new LinkedHashMap<>();
      for (int k = 0; k < domains.size(); k++) {
        Future<MxResolution> f = lookups.get(k);
        List<Integer> idx = byDomain.get(domains.get(k));
        if (f.failed()) {
          for (int i : idx) {
            settle(m, out, i, failureReply(f.cause(), domains.get(k)), null);
          }
          continue;
        }
        String dest = destination(f.result());
        route.putIfAbsent(dest, f.result());
        byDestination.computeIfAbsent(dest, d -> new ArrayList<>()).addAll(idx);
      }
      List<Future<Void>> batches = new ArrayList<>();
      int max = options.getMaxRecipientsPerTransaction();
      byDestination.forEach((dest, idx) -> {
        for (int from = 0; from < idx.size(); from += max) {
          batches.add(transaction(m, dest, route.get(dest), idx.subList(from, Math.min(idx.size(), from + max)), out));
        }
      });
      return Future.join(batches).transform(y -> {
        messages.incrementAndGet();
        List<RecipientOutcome> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          if (out.get(i) == null) {
            // A batch failed with an exception (a bug, or a content factory that threw): still one outcome each.
            Throwable why = y.failed() ? y.cause() : null;
            settle(m, out, i, Reply.of(451, "4.3.0", "Local error in processing"
                + (why == null ? "" : ": " + Reply.lineText(String.valueOf(why.getMessage())))), null);
          }
          list.add(out.get(i));
        }
        return Future.succeededFuture(new MailResult(list));
      });
    });
  }

  /**
   * The exchangers with their preferences: domains with the same ones share a destination (and a
   * transaction), whatever the order of equal preferences; two domains that rank the same hosts differently
   * do not, so each one's mail goes to its own primary first (RFC 5321 §5.1).
   */
  private static String destination(MxResolution r) {
    List<String> names = new ArrayList<>();
    for (MxHost h : r.hosts()) {
      names.add(h.preference() + " " + h.name() + ":" + h.port());
    }
    names.sort(null);
    return String.join(",", names);
  }

  private Future<Void> transaction(MailMessage m, String dest, MxResolution r, List<Integer> idx,
                                   AtomicReferenceArray<RecipientOutcome> out) {
    List<Target> targets = new ArrayList<>();
    for (MxHost h : r.hosts()) {
      for (String a : h.addresses()) {
        if (targets.size() < options.getMaxAttempts()) {
          targets.add(new Target(h.name(), a, h.port()));
        }
      }
    }
    Throttle throttle = hold(destinations, dest, () -> new Throttle(vertx, options.getDestinationConcurrency(),
        options.getDestinationRate(), Math.max(1, options.getDestinationRate()), System::nanoTime));
    SharedLimits shared = limits;
    if (shared != null) {
      // The destination's concurrency and rate across the cluster, after the node's own (in arrival order).
      long wait = options.getPool().getWaitTimeout().toMillis();
      double rate = options.getDestinationRate();
      // The rate's turn is taken once a session is leased: a transaction the exchanger's cap defers spends none.
      Turn turn = rate <= 0 ? Turn.FREE : new Turn(() -> shared.rate("dest:" + dest, rate, Math.max(1, rate), wait));
      return throttle.acquire()
          .compose(v -> shared.acquire("dest:" + dest, options.getDestinationConcurrency(), wait))
          .compose(permit -> attempt(m, targets, turn, 0, STALE_RETRIES, new ArrayList<>(idx), out, null)
              .onComplete(ar -> permit.release()))
          .recover(t -> {
            if (!(t instanceof SharedLimits.LimitWaitException)) {
              return Future.failedFuture(t);
            }
            // The cluster is at the destination's limit for longer than a caller waits: try again later.
            for (int i : idx) {
              settle(m, out, i, Reply.of(451, "4.4.5", "Too busy across the cluster for " + dest + ": "
                  + Reply.lineText(t.getMessage())), null);
            }
            return Future.succeededFuture();
          })
          .onComplete(ar -> let(destinations, dest, throttle));
    }
    return throttle.acquire()
        .compose(v -> attempt(m, targets, Turn.FREE, 0, STALE_RETRIES, new ArrayList<>(idx), out, null))
        .onComplete(ar -> let(destinations, dest, throttle)); // the permit goes back whatever happened
  }

  private PoolKey key(Target t) {
    SmtpClientOptions c = options.getClient();
    return new PoolKey(t.address(), t.port(), c.getTlsPolicy(), c.getUsername(), c.getLocalAddress());
  }

  /** Tries targets from {@code t} on; settles every recipient of {@code idx} before completing. */
  private Future<Void> attempt(MailMessage m, List<Target> targets, Turn turn, int t, int staleLeft, List<Integer> idx,
                               AtomicReferenceArray<RecipientOutcome> out, Throwable last) {
    if (t >= targets.size()) {
      Reply reply = failureReply(last, targets.isEmpty() ? "?" : targets.get(0).host());
      for (int i : idx) {
        settle(m, out, i, reply, null);
      }
      return Future.succeededFuture();
    }
    Target target = targets.get(t);
    return pool.acquire(key(target), target.host()).transform(lar -> {
      if (lar.failed() && lar.cause() instanceof PoolExhaustedException congested) {
        // Our own congestion, not the exchanger's fault: no reason to prefer a backup. Later, same host.
        for (int i : idx) {
          settle(m, out, i, Reply.of(451, "4.4.5", "Too many transactions waiting for " + target.host() + ": "
              + Reply.lineText(congested.getMessage())), null);
        }
        return Future.succeededFuture();
      }
      if (lar.failed()) {
        return failover(m, targets, turn, t, staleLeft, idx, out, lar.cause());
      }
      Lease lease = lar.result();
      return turn.take().onFailure(x -> lease.release()).compose(v -> send(m, targets, turn, t, staleLeft, idx, out, lease, last));
    });
  }

  /** Sends the transaction of {@code idx} on a leased session. */
  private Future<Void> send(MailMessage m, List<Target> targets, Turn turn, int t, int staleLeft, List<Integer> idx,
                            AtomicReferenceArray<RecipientOutcome> out, Lease lease, Throwable last) {
    List<MailTransaction.Recipient> rcpts = new ArrayList<>(idx.size());
    for (int i : idx) {
      rcpts.add(m.recipients().get(i));
    }
    MailTransaction tx;
    try {
      tx = m.transaction(rcpts);
    } catch (RuntimeException e) {
      lease.release();
      for (int i : idx) {
        settle(m, out, i, Reply.of(554, "5.6.0", "Cannot open the content: " + Reply.lineText(e.getMessage())), null);
      }
      return Future.succeededFuture();
    }
    transactions.incrementAndGet();
    return lease.session().send(tx).transform(sar -> sar.succeeded()
        ? settled(m, targets, turn, t, staleLeft, idx, out, lease, sar.result())
        : failed(m, targets, turn, t, staleLeft, idx, out, lease, sar.cause(), last));
  }

  /** A transaction that failed: retried, failed over, or settled, by what kind of failure it was. */
  private Future<Void> failed(MailMessage m, List<Target> targets, Turn turn, int t, int staleLeft, List<Integer> idx,
                              AtomicReferenceArray<RecipientOutcome> out, Lease lease, Throwable e, Throwable last) {
    Target target = targets.get(t);
    if (!(e instanceof SmtpClientFailure failure)) {
      // Not the client's (it types all its failures): as if the session were lost.
      lease.discard();
      return failover(m, targets, turn, t, staleLeft, idx, out, e);
    }
    return switch (failure.kind()) {
      case CONNECTION_LOST -> {
        if (((SmtpConnectionException) e).isStale() && staleLeft > 0) {
          // The server dropped the idle session: not a failure, try again on a fresh one.
          lease.discard();
          staleRetries.incrementAndGet();
          yield attempt(m, targets, turn, t, staleLeft - 1, idx, out, last);
        }
        lease.discard();
        yield failover(m, targets, turn, t, staleLeft, idx, out, e);
      }
      case TIMED_OUT -> {
        lease.discard();
        yield failover(m, targets, turn, t, staleLeft, idx, out, e);
      }
      case REFUSED_LOCALLY -> {
        SmtpClientException refused = (SmtpClientException) e;
        lease.release();
        if (refused.phase() == SmtpClientException.Phase.CONTENT) {
          // Our own content source failed: no exchanger would do better, and none refused it.
          yield settleAll(m, idx, out, refused.reply(), null);
        }
        if (t + 1 < targets.size()) {
          // Refused for this server's extensions (SIZE, 8BITMIME, SMTPUTF8, BINARYMIME): another exchanger
          // may offer them.
          yield failover(m, targets, turn, t, staleLeft, idx, out, e);
        }
        yield settleAll(m, idx, out, refused.reply(), target.host());
      }
      case REJECTED -> {
        SmtpClientException rejected = (SmtpClientException) e;
        if (rejected.phase().isTransaction()) {
          // The transaction itself was refused (MAIL, the content): the message's outcome.
          lease.release();
          yield settleAll(m, idx, out, rejected.reply(), target.host());
        }
        // The session was refused (greeting, EHLO, STARTTLS, AUTH): another exchanger may take it.
        lease.discard();
        yield failover(m, targets, turn, t, staleLeft, idx, out, e);
      }
    };
  }

  private Future<Void> settleAll(MailMessage m, List<Integer> idx, AtomicReferenceArray<RecipientOutcome> out,
                                 Reply reply, String host) {
    for (int i : idx) {
      settle(m, out, i, reply, host);
    }
    return Future.succeededFuture();
  }

  /** The next address, when there is one (else {@link #attempt} settles the recipients as not taken). */
  private Future<Void> failover(MailMessage m, List<Target> targets, Turn turn, int t, int staleLeft, List<Integer> idx,
                                AtomicReferenceArray<RecipientOutcome> out, Throwable cause) {
    if (t + 1 < targets.size()) {
      failovers.incrementAndGet();
    }
    return attempt(m, targets, turn, t + 1, staleLeft, idx, out, cause);
  }

  private Future<Void> settled(MailMessage m, List<Target> targets, Turn turn, int t, int staleLeft, List<Integer> idx,
                               AtomicReferenceArray<RecipientOutcome> out, Lease lease, DeliveryResult r) {
    Target target = targets.get(t);
    Reply mail = r.mailReply();
    if (!mail.isPositive()) {
      if (mail.code() == 421) {
        // The server is going away: another exchanger may take it.
        lease.discard();
        return failover(m, targets, turn, t, staleLeft, idx, out, new SmtpClientException.Rejected(SmtpClientException.Phase.MAIL,
            "MAIL FROM:" + m.from(), mail));
      }
      lease.release();
      for (int i : idx) {
        settle(m, out, i, mail, target.host());
      }
      return Future.succeededFuture();
    }
    // Read before the release: the session may be leased to another transaction at once.
    boolean dsn = lease.session().capabilities().dsn();
    lease.release();
    List<Integer> again = new ArrayList<>();
    boolean accepted = false;
    for (int k = 0; k < idx.size(); k++) {
      DeliveryResult.RecipientResult rr = r.recipients().get(k);
      Reply rcpt = rr.rcptReply();
      if (accepted && rcpt.code() == 452 && (rcpt.enhanced() == null || "4.5.3".equals(rcpt.enhanced().toString()))) {
        again.add(idx.get(k)); // too many recipients for one transaction: they go in the next
        continue;
      }
      accepted |= rcpt.isPositive();
      settle(m, out, idx.get(k), rr.finalReply(), target.host(), dsn);
    }
    if (again.isEmpty()) {
      return Future.succeededFuture();
    }
    return attempt(m, targets, turn.next(), t, staleLeft, again, out, null);
  }

  private void settle(MailMessage m, AtomicReferenceArray<RecipientOutcome> out, int i, Reply reply, String host) {
    settle(m, out, i, reply, host, false);
  }

  private void settle(MailMessage m, AtomicReferenceArray<RecipientOutcome> out, int i, Reply reply, String host,
                      boolean dsn) {
    RecipientOutcome.Status status = reply.isPositive() ? RecipientOutcome.Status.DELIVERED
        : reply.isTransient() ? RecipientOutcome.Status.DEFERRED : RecipientOutcome.Status.FAILED;
    if (out.compareAndSet(i, null,
        new RecipientOutcome(m.recipients().get(i).path(), status, reply, host, dsn && reply.isPositive()))) {
      (status == RecipientOutcome.Status.DELIVERED ? delivered
          : status == RecipientOutcome.Status.DEFERRED ? deferred : failed).incrementAndGet();
    }
  }

  /** The reply for recipients no exchanger took: the server's when one answered, else a local 4.4.x. */
  private static Reply failureReply(Throwable e, String where) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof SmtpException se) {
        return se.reply(); // a server's reply (or a DNS answer) says it best
      }
    }
    if (e instanceof SmtpConnectionException ce && ce.isTlsFailure()) {
      return Reply.of(451, "4.7.5", "TLS with " + where + " failed: " + Reply.lineText(ce.getMessage()));
    }
    if (e == null) {
      return Reply.of(451, "4.4.4", "No mail exchanger to try for " + where);
    }
    return Reply.of(451, "4.4.1", "No mail exchanger took the message: " + Reply.lineText(e.getMessage()));
  }


  @Override
  public MailerMetrics metrics() {
    PoolStats p = pool.stats();
    return new MailerMetrics(messages.get(), transactions.get(), delivered.get(), deferred.get(), failed.get(),
        p.opened(), p.reuseRatio(), staleRetries.get(), failovers.get());
  }

  /** Throttles held now (per destination and per address): idle ones are forgotten. */
  public int throttles() {
    return destinations.size() + connectionRates.size();
  }

  /** The pool, for its statistics. */
  public SessionPool pool() {
    return pool;
  }

  @Override
  public Future<Void> close() {
    return pool.close().transform(x -> client.close()).transform(x -> resolver.close())
        .transform(x -> signer != null && ownsSigner ? signer.close() : Future.succeededFuture());
  }

  /**
   * A transaction's turn under the cluster's destination rate: taken once, when it first has a session (a
   * retry on a fresh session or at the next exchanger does not take another), so that a transaction deferred
   * before it could be sent has spent none of the rate.
   */
  static final class Turn {
    /** No rate: shared by every transaction, so it remembers nothing. */
    static final Turn FREE = new Turn(null);

    private final Supplier<Future<Void>> take;
    private Future<Void> taken;

    Turn(Supplier<Future<Void>> take) {
      this.take = take;
    }

    Future<Void> take() {
      if (take == null) {
        return Future.succeededFuture();
      }
      if (taken == null) {
        taken = take.get();
      }
      return taken;
    }

    /** The turn of the next transaction of the same message (recipients split off after a 452 4.5.3). */
    Turn next() {
      return this == FREE ? FREE : new Turn(take);
    }
  }
}
