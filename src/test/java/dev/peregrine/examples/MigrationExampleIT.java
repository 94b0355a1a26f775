package dev.peregrine.examples;

import dev.peregrine.protocol.Reply;
import dev.peregrine.server.Envelope;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.server.SmtpSession;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Both sides of the README's migration example, run into our server: the same recipients, both delivered. */
class MigrationExampleIT extends VertxFixture {

  @Test
  void bothProgramsDeliverTheSameMessage() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    SmtpHandler keep = new SmtpHandler() {
      @Override
      public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
        Promise<Reply> done = Promise.promise();
        Buffer all = Buffer.buffer();
        content.handler(all::appendBuffer).exceptionHandler(done::tryFail).endHandler(v -> {
          bodies.add(envelope.forwardPaths() + " " + all);
          done.tryComplete();
        });
        return done.future();
      }
    };
    int port = SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(0), keep)
        .listen().await(10, TimeUnit.SECONDS).actualPort();
    assertThat(MigrationExample.withVertxMailClient(vertx, "127.0.0.1", port).await(30, TimeUnit.SECONDS))
        .containsExactly("a@example.com", "b@example.net");
    assertThat(MigrationExample.withPeregrine(vertx, "[127.0.0.1]:" + port).await(30, TimeUnit.SECONDS))
        .containsExactly("a@example.com", "b@example.net");
    assertThat(bodies).hasSize(2);
    assertThat(bodies.get(0)).contains("Subject: Hello").contains("Hello from Vert.x");
    assertThat(bodies.get(1)).startsWith("[<a@example.com>, <b@example.net>]").contains("Subject: Hello")
        .contains("Hello from Peregrine");
  }
}
