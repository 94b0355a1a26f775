package dev.peregrine.cli;

import dev.peregrine.cluster.SharedLimits;
import dev.peregrine.relay.queue.QueueManager;
import dev.peregrine.relay.spool.RecipientState;
import dev.peregrine.relay.spool.Spool;
import dev.peregrine.relay.spool.SpoolEntry;
import dev.peregrine.relay.spool.SpoolException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The service's HTTP endpoint (Vert.x core's HTTP server, no framework): {@code GET /health} (the process
 * answers), {@code GET /ready} (503 until the spool is recovered and every listener is bound, and again once
 * shutting down), {@code GET /metrics} (Prometheus text), and the queue administration that
 * {@code peregrine queue} uses, answered only to clients on a loopback address (403 otherwise):
 * {@code GET /queue}, {@code GET /queue/ID}, {@code POST /queue/flush}, {@code DELETE /queue/ID},
 * {@code POST /queue/drain} (answered when the drain is over).
 */
public final class AdminServer {

  private final Vertx vertx;
  private final PrometheusMeterRegistry registry;
  private final Spool spool;
  private final QueueManager queue;
  private final BooleanSupplier ready;
  private final SharedLimits limits;
  private final Drainer drainer;
  private HttpServer server;

  AdminServer(Vertx vertx, PrometheusMeterRegistry registry, Spool spool, QueueManager queue, BooleanSupplier ready,
              SharedLimits limits, Drainer drainer) {
    this.limits = limits;
    this.drainer = drainer;
    this.vertx = vertx;
    this.registry = registry;
    this.spool = spool;
    this.queue = queue;
    this.ready = ready;
  }

  Future<Integer> listen(String host, int port) {
    server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port));
    return server.requestHandler(this::handle).listen().map(HttpServer::actualPort);
  }

  Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    try {
      if (req.method() == HttpMethod.GET && path.equals("/health")) {
        text(req, 200, "ok\n");
      } else if (req.method() == HttpMethod.GET && path.equals("/ready")) {
        boolean r = ready.getAsBoolean();
        json(req, r ? 200 : 503, new JsonObject().put("ready", r).put("queue", queue.size())
            .put("refusing", queue.refusal() == null ? null : queue.refusal().text())
            // Where the limits shared with other nodes are held now: a node on local limits is still ready.
            .put("limits", limits.state()));
      } else if (req.method() == HttpMethod.GET && path.equals("/metrics")) {
        req.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(registry.scrape());
      } else if (path.equals("/queue") || path.startsWith("/queue/")) {
        if (!loopback(req)) {
          text(req, 403, "queue administration is answered on loopback only\n");
        } else {
          queue(req, path);
        }
      } else {
        text(req, 404, "no such endpoint: " + path + "\n");
      }
    } catch (RuntimeException e) {
      text(req, 500, "error: " + e.getMessage() + "\n");
    }
  }

  private void queue(HttpServerRequest req, String path) {
    String rest = path.equals("/queue") ? "" : path.substring("/queue/".length());
    if (req.method() == HttpMethod.GET && rest.isEmpty()) {
      int limit = Integer.parseInt(req.getParam("limit", "1000"));
      List<SpoolEntry> all = spool.list();
      JsonArray out = new JsonArray();
      all.stream().limit(limit).forEach(e -> out.add(entry(e)));
      json(req, 200, new JsonObject().put("total", all.size()).put("entries", out));
    } else if (req.method() == HttpMethod.POST && rest.equals("flush")) {
      queue.flush().onComplete(ar -> json(req, 200, new JsonObject().put("flushed", spool.list().size())));
    } else if (req.method() == HttpMethod.POST && rest.equals("drain")) {
      // Answers when the drain is over (the preStop hook waits for it): listeners closed, the due mail
      // delivered, the rest handed to cluster.drain.peer.
      drainer.drain().onComplete(ar -> {
        if (ar.succeeded()) {
          json(req, 200, ar.result());
        } else {
          text(req, 409, "drain: " + ar.cause().getMessage() + "\n");
        }
      });
    } else if (req.method() == HttpMethod.GET && !rest.isEmpty()) {
      SpoolEntry e = spool.get(rest);
      if (e == null) {
        text(req, 404, "no entry " + rest + " in the queue\n");
      } else {
        json(req, 200, entry(e));
      }
    } else if (req.method() == HttpMethod.DELETE && !rest.isEmpty()) {
      queue.delete(rest).onComplete(ar -> {
        if (ar.succeeded()) {
          json(req, 200, new JsonObject().put("deleted", rest));
        } else {
          text(req, ar.cause() instanceof SpoolException ? 404 : 409, ar.cause().getMessage() + "\n");
        }
      });
    } else {
      text(req, 405, req.method() + " " + path + " is not supported\n");
    }
  }

  static JsonObject entry(SpoolEntry e) {
    JsonArray rcpts = new JsonArray();
    for (RecipientState r : e.recipients()) {
      rcpts.add(new JsonObject().put("to", r.rcpt().path().toString()).put("status", r.status().name())
          .put("attempts", r.attempts())
          .put("next-attempt", r.nextAttempt() == null ? null : r.nextAttempt().toString())
          .put("reply", r.reply() == null ? null : r.reply().code() + " " + r.reply().text()));
    }
    return new JsonObject().put("id", e.id()).put("from", e.envelope().sender().toString()).put("size", e.size())
        .put("received", e.envelope().receivedAt().toString()).put("recipients", rcpts);
  }

  private static boolean loopback(HttpServerRequest req) {
    if (req.remoteAddress() == null || req.remoteAddress().hostAddress() == null) {
      return false;
    }
    try {
      // A numeric address: no lookup.
      return InetAddress.getByName(req.remoteAddress().hostAddress()).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static void text(HttpServerRequest req, int status, String body) {
    req.response().setStatusCode(status).putHeader("content-type", "text/plain; charset=utf-8").end(body);
  }

  private static void json(HttpServerRequest req, int status, JsonObject body) {
    req.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encodePrettily());
  }
}
