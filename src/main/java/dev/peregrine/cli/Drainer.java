package dev.peregrine.cli;

import dev.peregrine.cluster.ClusterOptions;
import dev.peregrine.mailer.Mailer;
import dev.peregrine.mailer.MailerOptions;
import dev.peregrine.relay.queue.HandOff;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A node leaving the cluster ({@code peregrine queue drain}, the Kubernetes preStop hook, or SIGTERM when
 * {@code cluster.drain.peer} is set): stops accepting (not ready, listeners closed after the transactions in
 * flight), delivers what is due for {@code cluster.drain.deliver-for}, then hands what is left to the peer
 * ({@link HandOff}) for up to {@code cluster.drain.hand-off-for}. Done once: a second drain (the SIGTERM that
 * follows a preStop drain) gets the first one's result.
 */
public final class Drainer {

  private static final System.Logger LOG = System.getLogger("dev.peregrine.cli");

  private final Vertx vertx;
  private final ClusterOptions cluster;
  private final MailerOptions mailerOptions;
  private Main.Relay relay;
  private List<Main.Bound> listeners = List.of();
  private Future<Void> closed;
  private Future<JsonObject> drained;

  Drainer(Vertx vertx, ClusterOptions cluster, MailerOptions mailerOptions) {
    this.vertx = vertx;
    this.cluster = cluster;
    this.mailerOptions = mailerOptions;
  }

  synchronized void started(Main.Relay relay, List<Main.Bound> listeners) {
    this.relay = relay;
    this.listeners = List.copyOf(listeners);
  }

  /** True when SIGTERM drains: a peer to hand off to is configured. */
  boolean onStop() {
    return cluster.handsOff();
  }

  /** The longest a drain may take, for whoever waits on it. */
  Duration limit() {
    return cluster.getDrainDeliverFor().plus(cluster.getDrainHandOffFor()).plusSeconds(60);
  }

  /** Not ready, then every listener undeployed (each lets its sessions finish in its grace period). Once. */
  synchronized Future<Void> closeListeners() {
    if (closed == null) {
      if (relay != null) {
        relay.ready().set(false);
      }
      List<Future<?>> stops = new ArrayList<>();
      for (Main.Bound b : listeners) {
        stops.add(vertx.undeploy(b.deploymentId()));
      }
      closed = Future.join(stops).mapEmpty();
    }
    return closed;
  }

  /** The drain, started by the first call; its result in JSON (queued at start, handed off, left). */
  public synchronized Future<JsonObject> drain() {
    if (drained != null) {
      return drained;
    }
    if (relay == null) {
      return Future.failedFuture(new IllegalStateException("the server has not finished starting"));
    }
    Main.Relay r = relay;
    String peer = cluster.getDrainPeer();
    LOG.log(System.Logger.Level.INFO, "drain: closing the listeners, delivering for " + cluster.getDrainDeliverFor()
        + (peer.isEmpty() ? ", then leaving the rest in the spool (no cluster.drain.peer)" : ", then handing the rest to " + peer));
    int atStart = r.queue().size();
    drained = closeListeners()
        .compose(v -> r.queue().drain(cluster.getDrainDeliverFor()))
        .compose(v -> {
          if (peer.isEmpty()) {
            int left = r.spool().list().size();
            if (left > 0) {
              LOG.log(System.Logger.Level.WARNING, "drain: " + left + " message(s) left in the spool for the next start");
            }
            return Future.succeededFuture(new HandOff.Result(0, left));
          }
          Mailer handOff = Mailer.create(vertx, toPeer(mailerOptions, peer), null, null);
          return HandOff.run(vertx, r.spool(), handOff, peer, cluster.getDrainHandOffFor())
              .eventually(handOff::close);
        })
        .map(result -> new JsonObject().put("queued-at-start", atStart).put("handed-off", result.handedOff())
            .put("left", result.left()).put("peer", peer.isEmpty() ? null : peer));
    return drained;
  }

  /**
   * The Mailer's client and pool settings with every domain routed to {@code peer}, no per-destination limits,
   * no signing (the mail was signed at acceptance) and a short host-down back-off.
   */
  static MailerOptions toPeer(MailerOptions options, String peer) {
    MailerOptions o = new MailerOptions(options);
    o.getDns().getRoutes().clear();
    o.getDns().addRoute("*", peer);
    o.setDestinationRate(0).setConnectionsPerMinute(0).setDkim(new dev.peregrine.dkim.DkimOptions());
    // The peer is a Service in front of several nodes: one refused connection says little about the next.
    o.getPool().setHostDownBackoff(Duration.ofMillis(Math.min(500, o.getPool().getHostDownBackoff().toMillis())));
    return o;
  }
}
