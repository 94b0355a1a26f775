package dev.peregrine.dkim.impl;

import dev.peregrine.dkim.Canonicalization;
import dev.peregrine.dkim.DkimKeyException;
import dev.peregrine.dkim.DkimKeyOptions;
import dev.peregrine.dkim.DkimMessage;
import dev.peregrine.dkim.DkimOptions;
import dev.peregrine.dkim.DkimSigner;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The {@link DkimSigner}: keys by signing domain in an immutable map swapped whole on reload, the
 * domain mapping, and a shared worker pool ({@value #POOL}, one thread per core) for the private-key
 * operations and the key-file checks. The check runs every reload-period on that pool, one at a time: a
 * changed file (modification time or size) is read again; a file that has become unreadable is reported and
 * its previous key kept.
 */
public final class DkimSignerImpl implements DkimSigner {

  static final String POOL = "peregrine-dkim";
  private static final System.Logger LOG = System.getLogger("dev.peregrine.dkim");

  /** What a key file looked like when it was last read. */
  private record Stamp(long modified, long size) {
  }

  private final Vertx vertx;
  private final DkimOptions options;
  private final WorkerExecutor worker;
  private final List<String> signedNames;
  private final List<String> oversigned;
  private final long expirySeconds;
  private volatile Map<String, List<DkimKey>> keys;
  /** Touched by the start and then by one reload at a time (an ordered task on {@link #worker}). */
  private final Map<DkimKeyOptions, Stamp> stamps = new HashMap<>();
  private final Map<DkimKeyOptions, DkimKey> loaded = new LinkedHashMap<>();
  private long timer = -1;

  private DkimSignerImpl(Vertx vertx, DkimOptions options) {
    this.vertx = vertx;
    this.options = new DkimOptions(options);
    for (DkimKeyOptions k : this.options.getKeys()) {
      Path file = Path.of(k.getKeyPath());
      Stamp before = stamp(file);
      loaded.put(k, PemKeys.load(k));
      stamps.put(k, before);
    }
    this.keys = byDomain(loaded);
    List<String> names = new ArrayList<>();
    this.options.getHeaders().forEach(h -> names.add(h.toLowerCase(Locale.ROOT)));
    List<String> over = new ArrayList<>();
    this.options.getOversign().forEach(h -> over.add(h.toLowerCase(Locale.ROOT)));
    over.stream().filter(h -> !names.contains(h)).forEach(names::add);
    this.signedNames = List.copyOf(names);
    this.oversigned = List.copyOf(over);
    this.expirySeconds = this.options.getExpiry().getSeconds();
    this.worker = vertx.createSharedWorkerExecutor(POOL, Math.max(1, Runtime.getRuntime().availableProcessors()));
  }

  public static DkimSignerImpl loadNow(Vertx vertx, DkimOptions options) {
    DkimSignerImpl s = new DkimSignerImpl(vertx, options);
    s.startReloading();
    return s;
  }

  public static Future<DkimSigner> load(Vertx vertx, DkimOptions options) {
    return vertx.<DkimSignerImpl>executeBlocking(() -> new DkimSignerImpl(vertx, options), false).map(s -> {
      s.startReloading();
      return s;
    });
  }

  private static Map<String, List<DkimKey>> byDomain(Map<DkimKeyOptions, DkimKey> loaded) {
    Map<String, List<DkimKey>> m = new HashMap<>();
    loaded.values().forEach(k -> m.computeIfAbsent(k.domain(), d -> new ArrayList<>()).add(k));
    m.replaceAll((d, l) -> List.copyOf(l));
    return Map.copyOf(m);
  }

  private void startReloading() {
    long period = options.getReloadPeriod().toMillis();
    if (period > 0 && !options.getKeys().isEmpty()) {
      timer = vertx.setPeriodic(period, id -> worker.executeBlocking(() -> {
        reload();
        return null;
      }, true));
    }
  }

  /** Reads again every key file that changed; keeps the previous key of one that cannot be used. Blocking. */
  public synchronized void reload() {
    boolean changed = false;
    for (DkimKeyOptions k : options.getKeys()) {
      Stamp now = stamp(Path.of(k.getKeyPath()));
      if (now == null || now.equals(stamps.get(k))) {
        if (now == null && stamps.get(k) != null) {
          stamps.put(k, null);
          LOG.log(System.Logger.Level.WARNING, "DKIM key " + k.getKeyPath() + " is gone; signing with the key read before");
        }
        continue;
      }
      stamps.put(k, now);
      try {
        loaded.put(k, PemKeys.load(k));
        changed = true;
        LOG.log(System.Logger.Level.INFO, "DKIM key " + k.getKeyPath() + " (" + k.getDomain() + ", selector "
            + k.getSelector() + ") read again");
      } catch (DkimKeyException e) {
        LOG.log(System.Logger.Level.WARNING, e.getMessage() + "; signing with the key read before");
      }
    }
    if (changed) {
      keys = byDomain(loaded);
    }
  }

  private static Stamp stamp(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return new Stamp(a.lastModifiedTime().toMillis(), a.size());
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public DkimMessage message(boolean binary) {
    return new DkimMessageImpl(this, binary);
  }

  @Override
  public Future<Buffer> sign(Buffer content, boolean binary) {
    return onWorker(() -> {
      DkimMessageImpl m = new DkimMessageImpl(this, binary);
      m.update(content);
      return m.endNow();
    });
  }

  <T> Future<T> onWorker(Callable<T> task) {
    return worker.executeBlocking(task, false);
  }

  @Override
  public String signingDomain(String fromDomain) {
    String from;
    try {
      from = DkimKeyOptions.domain(fromDomain);
    } catch (IllegalArgumentException e) {
      return null;
    }
    Map<String, String> map = options.getDomains();
    String d = map.get(from);
    for (String parent = from; d == null; ) {
      int dot = parent.indexOf('.');
      if (dot < 0) {
        break;
      }
      parent = parent.substring(dot + 1);
      d = map.get("*." + parent);
    }
    if (d == null) {
      d = from;
    }
    return keys.containsKey(d) ? d : null;
  }

  List<DkimKey> keys(String signingDomain) {
    return keys.getOrDefault(signingDomain, List.of());
  }

  /** h=: each configured name once per instance present, oversigned names once more. */
  List<String> signedHeaderNames(HeaderBlock headers) {
    List<String> out = new ArrayList<>();
    for (String name : signedNames) {
      int n = headers.count(name) + (oversigned.contains(name) ? 1 : 0);
      for (int i = 0; i < n; i++) {
        out.add(name);
      }
    }
    return out;
  }

  Canonicalization headerCanonicalization() {
    return options.getHeaderCanonicalization();
  }

  Canonicalization bodyCanonicalization() {
    return options.getBodyCanonicalization();
  }

  long expirySeconds() {
    return expirySeconds;
  }

  long now() {
    return System.currentTimeMillis() / 1000;
  }

  /** The keys in use now, by signing domain (for tests and status pages). */
  public Map<String, List<DkimKey>> keys() {
    return keys;
  }

  @Override
  public Future<Void> close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return worker.close();
  }
}
