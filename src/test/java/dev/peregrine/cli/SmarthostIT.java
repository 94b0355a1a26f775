package dev.peregrine.cli;

import dev.peregrine.server.RecordingHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.test.Peer;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Smarthost mode: every domain routed to one upstream ({@code mailer.dns.routes "*"}) that requires STARTTLS
 * and AUTH; the relay submits there with {@code tls-policy: required} and {@code mailer.client.username}.
 */
class SmarthostIT extends VertxFixture {

  @TempDir
  Path dir;

  @Test
  void everythingGoesToTheSmarthostOverTlsWithAuth() throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.create("smarthost.test");
    RecordingHandler upstream = new RecordingHandler();
    int port = Peer.freePort();
    SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(port).setHostname("smarthost.test")
        .setTlsCertPath(cert.certificatePath()).setTlsKeyPath(cert.privateKeyPath()).setRequireAuth(true), upstream)
        .listen().await(10, TimeUnit.SECONDS);
    Path file = dir.resolve("relay.yaml");
    Files.writeString(file, "http:\n  port: 0\nserver:\n  host: 127.0.0.1\n  port: 0\n  instances: 1\n  hostname: relay.test\n"
        + "relay:\n  local-domains: [relay.test]\n  client-networks: [127.0.0.0/8]\n"
        + "maildir:\n  dir: " + dir.resolve("maildir") + "\n" + "spool:\n  dir: " + dir.resolve("queue") + "\n"
        + "mailer:\n  client:\n    helo-name: relay.test\n    tls-policy: required\n"
        + "    username: alice\n    password: s3cret\n"
        + "  dns:\n    routes:\n      \"*\": \"[127.0.0.1]:" + port + "\"\n");
    Main.Running running = Main.serve(vertx, file.toString(), new JsonObject()).await(30, TimeUnit.SECONDS);
    Peer.Result swaks = Peer.run(List.of("swaks", "--server", "127.0.0.1:" + running.port(), "--from", "a@sender.test",
        "--to", "x@one.test,y@two.test", "--h-Subject", "via smarthost", "--body", "upstream"), 60);
    assertThat(swaks.exit()).as(swaks.output()).isZero();
    RecordingHandler.Message m = upstream.messages.poll(30, TimeUnit.SECONDS);
    assertThat(m).as("the smarthost got the message").isNotNull();
    assertThat(m.user()).isEqualTo("alice");
    assertThat(m.tls()).isTrue();
    assertThat(m.recipients()).containsExactlyInAnyOrder("<x@one.test>", "<y@two.test>");
    assertThat(m.content().toString(StandardCharsets.UTF_8)).contains("Subject: via smarthost")
        .contains("by relay.test (Peregrine) with ESMTP id ");
  }
}
