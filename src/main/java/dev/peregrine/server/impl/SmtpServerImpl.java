package dev.peregrine.server.impl;

import dev.peregrine.protocol.Capabilities;
import dev.peregrine.protocol.ServerReplies;
import dev.peregrine.protocol.Timeouts;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.server.SmtpSession;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.shareddata.LocalMap;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The listener: accepts connections within the limits, runs one {@link ServerConnection} per socket, sweeps
 * them for timeouts, and shuts down gracefully.
 *
 * <p>All connections of one instance live on the context that called {@link #listen()}; the connection set is
 * touched there only. The connection counts are shared by every instance on the same address.
 */
public final class SmtpServerImpl implements SmtpServer {

  private static final System.Logger LOG = System.getLogger("dev.peregrine.server");
  private static final AtomicLong IDS = new AtomicLong();
  private static final String ID_PREFIX = Long.toString(System.currentTimeMillis() / 1000, 36);

  private final Vertx vertx;
  private final SmtpServerOptions options;
  private final SmtpHandler handler;
  private final byte[] plainExtensions;
  private final byte[] tlsExtensions;
  private final byte[] greeting;
  private final dev.peregrine.protocol.CommandParser parser;
  private final Set<ServerConnection> connections = new LinkedHashSet<>();
  private final ConnectionLimiter limiter;
  private final long commandTimeoutNanos;
  private final long dataTimeoutNanos;
  private final long dataEndTimeoutNanos;
  private final long startTlsTimeoutNanos;
  private NetServer netServer;
  private StartTls startTls;
  private long sweeper = -1;
  private boolean shuttingDown;
  private Promise<Void> drained;

  public SmtpServerImpl(Vertx vertx, SmtpServerOptions options, SmtpHandler handler) {
    if (options.isImplicitTls() && !options.isTlsConfigured()) {
      throw new IllegalArgumentException("implicit-tls needs tls-cert-path and tls-key-path");
    }
    this.vertx = vertx;
    this.options = new SmtpServerOptions(options);
    this.handler = handler;
    this.plainExtensions = extensionLines(capabilities(this.options, false));
    this.tlsExtensions = extensionLines(capabilities(this.options, true));
    this.greeting = ServerReplies.greeting(this.options.getHostname(), this.options.getGreetingText()).encode()
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    this.parser = new dev.peregrine.protocol.CommandParser(this.options.getLimits());
    Timeouts t = this.options.getTimeouts();
    this.commandTimeoutNanos = t.get(Timeouts.Phase.SERVER_COMMAND).toNanos();
    this.dataTimeoutNanos = t.get(Timeouts.Phase.DATA_BLOCK).toNanos();
    this.dataEndTimeoutNanos = t.get(Timeouts.Phase.DATA_END).toNanos();
    this.startTlsTimeoutNanos = t.get(Timeouts.Phase.STARTTLS).toNanos();
    this.limiter = limiter(vertx, this.options);
  }

  /**
   * The connection counts of this listening address, shared by every instance on it (a port > 0, or one
   * negative port shared by all instances); port 0 gives each instance a port of its own and so its own
   * counts. Known before the server can accept anything.
   */
  private static ConnectionLimiter limiter(Vertx vertx, SmtpServerOptions options) {
    if (options.getPort() == 0) {
      return new ConnectionLimiter();
    }
    LocalMap<String, ConnectionLimiter> limiters = vertx.sharedData().getLocalMap("dev.peregrine.server.limits");
    ConnectionLimiter fresh = new ConnectionLimiter();
    ConnectionLimiter existing = limiters.putIfAbsent(options.getHost() + ":" + options.getPort(), fresh);
    return existing != null ? existing : fresh;
  }

  long commandTimeoutNanos() {
    return commandTimeoutNanos;
  }

  long dataTimeoutNanos() {
    return dataTimeoutNanos;
  }

  long dataEndTimeoutNanos() {
    return dataEndTimeoutNanos;
  }

  long startTlsTimeoutNanos() {
    return startTlsTimeoutNanos;
  }

  long startTlsTimeoutMillis() {
    return TimeUnit.NANOSECONDS.toMillis(startTlsTimeoutNanos);
  }

  /** The STARTTLS context, or {@code null} when TLS is not configured. */
  StartTls startTls() {
    return startTls;
  }

  /** Replaces the STARTTLS context (tests make its set-up fail on purpose). */
  void useStartTls(StartTls tls) {
    this.startTls = tls;
  }

  /** The EHLO reply without its first line: "250-EXT" lines, the last one "250 EXT". */
  private static byte[] extensionLines(Capabilities c) {
    String all = c.toReply("-").encode();
    return all.substring(all.indexOf("\r\n") + 2).getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  byte[] ehloExtensions(boolean tls) {
    return tls ? tlsExtensions : plainExtensions;
  }

  byte[] greeting() {
    return greeting;
  }

  dev.peregrine.protocol.CommandParser parser() {
    return parser;
  }

  private static Capabilities capabilities(SmtpServerOptions o, boolean tls) {
    Capabilities.Builder b = Capabilities.builder();
    if (o.isPipelining()) {
      b.pipelining();
    }
    b.size(o.getMaxMessageSize());
    if (o.isEightBitMime()) {
      b.eightBitMime();
    }
    if (o.isSmtpUtf8()) {
      b.smtpUtf8();
    }
    if (o.isChunking()) {
      b.chunking();
      if (o.isBinaryMime()) {
        b.binaryMime();
      }
    }
    if (o.isDsn()) {
      b.dsn();
    }
    b.enhancedStatusCodes();
    if (!tls && o.isStartTls() && o.isTlsConfigured()) {
      b.startTls();
    }
    if (tls || o.isAllowPlaintextAuth()) {
      b.auth(o.getAuthMechanisms());
    }
    return b.build("");
  }

  Vertx vertx() {
    return vertx;
  }

  SmtpServerOptions options() {
    return options;
  }

  SmtpHandler handler() {
    return handler;
  }

  @Override
  public Future<SmtpServer> listen() {
    if (!options.isTlsConfigured()) {
      return listen(null);
    }
    // Reading the PEM files and building the key manager is slow (file I/O, PBKDF2 in the JDK's PKCS#12 store,
    // ~0.5 s the first time in a JVM) and Vert.x would otherwise do it on the event loop at the first STARTTLS.
    return vertx.executeBlocking(() -> {
      Class.forName("io.netty.handler.ssl.JdkSslServerContext", true, SmtpServerImpl.class.getClassLoader());
      PemKeyCertOptions pem = new PemKeyCertOptions().setCertPath(options.getTlsCertPath()).setKeyPath(options.getTlsKeyPath());
      javax.net.ssl.KeyManagerFactory keys = pem.getKeyManagerFactory(vertx);
      startTls = options.isStartTls() && !options.isImplicitTls() ? StartTls.of(keys) : null;
      return KeyCertOptions.wrap(keys);
    }).compose(this::listen);
  }

  private Future<SmtpServer> listen(KeyCertOptions keyCert) {
    NetServerOptions nso = new NetServerOptions()
        .setHost(options.getHost())
        .setPort(options.getPort())
        .setTcpNoDelay(true)
        .setSsl(options.isImplicitTls())
        .setUseProxyProtocol(options.isUseProxyProtocol())
        .setProxyProtocolTimeout(options.getProxyProtocolTimeout().toMillis())
        .setProxyProtocolTimeoutUnit(TimeUnit.MILLISECONDS);
    if (keyCert != null) {
      // Set even without implicit TLS: STARTTLS upgrades with the server's SSL options.
      nso.setKeyCertOptions(keyCert);
    }
    netServer = vertx.createNetServer(nso).connectHandler(this::accept);
    return netServer.listen().map(ns -> {
      sweeper = vertx.setPeriodic(sweepInterval(), id -> sweep());
      return this;
    });
  }

  private long sweepInterval() {
    long shortest = TimeUnit.NANOSECONDS.toMillis(Math.min(Math.min(commandTimeoutNanos, dataTimeoutNanos), startTlsTimeoutNanos));
    return Math.max(10, Math.min(1000, shortest / 4));
  }

  private void accept(NetSocket socket) {
    ContextInternal context = (ContextInternal) vertx.getOrCreateContext();
    String ip = socket.remoteAddress() == null ? "?" : socket.remoteAddress().hostAddress();
    if (shuttingDown) {
      socket.end(Buffer.buffer(ServerReplies.R421_SHUTTING_DOWN.encode()));
      return;
    }
    if (!limiter.tryAcquire(ip, options.getMaxConnections(), options.getMaxConnectionsPerIp())) {
      socket.end(Buffer.buffer(ServerReplies.R421_TOO_MANY_CONNECTIONS.encode()));
      return;
    }
    ServerConnection connection = new ServerConnection(this, socket, context, ID_PREFIX + "-" + IDS.incrementAndGet(), ip);
    connections.add(connection);
    connection.start();
  }

  void removed(ServerConnection connection) {
    if (connections.remove(connection)) {
      limiter.release(connection.clientIp());
    }
    if (drained != null && connections.isEmpty()) {
      drained.tryComplete();
    }
  }

  private void sweep() {
    long now = System.nanoTime();
    for (ServerConnection c : new ArrayList<>(connections)) {
      c.guard(() -> c.checkTimeout(now));
    }
  }

  Future<Void> delay(Duration d) {
    Promise<Void> p = Promise.promise();
    vertx.setTimer(Math.max(1, d.toMillis()), id -> p.complete());
    return p.future();
  }

  void log(System.Logger.Level level, SmtpSession session, String what, Throwable cause) {
    if (LOG.isLoggable(level)) {
      LOG.log(level, session + ": " + what, cause);
    }
  }

  @Override
  public int actualPort() {
    return netServer == null ? 0 : netServer.actualPort();
  }

  @Override
  public int connectionCount() {
    return connections.size();
  }

  @Override
  public Future<Void> shutdown() {
    if (netServer == null) {
      return Future.succeededFuture();
    }
    shuttingDown = true;
    drained = Promise.promise();
    long grace = options.getShutdownGracePeriod().toMillis();
    for (ServerConnection c : new ArrayList<>(connections)) {
      c.guard(c::shutdown);
    }
    if (connections.isEmpty()) {
      drained.tryComplete();
    }
    long timer = vertx.setTimer(grace, id -> {
      for (ServerConnection c : new ArrayList<>(connections)) {
        c.guard(c::forceClose);
      }
    });
    return drained.future().eventually(() -> {
      vertx.cancelTimer(timer);
      return close();
    });
  }

  @Override
  public Future<Void> close() {
    if (sweeper >= 0) {
      vertx.cancelTimer(sweeper);
      sweeper = -1;
    }
    if (netServer == null) {
      return Future.succeededFuture();
    }
    NetServer ns = netServer;
    return ns.close();
  }
}
