package dev.peregrine.cli;

import dev.peregrine.config.Listener;
import dev.peregrine.config.PeregrineConfig;
import dev.peregrine.relay.MaildirHandler;
import dev.peregrine.relay.RelayPolicy;
import dev.peregrine.server.SmtpServerVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The runnable service. {@code serve [--config FILE]} loads the configuration (embedded defaults, the file or
 * {@code PEREGRINE_CONFIG}, then {@code PEREGRINE_*} environment variables) and runs every listener (the MX
 * listener of {@code server}, and the enabled {@code listeners}: submission, submissions), one server
 * verticle per event loop each, delivering local mail to a Maildir under the relay policy. SIGTERM shuts down
 * gracefully.
 */
public final class Main {

  private Main() {
  }

  /** One listener {@link #serve} started. */
  public record Bound(String name, Listener.Role role, String deploymentId, String host, int port) {
  }

  /** What {@link #serve} started: the MX listener first. */
  public record Running(List<Bound> listeners) {
    /** The MX listener's port. */
    public int port() {
      return listeners.get(0).port();
    }
  }

  public static void main(String[] args) {
    // Before the first logger: keeps logging alive while the shutdown hook drains the sessions.
    System.setProperty("java.util.logging.manager", ShutdownLogManager.class.getName());
    String command = args.length > 0 ? args[0] : "serve";
    String file = System.getenv("PEREGRINE_CONFIG");
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        file = args[++i];
      } else {
        usage("unknown argument: " + args[i]);
      }
    }
    if (!command.equals("serve")) {
      usage("unknown command: " + command);
    }
    Vertx vertx = Vertx.vertx(vertxOptions());
    try {
      Running running = serve(vertx, file, null).await(60, TimeUnit.SECONDS);
      for (Bound b : running.listeners()) {
        System.out.println("peregrine: SMTP listening on " + b.host() + ":" + b.port() + " (" + b.name() + ", "
            + b.role().name().toLowerCase(java.util.Locale.ROOT) + ")");
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          List<Future<?>> stops = new ArrayList<>();
          for (Bound b : running.listeners()) {
            stops.add(vertx.undeploy(b.deploymentId()));
          }
          Future.join(stops).await(60, TimeUnit.SECONDS);
          vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          System.err.println("peregrine: unclean shutdown: " + e);
        } finally {
          ShutdownLogManager.shutdownDone();
        }
      }, "peregrine-shutdown"));
    } catch (Exception e) {
      System.err.println("peregrine: cannot start: " + (e.getMessage() == null ? e : e.getMessage()));
      vertx.close();
      System.exit(1);
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
    return new VertxOptions().setFileSystemOptions(
        new FileSystemOptions().setClassPathResolvingEnabled(false).setFileCachingEnabled(false));
  }

  private static void usage(String problem) {
    System.err.println("peregrine: " + problem);
    System.err.println("usage: peregrine serve [--config FILE]");
    System.exit(2);
  }

  /**
   * Loads the configuration and deploys every listener's server verticles with one Maildir handler and the
   * relay policy.
   *
   * @param environment stands for the process environment in tests ({@code null} = the real one)
   */
  public static Future<Running> serve(Vertx vertx, String file, JsonObject environment) {
    return PeregrineConfig.load(vertx, file, environment).compose(config -> {
      List<Listener> listeners;
      RelayPolicy policy;
      try {
        listeners = PeregrineConfig.listeners(config);
        policy = PeregrineConfig.relayPolicy(config);
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(e);
      }
      JsonObject relay = config.getJsonObject("relay", new JsonObject());
      JsonObject maildir = config.getJsonObject("maildir", new JsonObject());
      MaildirHandler handler = new MaildirHandler(vertx, Path.of(maildir.getString("dir", "spool/maildir")), policy,
          listeners.get(0).options().getHostname(), relay.getBoolean("received-show-auth-user", false));
      Future<List<Bound>> deployed = handler.prepare().map(v -> new ArrayList<>());
      for (Listener l : listeners) {
        deployed = deployed.compose(bound -> deploy(vertx, l, handler).map(b -> {
          bound.add(b);
          return bound;
        }));
      }
      return deployed.map(Running::new);
    });
  }

  private static Future<Bound> deploy(Vertx vertx, Listener listener, MaildirHandler handler) {
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
