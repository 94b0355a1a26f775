package dev.peregrine.examples;

import dev.peregrine.server.RecordingHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.test.VertxFixture;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Both sides of the README's migration example, run into our server: the same recipients, both delivered. */
class MigrationExampleIT extends VertxFixture {

  @Test
  void bothProgramsDeliverTheSameMessage() throws Exception {
    RecordingHandler handler = new RecordingHandler();
    int port = SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(0), handler)
        .listen().await(10, TimeUnit.SECONDS).actualPort();
    assertThat(MigrationExample.withVertxMailClient(vertx, "127.0.0.1", port).await(30, TimeUnit.SECONDS))
        .containsExactly("a@example.com", "b@example.net");
    assertThat(MigrationExample.withPeregrine(vertx, "[127.0.0.1]:" + port).await(30, TimeUnit.SECONDS))
        .containsExactly("a@example.com", "b@example.net");
    List<String> bodies = handler.messages.stream().map(m -> m.recipients() + " " + m.content()).toList();
    assertThat(bodies).hasSize(2);
    assertThat(bodies.get(0)).contains("Subject: Hello").contains("Hello from Vert.x");
    assertThat(bodies.get(1)).startsWith("[<a@example.com>, <b@example.net>]").contains("Subject: Hello")
        .contains("Hello from Peregrine");
  }
}
