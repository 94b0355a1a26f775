package dev.peregrine.mailer;

import dev.peregrine.server.RecordingHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.test.BlockedThreadDetector;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.test.fakecluster.FakeClusterManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mail service across a cluster: two clustered Vert.x nodes in this JVM (Vert.x's FakeClusterManager,
 * the event bus over real loopback TCP between them), the service on one, the request from the other; the
 * request and the reply (and a ReplyException's code) cross the wire encoded.
 */
@ExtendWith(BlockedThreadDetector.class)
class ClusteredMailServiceIT {

  private Vertx service;
  private Vertx client;

  @AfterEach
  void stop() throws Exception {
    for (Vertx v : new Vertx[] {client, service}) {
      if (v != null) {
        v.close().await(20, TimeUnit.SECONDS);
      }
    }
    FakeClusterManager.reset();
  }

  private static Vertx node() throws Exception {
    VertxOptions o = new VertxOptions();
    o.getEventBusOptions().setHost("127.0.0.1").setClusterPublicHost("127.0.0.1");
    return Vertx.builder().with(o).withClusterManager(new FakeClusterManager()).buildClustered()
        .await(30, TimeUnit.SECONDS);
  }

  @Test
  void aRequestFromAnotherNodeIsSentAndAnswered() throws Exception {
    service = node();
    client = node();
    RecordingHandler stored = new RecordingHandler();
    int port = SmtpServer.create(service, new SmtpServerOptions().setHost("127.0.0.1").setPort(0), stored)
        .listen().await(10, TimeUnit.SECONDS).actualPort();
    JsonObject config = new JsonObject().put("address", "mail.cluster").put("mailer", new JsonObject()
        .put("client", new JsonObject().put("tls-policy", "disabled"))
        .put("dns", new JsonObject().put("routes", new JsonObject().put("*", "[127.0.0.1]:" + port))));
    service.deployVerticle(new MailServiceVerticle(), new DeploymentOptions().setConfig(config))
        .await(10, TimeUnit.SECONDS);

    JsonObject reply = client.eventBus().<JsonObject>request("mail.cluster", new JsonObject()
            .put("from", "a@sender.test").put("to", "b@dest.test").put("subject", "across").put("text", "hello"))
        .await(30, TimeUnit.SECONDS).body();
    assertThat(reply.getJsonArray("recipients").getJsonObject(0).getString("status")).isEqualTo("delivered");
    assertThat(stored.next().content().toString()).contains("Subject: across");

    Throwable refused = client.eventBus().request("mail.cluster", new JsonObject().put("to", "b@dest.test"))
        .transform(ar -> Future.succeededFuture(ar.cause())).await(30, TimeUnit.SECONDS);
    assertThat(refused).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) refused).failureCode()).isEqualTo(MailServiceVerticle.BAD_REQUEST);
    assertThat(refused.getMessage()).isEqualTo("from is required");
  }
}
