package dev.peregrine.examples;

import dev.peregrine.protocol.Reply;
import dev.peregrine.server.Envelope;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.server.SmtpSession;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.streams.ReadStream;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The bulk-sending example verticle, run: 10,000 messages through the Mutiny Mailer into our server. */
class BulkSendVerticleIT extends VertxFixture {

  @Test
  void sendsTenThousandMessages() throws Exception {
    AtomicInteger received = new AtomicInteger();
    SmtpHandler count = new SmtpHandler() {
      @Override
      public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
        Promise<Reply> done = Promise.promise();
        content.handler(b -> { }).exceptionHandler(done::tryFail).endHandler(v -> {
          received.incrementAndGet();
          done.tryComplete();
        });
        return done.future();
      }
    };
    int port = SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(0), count)
        .listen().await(10, TimeUnit.SECONDS).actualPort();
    BulkSendVerticle bulk = new BulkSendVerticle();
    JsonObject config = new JsonObject().put("count", 10_000).put("concurrency", 100).put("mailer", new JsonObject()
        .put("client", new JsonObject().put("tls-policy", "disabled"))
        .put("dns", new JsonObject().put("routes", new JsonObject().put("*", "[127.0.0.1]:" + port))));
    vertx.deployVerticle(bulk, new DeploymentOptions().setConfig(config)).await(10, TimeUnit.SECONDS);
    assertThat(bulk.done().await(120, TimeUnit.SECONDS)).isEqualTo(10_000);
    assertThat(received.get()).isEqualTo(10_000);
  }
}
