package dev.peregrine.mailer;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Runs a {@link Mailer} as a verticle, configured by the deployment's JSON config: the keys of the
 * {@code mailer} section of {@code config/peregrine.yaml} ({@link MailerOptions#MailerOptions(io.vertx.core.json.JsonObject)}).
 * Undeploying ends every pooled session with QUIT. A DKIM key that cannot be used fails the deployment, naming
 * the file and the reason.
 *
 * <pre>{@code
 * vertx.deployVerticle(new MailerVerticle(), new DeploymentOptions().setConfig(json))
 * }</pre>
 */
public class MailerVerticle extends VerticleBase {

  private Mailer mailer;

  @Override
  public Future<?> start() {
    MailerOptions options;
    try {
      options = new MailerOptions(config());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    // DKIM key files are read on a worker, not on this event loop.
    return Mailer.load(vertx, options).onSuccess(m -> mailer = m);
  }

  @Override
  public Future<?> stop() {
    return mailer == null ? Future.succeededFuture() : mailer.close();
  }

  /** The mailer of this instance, once started. */
  public Mailer mailer() {
    return mailer;
  }
}
