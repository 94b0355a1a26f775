package dev.peregrine.server;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import java.util.function.Supplier;

/**
 * Runs an {@link SmtpServer} as a verticle, configured by the deployment's JSON config (the keys of
 * {@link SmtpServerOptions#toJson()}). Deploy one instance per event loop to use every core; the instances
 * share the port and its connection limits:
 *
 * <pre>{@code
 * vertx.deployVerticle(() -> new SmtpServerVerticle(MyHandler::new),
 *     new DeploymentOptions().setInstances(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE).setConfig(json));
 * }</pre>
 *
 * Undeploying shuts the server down gracefully (see {@link SmtpServer#shutdown()}).
 */
public class SmtpServerVerticle extends VerticleBase {

  private final Supplier<SmtpHandler> handlers;
  private SmtpServer server;

  /** @param handlers makes the handler of this instance (called once, on the instance's event loop) */
  public SmtpServerVerticle(Supplier<SmtpHandler> handlers) {
    this.handlers = handlers;
  }

  @Override
  public Future<?> start() {
    SmtpServerOptions options;
    try {
      options = new SmtpServerOptions(config());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    server = SmtpServer.create(vertx, options, handlers.get());
    return server.listen();
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.shutdown();
  }

  /** The server of this instance, once started. */
  public SmtpServer server() {
    return server;
  }
}
