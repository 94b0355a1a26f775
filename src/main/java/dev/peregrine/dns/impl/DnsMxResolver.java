package dev.peregrine.dns.impl;

import dev.peregrine.dns.AddressPolicy;
import dev.peregrine.dns.MxHost;
import dev.peregrine.dns.MxResolution;
import dev.peregrine.dns.MxResolutionException;
import dev.peregrine.dns.MxResolver;
import dev.peregrine.dns.MxResolverOptions;
import dev.peregrine.protocol.Mailbox;
import dev.peregrine.protocol.Reply;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.dns.DnsClient;
import io.vertx.core.dns.DnsClientOptions;
import io.vertx.core.dns.DnsException;
import io.vertx.core.dns.DnsResponseCode;
import io.vertx.core.dns.MxRecord;
import io.vertx.core.internal.ContextInternal;

import java.net.IDN;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * {@link MxResolver} on the Vert.x {@link DnsClient} (one per configured server, tried in order). The cache
 * holds one future per domain: a lookup in flight is shared by every caller that asks meanwhile, and an
 * answer stays until its TTL runs out. Only answers are cached (positive, and "does not exist" / null MX
 * for {@code negative-ttl}); a timeout or server failure is not, so the next caller asks again.
 */
public final class DnsMxResolver implements MxResolver {

  private static final class Entry {
    final Future<MxResolution> future;
    /** Nanos; {@code Long.MAX_VALUE} while the lookup runs. Set before the future completes. */
    volatile long expiresAt = Long.MAX_VALUE;

    Entry(Future<MxResolution> future) {
      this.future = future;
    }
  }

  /** A resolution with the TTL of the records it came from, in seconds (before the floor and ceiling). */
  private record Timed(MxResolution resolution, long ttl, boolean cacheable) {
  }

  /** The addresses of one host, and whether a lookup of them failed transiently. */
  private record Addresses(List<String> list, Throwable transientFailure) {
  }

  private final MxResolverOptions options;
  private final List<DnsClient> clients = new ArrayList<>();
  private final LongSupplier nanoClock;
  private final RandomGenerator random;
  private final ConcurrentHashMap<String, Entry> cache = new ConcurrentHashMap<>();
  /** Routes by normalised domain (as lookups are). */
  private final java.util.Map<String, String> routes = new java.util.HashMap<>();
  private final AtomicLong queries = new AtomicLong();
  private final AtomicLong calls = new AtomicLong();

  public DnsMxResolver(Vertx vertx, MxResolverOptions options) {
    this(vertx, options, System::nanoTime, null);
  }

  /**
   * With a clock (for TTL expiry) and a random source (for the shuffle) of the caller's choosing; a given
   * random source must be safe to share between threads, or only used from one.
   */
  public DnsMxResolver(Vertx vertx, MxResolverOptions options, LongSupplier nanoClock, RandomGenerator random) {
    this.options = new MxResolverOptions(options);
    options.getRoutes().forEach((domain, target) -> routes.put(domain.equals("*") ? "*" : normalize(domain), target));
    this.nanoClock = nanoClock;
    this.random = random; // null: ThreadLocalRandom (callers are on several event loops)
    int timeout = (int) Math.min(Integer.MAX_VALUE, options.getQueryTimeout().toMillis());
    if (options.getServers().isEmpty()) {
      clients.add(vertx.createDnsClient(new DnsClientOptions().setQueryTimeout(timeout)));
    }
    for (String server : options.getServers()) {
      MxResolverOptions.Route r = MxResolverOptions.Route.parse(server, 53);
      clients.add(vertx.createDnsClient(new DnsClientOptions().setHost(r.host()).setPort(r.port())
          .setQueryTimeout(timeout).setRecursionDesired(true)));
    }
  }

  /** Answers held in the cache now (expired ones included until the next sweep). */
  public int cached() {
    return cache.size();
  }

  @Override
  public long queries() {
    return queries.get();
  }

  @Override
  public Future<MxResolution> resolve(String domain) {
    String d;
    try {
      d = normalize(domain);
    } catch (IllegalArgumentException e) {
      return onCallerContext(Future.failedFuture(new MxResolutionException(domain,
          Reply.of(501, "5.1.2", "Bad destination domain: " + e.getMessage()), e)));
    }
    if (d.startsWith("[") && !routes.containsKey(d) && !routes.containsKey("*")) {
      return onCallerContext(literal(d));
    }
    long now = nanoClock.getAsLong();
    if ((calls.incrementAndGet() & 4095) == 0) {
      // Now and then, forget expired answers, so that a sender to many domains does not keep them all.
      cache.values().removeIf(old -> now - old.expiresAt >= 0);
    }
    Entry e = cache.get(d);
    if (e == null || now - e.expiresAt >= 0) {
      Promise<MxResolution> promise = Promise.promise();
      Entry fresh = new Entry(promise.future());
      e = cache.compute(d, (k, old) -> old != null && now - old.expiresAt < 0 ? old : fresh);
      if (e == fresh) {
        lookup(d).onComplete(ar -> {
          long done = nanoClock.getAsLong();
          if (ar.succeeded()) {
            long ttl = Math.max(options.getMinTtl().toSeconds(), Math.min(options.getMaxTtl().toSeconds(), ar.result().ttl()));
            // A partial answer (an exchanger's address lookup failed for now) serves this caller only.
            fresh.expiresAt = ar.result().cacheable() ? done + ttl * 1_000_000_000L : done;
            promise.complete(ar.result().resolution());
            return;
          } else if (ar.cause() instanceof MxResolutionException m && m.isPermanent()) {
            fresh.expiresAt = done + options.getNegativeTtl().toNanos();
          } else {
            fresh.expiresAt = done;
          }
          promise.fail(ar.cause());
        });
      }
    }
    return onCallerContext(e.future.map(r -> r.shuffled(random != null ? random
        : java.util.concurrent.ThreadLocalRandom.current())));
  }

  private Future<Timed> lookup(String domain) {
    String route = routes.get(domain);
    if (route == null) {
      route = routes.get("*");
    }
    if (route != null) {
      return timed(routed(domain, MxResolverOptions.Route.parse(route, options.getPort())));
    }
    return query(c -> c.resolveMX(domain)).transform(ar -> {
      if (ar.failed()) {
        return Future.failedFuture(failure(domain, "MX", ar.cause()));
      }
      List<MxRecord> records = ar.result();
      if (records.isEmpty()) {
        return timed(implicit(domain));
      }
      List<MxRecord> usable = new ArrayList<>();
      for (MxRecord r : records) {
        if (!stripDot(r.name()).isEmpty()) {
          usable.add(r);
        }
      }
      if (usable.isEmpty()) {
        // RFC 7505: "0 ." says the domain accepts no mail at all.
        return Future.failedFuture(new MxResolutionException(domain,
            Reply.of(556, "5.1.10", "Domain " + domain + " accepts no mail (null MX)"), null));
      }
      usable.sort(Comparator.comparingInt(MxRecord::priority));
      long ttl = options.getAddressTtl().toSeconds();
      for (MxRecord r : usable) {
        ttl = Math.min(ttl, r.ttl());
      }
      long mxTtl = ttl;
      List<Future<Addresses>> lookups = new ArrayList<>();
      for (MxRecord r : usable) {
        lookups.add(addresses(stripDot(r.name())));
      }
      return Future.join(lookups).transform(all -> {
        List<MxHost> hosts = new ArrayList<>();
        Throwable transientFailure = null;
        for (int i = 0; i < usable.size(); i++) {
          Addresses a = lookups.get(i).result();
          if (!a.list().isEmpty()) {
            hosts.add(new MxHost(stripDot(usable.get(i).name()).toLowerCase(Locale.ROOT), usable.get(i).priority(),
                options.getPort(), a.list()));
          } else if (a.transientFailure() != null) {
            transientFailure = a.transientFailure();
          }
        }
        if (hosts.isEmpty()) {
          return Future.failedFuture(transientFailure != null
              ? new MxResolutionException(domain, Reply.of(451, "4.4.3",
                  "Cannot resolve the mail exchangers of " + domain + ": " + describe(transientFailure)), transientFailure)
              : new MxResolutionException(domain, Reply.of(554, "5.4.4",
                  "The mail exchangers of " + domain + " have no address"), null));
        }
        return Future.succeededFuture(new Timed(new MxResolution(domain, hosts, MxResolution.Source.MX), mxTtl,
            transientFailure == null));
      });
    });
  }

  /** Answers whose TTL the DNS client does not report live for {@code address-ttl}. */
  private Future<Timed> timed(Future<MxResolution> f) {
    return f.map(r -> new Timed(r, options.getAddressTtl().toSeconds(), true));
  }

  /** RFC 5321 §5.1: no MX records, so the domain itself is the one mail exchanger, at preference 0. */
  private Future<MxResolution> implicit(String domain) {
    return addresses(domain).compose(a -> {
      if (!a.list().isEmpty()) {
        return Future.succeededFuture(new MxResolution(domain,
            List.of(new MxHost(domain, 0, options.getPort(), a.list())), MxResolution.Source.IMPLICIT));
      }
      if (a.transientFailure() != null) {
        return Future.failedFuture(failure(domain, "A/AAAA", a.transientFailure()));
      }
      return Future.failedFuture(new MxResolutionException(domain,
          Reply.of(550, "5.1.2", "Domain " + domain + " has neither MX nor address records"), null));
    });
  }

  private Future<MxResolution> routed(String domain, MxResolverOptions.Route route) {
    if (route.literal()) {
      return Future.succeededFuture(new MxResolution(domain,
          List.of(new MxHost(route.host(), 0, route.port(), List.of(route.host()))), MxResolution.Source.ROUTE));
    }
    return addresses(route.host()).compose(a -> {
      if (!a.list().isEmpty()) {
        return Future.succeededFuture(new MxResolution(domain,
            List.of(new MxHost(route.host(), 0, route.port(), a.list())), MxResolution.Source.ROUTE));
      }
      return Future.failedFuture(a.transientFailure() != null
          ? failure(domain, "A/AAAA of route " + route.host(), a.transientFailure())
          : new MxResolutionException(domain, Reply.of(554, "5.4.4",
              "The route for " + domain + ", " + route.host() + ", has no address"), null));
    });
  }

  private Future<MxResolution> literal(String d) {
    String address = Mailbox.literalAddress(d);
    if (address == null) {
      return Future.failedFuture(new MxResolutionException(d,
          Reply.of(501, "5.1.2", "Bad address literal " + d), null));
    }
    return Future.succeededFuture(new MxResolution(d,
        List.of(new MxHost(address, 0, options.getPort(), List.of(address))), MxResolution.Source.LITERAL));
  }

  /** A and/or AAAA per the policy, in its order; a name that does not exist has no addresses. */
  private Future<Addresses> addresses(String host) {
    AddressPolicy policy = options.getAddressPolicy();
    Future<Addresses> v4 = policy.wantsV4() ? family(host, true) : Future.succeededFuture(new Addresses(List.of(), null));
    Future<Addresses> v6 = policy.wantsV6() ? family(host, false) : Future.succeededFuture(new Addresses(List.of(), null));
    return Future.join(v4, v6).map(x -> {
      Addresses first = policy == AddressPolicy.IPV6_FIRST ? v6.result() : v4.result();
      Addresses second = policy == AddressPolicy.IPV6_FIRST ? v4.result() : v6.result();
      List<String> all = new ArrayList<>(first.list());
      all.addAll(second.list());
      Throwable t = first.transientFailure() != null ? first.transientFailure() : second.transientFailure();
      return new Addresses(all, t);
    });
  }

  private Future<Addresses> family(String host, boolean v4) {
    return query(c -> v4 ? c.resolveA(host) : c.resolveAAAA(host)).transform(ar -> {
      if (ar.succeeded()) {
        return Future.succeededFuture(new Addresses(ar.result() == null ? List.of() : ar.result(), null));
      }
      if (isNxDomain(ar.cause())) {
        return Future.succeededFuture(new Addresses(List.of(), null));
      }
      return Future.succeededFuture(new Addresses(List.of(), ar.cause()));
    });
  }

  /** Asks each configured server in turn until one gives an answer (an answer may be "no such domain"). */
  private <T> Future<T> query(Function<DnsClient, Future<T>> q) {
    return attempt(q, 0);
  }

  private <T> Future<T> attempt(Function<DnsClient, Future<T>> q, int i) {
    queries.incrementAndGet();
    return q.apply(clients.get(i)).recover(e -> i + 1 < clients.size() && !isNxDomain(e)
        ? attempt(q, i + 1) : Future.failedFuture(e));
  }

  private static boolean isNxDomain(Throwable e) {
    return e instanceof DnsException de && de.code() == DnsResponseCode.NXDOMAIN;
  }

  private static MxResolutionException failure(String domain, String what, Throwable e) {
    if (isNxDomain(e)) {
      return new MxResolutionException(domain, Reply.of(550, "5.1.2", "Domain " + domain + " does not exist"), e);
    }
    return new MxResolutionException(domain, Reply.of(451, "4.4.3",
        "DNS lookup of " + what + " for " + domain + " failed: " + describe(e)), e);
  }

  private static String describe(Throwable e) {
    if (e instanceof DnsException de) {
      return "server answered " + de.code();
    }
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : Reply.lineText(m);
  }

  /** The name without trailing dots; the root ({@code "."}, which the DNS client gives as null) is empty. */
  private static String stripDot(String name) {
    if (name == null) {
      return "";
    }
    String n = name;
    while (n.endsWith(".")) {
      n = n.substring(0, n.length() - 1);
    }
    return n;
  }

  /** Lower case, no trailing dot, IDNs as A-labels; address literals kept in brackets. */
  static String normalize(String domain) {
    String d = domain.trim();
    if (d.startsWith("[")) {
      if (!d.endsWith("]")) {
        throw new IllegalArgumentException("address literal without ']': " + domain);
      }
      return d.toLowerCase(Locale.ROOT);
    }
    d = stripDot(d);
    if (d.isEmpty()) {
      throw new IllegalArgumentException("empty domain");
    }
    return IDN.toASCII(d, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
  }

  /** Completes on the caller's context when there is one: cached futures are shared across event loops. */
  private static <T> Future<T> onCallerContext(Future<T> f) {
    Context ctx = Vertx.currentContext();
    if (ctx == null) {
      return f;
    }
    Promise<T> p = ((ContextInternal) ctx).promise();
    f.onComplete(p);
    return p.future();
  }

  @Override
  public Future<Void> close() {
    List<Future<Void>> closes = new ArrayList<>();
    for (DnsClient c : clients) {
      closes.add(c.close());
    }
    return Future.all(closes).mapEmpty();
  }
}
