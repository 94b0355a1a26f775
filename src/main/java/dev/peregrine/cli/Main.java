package dev.peregrine.cli;

import dev.peregrine.config.PeregrineConfig;
import dev.peregrine.relay.MaildirHandler;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.server.SmtpServerVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The runnable service. {@code serve [--config FILE]} loads the configuration (embedded defaults, the file or
 * {@code PEREGRINE_CONFIG}, then {@code PEREGRINE_*} environment variables), and runs the SMTP server, one
 * verticle per event loop, delivering to a Maildir. SIGTERM shuts down gracefully.
 */
public final class Main {

  private Main() {
  }

  /** What {@link #serve} started. */
  public record Running(String deploymentId, String host, int port) {
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
      System.out.println("peregrine: SMTP listening on " + running.host() + ":" + running.port());
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          vertx.undeploy(running.deploymentId()).await(60, TimeUnit.SECONDS);
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
   * Loads the configuration and deploys the server verticles with a Maildir handler.
   *
   * @param environment stands for the process environment in tests ({@code null} = the real one)
   */
  public static Future<Running> serve(Vertx vertx, String file, JsonObject environment) {
    return PeregrineConfig.load(vertx, file, environment).compose(config -> {
      JsonObject server = config.getJsonObject("server", new JsonObject()).copy();
      JsonObject protocol = config.getJsonObject("protocol", new JsonObject());
      int instances = (Integer) server.remove("instances");
      if (instances <= 0) {
        instances = VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE;
      }
      if (protocol.containsKey("limits")) {
        server.put("limits", protocol.getJsonObject("limits"));
      }
      if (protocol.containsKey("timeouts")) {
        server.put("timeouts", protocol.getJsonObject("timeouts"));
      }
      SmtpServerOptions options = new SmtpServerOptions(server);
      JsonObject maildir = config.getJsonObject("maildir", new JsonObject());
      Set<String> domains = new HashSet<>();
      maildir.getJsonArray("domains", new JsonArray()).forEach(d -> domains.add(String.valueOf(d)));
      MaildirHandler handler = new MaildirHandler(vertx, Path.of(maildir.getString("dir", "spool/maildir")), domains,
          options.getHostname());
      // Several instances share one random port when the port is 0 (Vert.x: a negative port is shared).
      JsonObject deployed = options.toJson();
      if (options.getPort() == 0 && instances > 1) {
        deployed.put("port", -1);
      }
      int n = instances;
      SmtpServerVerticle[] first = new SmtpServerVerticle[1];
      return handler.prepare()
          .compose(v -> vertx.deployVerticle(() -> {
            SmtpServerVerticle verticle = new SmtpServerVerticle(() -> handler);
            if (first[0] == null) {
              first[0] = verticle;
            }
            return verticle;
          }, new DeploymentOptions().setInstances(n).setConfig(deployed)))
          .map(id -> new Running(id, options.getHost(), first[0].server().actualPort()));
    });
  }
}
