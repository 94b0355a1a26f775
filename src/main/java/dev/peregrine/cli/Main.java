package dev.peregrine.cli;

import dev.peregrine.cluster.ClusterOptions;
import dev.peregrine.cluster.SharedLimits;
import dev.peregrine.config.Listener;
import dev.peregrine.config.PeregrineConfig;
import dev.peregrine.dkim.DkimSigner;
import dev.peregrine.mailer.Mailer;
import dev.peregrine.mailer.MailerOptions;
import dev.peregrine.relay.Maildir;
import dev.peregrine.relay.RelayHandler;
import dev.peregrine.relay.RelayMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import dev.peregrine.relay.queue.QueueManager;
import dev.peregrine.relay.queue.QueueOptions;
import dev.peregrine.relay.spool.Recovery;
import dev.peregrine.relay.spool.Spool;
import dev.peregrine.relay.spool.SpoolOptions;
import dev.peregrine.relay.PasswordFile;
import dev.peregrine.relay.RelayPolicy;
import dev.peregrine.server.ServerTransport;
import dev.peregrine.server.SmtpServerVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * The runnable service. {@code serve [--config FILE]} loads the configuration (embedded defaults, the file or
 * {@code PEREGRINE_CONFIG}, then {@code PEREGRINE_*} environment variables) and runs every listener (the MX
 * listener of {@code server}, and the enabled {@code listeners}: submission, submissions), one server
 * verticle per event loop each, spooling what the relay policy accepts and delivering it (local domains to a
 * Maildir, the rest through the Mailer) with retries and bounces. SIGTERM shuts down gracefully.
 */
public final class Main {

  private Main() {
  }

  /** One listener {@link #serve} started. */
  public record Bound(String name, Listener.Role role, String deploymentId, String host, int port) {
  }

  /**
   * What {@link #serve} started: the MX listener first, the relay behind them, and the HTTP endpoint's port
   * (-1 when {@code http.enabled} is false).
   */
  public record Running(List<Bound> listeners, Relay relay, int httpPort, Drainer drainer) {
    /** The MX listener's port. */
    public int port() {
      return listeners.get(0).port();
    }
  }

  public static void main(String[] args) {
    // Before the first logger: keeps logging alive while the shutdown hook drains the sessions.
    System.setProperty("java.util.logging.manager", ShutdownLogManager.class.getName());
    LogFormat.install();
    int code = new CommandLine(new Commands()).execute(args.length == 0 ? new String[] {"serve"} : args);
    if (code != 0) {
      System.exit(code);
    }
    // serve returned 0 and its event loops keep the process alive until SIGTERM.
  }

  /** The command line: {@code peregrine serve|passwd}, with help and argument errors from picocli. */
  @Command(name = "peregrine", mixinStandardHelpOptions = true, version = "peregrine 0.1.0",
      description = "A reactive SMTP server and relay on Vert.x.", subcommands = {Serve.class, SendCommand.class, QueueCommands.class, Passwd.class})
  static final class Commands implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
      throw new ParameterException(spec.commandLine(), "name a command: serve, send, queue or passwd");
    }
  }

  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = "Run the SMTP service with the embedded defaults, the config file and PEREGRINE_* variables.")
  static final class Serve implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML over the embedded defaults (default: $PEREGRINE_CONFIG)")
    String config = System.getenv("PEREGRINE_CONFIG");

    @Override
    public Integer call() {
      // Listening sockets accept on the event loops (no acceptor thread hop per connection): ServerTransport.
      Vertx vertx = ServerTransport.vertx(vertxOptions());
      try {
        Running running = serve(vertx, config, null).await(60, TimeUnit.SECONDS);
        // Before the listening lines: whoever waits for those finds this one written.
        System.out.println("peregrine: network transport " + (vertx.isNativeTransportEnabled() ? "epoll (native)"
            : "NIO (" + (vertx.unavailableNativeTransportCause() == null ? "native transport off"
                : vertx.unavailableNativeTransportCause().getMessage()) + ")")
            + ServerTransport.describe(vertx));
        for (Bound b : running.listeners()) {
          System.out.println("peregrine: SMTP listening on " + b.host() + ":" + b.port() + " (" + b.name() + ", "
              + b.role().name().toLowerCase(Locale.ROOT) + ")");
        }
        if (running.httpPort() > 0) {
          System.out.println("peregrine: HTTP (health, ready, metrics, queue) on port " + running.httpPort());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(vertx, running), "peregrine-shutdown"));
        return 0;
      } catch (Exception e) {
        System.err.println("peregrine: cannot start: " + (e.getMessage() == null ? e : e.getMessage()));
        vertx.close();
        return 1;
      }
    }
  }

  private static void stop(Vertx vertx, Running running) {
    try {
      // Not ready from the first moment of the stop: load balancers stop sending while sessions drain.
      Drainer drainer = running.drainer();
      drainer.closeListeners().await(60, TimeUnit.SECONDS);
      if (drainer.onStop()) {
        // A node of a cluster leaves nothing behind: what it cannot deliver goes to the others.
        drainer.drain().await(drainer.limit().toSeconds(), TimeUnit.SECONDS);
      }
      running.relay().stop().await(60, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("peregrine: unclean shutdown: " + e);
    } finally {
      ShutdownLogManager.shutdownDone();
    }
  }

  @Command(name = "passwd", mixinStandardHelpOptions = true,
      description = "Add USER to the AUTH password file, or change their password (read from the terminal, or"
          + " one line of standard input).")
  static final class Passwd implements Callable<Integer> {
    @Parameters(paramLabel = "USER", description = "the user name AUTH will take")
    String user;

    @Option(names = "--file", paramLabel = "FILE", description = "the password file (default: auth.password-file)")
    Path file;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML over the embedded defaults (default: $PEREGRINE_CONFIG)")
    String config = System.getenv("PEREGRINE_CONFIG");

    @Option(names = "--cost", description = "bcrypt cost, 2^cost rounds (default: ${DEFAULT-VALUE})")
    int cost = PasswordFile.DEFAULT_COST;

    @Override
    public Integer call() throws Exception {
      Path target = file != null ? file : configuredFile();
      if (target == null) {
        System.err.println("peregrine: no password file: give --file or set auth.password-file");
        return 2;
      }
      char[] password = readPassword();
      if (password == null || password.length == 0) {
        System.err.println("peregrine: an empty password is refused");
        return 2;
      }
      PasswordFile.set(target, user, password, cost);
      java.util.Arrays.fill(password, ' ');
      System.out.println("peregrine: password for " + user + " set in " + target);
      return 0;
    }

    private Path configuredFile() throws Exception {
      String f = loadConfig(config).getJsonObject("auth", new JsonObject()).getString("password-file", "");
      return f.isBlank() ? null : Path.of(f);
    }

    private static char[] readPassword() throws java.io.IOException {
      java.io.Console console = System.console();
      if (console != null) {
        char[] first = console.readPassword("Password: ");
        char[] again = console.readPassword("Again: ");
        if (first == null || !java.util.Arrays.equals(first, again)) {
          System.err.println("peregrine: the passwords differ");
          return null;
        }
        return first;
      }
      String line = new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
          java.nio.charset.StandardCharsets.UTF_8)).readLine();
      return line == null ? null : line.toCharArray();
    }
  }

  /** The configuration as {@code serve} would load it, for the commands that only read it. */
  static JsonObject loadConfig(String file) throws Exception {
    Vertx vertx = Vertx.vertx(vertxOptions());
    try {
      return PeregrineConfig.load(vertx, file, null).await(30, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * The service's Vert.x. Class-path file resolution is off: Vert.x keeps a cache directory for it that a JVM
   * shutdown hook of its own deletes at SIGTERM, after which every file-system call on a path that does not
   * exist yet (a new spool file, a rename's target) fails with "cacheDir has been removed" while our hook is
   * still letting transactions finish. The service reads no files from the class path through Vert.x (the
   * embedded defaults are read directly, see {@link PeregrineConfig}).
   */
  static VertxOptions vertxOptions() {
    // Netty's epoll transport where it loads (the fat jar carries it for Linux x86-64 and aarch64), NIO
    // elsewhere; -Dperegrine.native-transport=false forces NIO.
    VertxOptions options = new VertxOptions().setFileSystemOptions(
        new FileSystemOptions().setClassPathResolvingEnabled(false).setFileCachingEnabled(false))
        .setPreferNativeTransport(!"false".equals(System.getProperty("peregrine.native-transport")));
    // -Dperegrine.blocked-thread-stack-ms=N: a blocked-thread warning carries the thread's stack from N ms
    // (Vert.x's default: only past 5 s), to find what held an event loop.
    String stackAfter = System.getProperty("peregrine.blocked-thread-stack-ms");
    if (stackAfter != null) {
      options.setWarningExceptionTime(Long.parseLong(stackAfter)).setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS);
    }
    return options;
  }


  /**
   * Loads the configuration, opens and recovers the spool, starts the queue manager (local delivery to the
   * Maildir, the rest through the Mailer) and deploys every listener's server verticles with one relay
   * handler. The relay is closed with {@code vertx}, or earlier by {@link Running#stop}.
   *
   * @param environment stands for the process environment in tests ({@code null} = the real one)
   */
  public static Future<Running> serve(Vertx vertx, String file, JsonObject environment) {
    return PeregrineConfig.load(vertx, file, environment).compose(config -> {
      List<Listener> listeners;
      RelayPolicy policy;
      SpoolOptions spoolOptions;
      QueueOptions queueOptions;
      MailerOptions mailerOptions;
      ClusterOptions clusterOptions;
      try {
        clusterOptions = PeregrineConfig.cluster(config);
        listeners = PeregrineConfig.listeners(config);
        policy = PeregrineConfig.relayPolicy(config);
        spoolOptions = PeregrineConfig.spool(config);
        queueOptions = PeregrineConfig.queue(config);
        mailerOptions = PeregrineConfig.mailer(config);
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(e);
      }
      JsonObject relay = config.getJsonObject("relay", new JsonObject());
      JsonObject maildirConfig = config.getJsonObject("maildir", new JsonObject());
      JsonObject http = config.getJsonObject("http", new JsonObject());
      String hostname = listeners.get(0).options().getHostname();
      String passwordFile = config.getJsonObject("auth", new JsonObject()).getString("password-file", "");
      Future<PasswordFile> passwords = passwordFile.isBlank() ? Future.succeededFuture()
          : PasswordFile.load(vertx, Path.of(passwordFile));
      Maildir maildir = new Maildir(vertx, Path.of(maildirConfig.getString("dir", "spool/maildir")));
      // Signed once at acceptance (RelayHandler); the relay's Mailer must not sign each attempt again.
      Future<DkimSigner> signing = mailerOptions.getDkim().isEnabled()
          ? DkimSigner.load(vertx, mailerOptions.getDkim()) : Future.succeededFuture();
      return passwords.compose(p -> signing.compose(signer -> maildir.prepare()
          .compose(v -> Spool.open(vertx, spoolOptions))
          .recover(t -> (signer == null ? Future.<Void>succeededFuture() : signer.close())
              .transform(ignored -> Future.<Spool>failedFuture(t)))
          .compose(spool -> {
        // A node alone keeps the Mailer's own limits; a cluster's go through Redis (local ones while it is down).
        SharedLimits limits = SharedLimits.create(vertx, clusterOptions);
        Mailer mailer = Mailer.create(vertx, mailerOptions, null, clusterOptions.isShared() ? limits : null);
        QueueManager queue = new QueueManager(vertx, spool, mailer, maildir, policy, queueOptions, hostname,
            Path.of(spoolOptions.getDir()));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RelayMetrics metrics = new RelayMetrics(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        metrics.bind(queue, spool);
        queue.metrics(metrics);
        java.util.concurrent.atomic.AtomicBoolean ready = new java.util.concurrent.atomic.AtomicBoolean();
        metrics.bind(limits);
        Drainer drainer = new Drainer(vertx, clusterOptions, mailerOptions);
        AdminServer admin = new AdminServer(vertx, registry, spool, queue, ready::get, limits, drainer);
        Relay r = new Relay(spool, queue, mailer, limits, signer, admin, ready);
        ((VertxInternal) vertx).addCloseHook(completion -> r.stop().onComplete(completion));
        Recovery found = spool.recovery();
        if (found.discardedPartial() > 0 || !found.movedAside().isEmpty() || found.truncatedBytes() > 0) {
          System.err.println("peregrine: spool recovery: " + found.entries().size() + " message(s) requeued, "
              + found.discardedPartial() + " never acknowledged dropped, moved aside: " + found.movedAside()
              + ", torn tail cut: " + found.truncatedBytes() + " octets");
        }
        RelayHandler handler = new RelayHandler(spool, queue, policy, hostname,
            relay.getBoolean("received-show-auth-user", false), p, metrics, signer);
        Future<Integer> adminPort = http.getBoolean("enabled", true)
            ? admin.listen(http.getString("host", "127.0.0.1"), http.getInteger("port", 8025))
                .recover(t -> Future.failedFuture(new IllegalStateException("http: cannot listen on "
                    + http.getString("host", "127.0.0.1") + ":" + http.getInteger("port", 8025) + ": " + t.getMessage(), t)))
            : Future.succeededFuture(-1);
        Future<List<Bound>> deployed = adminPort.map(port -> new ArrayList<>());
        for (Listener l : listeners) {
          deployed = deployed.compose(bound -> deploy(vertx, l, handler).map(b -> {
            bound.add(b);
            return bound;
          }));
        }
        return deployed.compose(bound -> queue.start().map(v -> {
              drainer.started(r, bound);
              ready.set(true);
              return new Running(bound, r, adminPort.result(), drainer);
            }))
            .recover(t -> r.stop().transform(ignored -> Future.failedFuture(t)));
      })));
    });
  }

  /** The relay behind the listeners: stopped after them, in this order, by {@link #stop()}. */
  public record Relay(Spool spool, QueueManager queue, Mailer mailer, SharedLimits limits, DkimSigner signer,
                      AdminServer admin,
                      java.util.concurrent.atomic.AtomicBoolean ready) {

    /**
     * Not ready any more; lets the delivery attempts under way record their outcomes, ends pooled sessions,
     * closes the spool and the HTTP endpoint.
     */
    public Future<Void> stop() {
      ready.set(false);
      return queue.stop().eventually(mailer::close).eventually(limits::close).eventually(spool::close)
          .eventually(() -> signer == null ? Future.succeededFuture() : signer.close()).eventually(admin::close);
    }
  }

  private static Future<Bound> deploy(Vertx vertx, Listener listener, RelayHandler handler) {
    JsonObject json = listener.options().toJson();
    // Several instances share one random port when the port is 0 (Vert.x: a negative port is shared).
    if (listener.options().getPort() == 0 && listener.instances() > 1) {
      json.put("port", -1);
    }
    SmtpServerVerticle[] first = new SmtpServerVerticle[1];
    return vertx.deployVerticle(() -> {
      SmtpServerVerticle verticle = new SmtpServerVerticle(() -> handler);
      synchronized (first) {
        if (first[0] == null) {
          first[0] = verticle;
        }
      }
      return verticle;
    }, new DeploymentOptions().setInstances(listener.instances()).setConfig(json))
        .map(id -> new Bound(listener.name(), listener.role(), id, listener.options().getHost(),
            first[0].server().actualPort()));
  }
}
