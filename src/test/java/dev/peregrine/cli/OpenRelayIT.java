package dev.peregrine.cli;

import dev.peregrine.test.VertxFixture;
import dev.peregrine.test.Wire;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every way round the relay rule we know of, against `serve` as shipped (local domains example.com and
 * bücher.example, no relay domains, no client networks), and the reply each gets. A recipient outside our domains is refused per
 * recipient with 554 5.7.1; odd local parts at our own domain are local mail (never relayed); what the
 * parser cannot take is a syntax error (501).
 */
class OpenRelayIT extends VertxFixture {

  @TempDir
  Path dir;

  private int serve(String relay) throws Exception {
    Path file = dir.resolve("peregrine.yaml");
    Files.writeString(file, "http:\n  port: 0\nserver:\n  host: 127.0.0.1\n  port: 0\n  instances: 1\n  hostname: mx.example.com\n"
        + "relay:\n" + relay + "maildir:\n  dir: " + dir.resolve("maildir") + "\n"
        + "spool:\n  dir: " + dir.resolve("queue") + "\n");
    return Main.serve(vertx, file.toString(), new JsonObject()).await(30, TimeUnit.SECONDS).port();
  }

  /** RCPT argument (MAIL FROM parameters after a '|') → "code enhanced" of the RCPT reply. */
  private static final String[][] ATTEMPTS = {
      {"<victim@elsewhere.test>", "554 5.7.1"},
      {"<victim@ELSEWHERE.TEST>", "554 5.7.1"},
      {"<@example.com:victim@elsewhere.test>", "554 5.7.1"},
      {"<@example.com,@mx.example.com:victim@elsewhere.test>", "554 5.7.1"},
      {"<victim%elsewhere.test@example.com>", "250 2.1.5"},
      {"<\"victim@elsewhere.test\"@example.com>", "250 2.1.5"},
      {"<elsewhere.test!victim@example.com>", "250 2.1.5"},
      {"<victim@[192.0.2.1]>", "554 5.7.1"},
      {"<victim@[127.0.0.1]>", "554 5.7.1"},
      {"<victim@[IPv6:::1]>", "554 5.7.1"},
      {"<victim@elsewhere.test.>", "501 5.1.3"},
      {"<victim@example.com.>", "501 5.1.3"},
      {"<victim@example.com.elsewhere.test>", "554 5.7.1"},
      {"<victim@elsewhere.test@example.com>", "501 5.1.3"},
      {"<user@EXAMPLE.COM>", "250 2.1.5"},
      {"<user@xn--bcher-kva.example>", "250 2.1.5"},
      {"<user@XN--BCHER-KVA.example>", "250 2.1.5"},
      {"<user@bücher.example>|SMTPUTF8", "250 2.1.5"},
      {"<user@BÜCHER.example>|SMTPUTF8", "250 2.1.5"},
      {"<user@bücher.example>", "553 5.6.7"},
      {"<user@bücher.test>|SMTPUTF8", "554 5.7.1"},
      {"<Postmaster>", "250 2.1.5"},
      {"<postmaster@example.com>", "250 2.1.5"},
      {"victim@elsewhere.test", "501 5.1.3"},
  };

  private static List<String> attempt(int port, String[][] attempts) throws Exception {
    List<String> got = new ArrayList<>();
    for (String[] a : attempts) {
      String[] parts = a[0].split("\\|");
      String params = parts.length > 1 ? " " + parts[1] : "";
      try (Wire w = Wire.connect(port)) {
        w.read();
        w.cmd("EHLO client.test");
        assertThat(w.cmd("MAIL FROM:<a@remote.test>" + params).code()).isEqualTo(250);
        var r = w.cmd("RCPT TO:" + parts[0]);
        got.add(a[0] + " -> " + r.code() + " " + r.enhanced());
      }
    }
    return got;
  }

  @Test
  void everyWayRoundTheRelayRuleGetsItsReply() throws Exception {
    int port = serve("  local-domains: [example.com, bücher.example]\n");
    List<String> expected = new ArrayList<>();
    for (String[] a : ATTEMPTS) {
      expected.add(a[0] + " -> " + a[1]);
    }
    assertThat(attempt(port, ATTEMPTS)).containsExactlyElementsOf(expected);
  }

  @Test
  void aClientNetworkMayRelay() throws Exception {
    int port = serve("  local-domains: [example.com]\n  client-networks: [127.0.0.0/8, \"::1/128\"]\n");
    assertThat(attempt(port, new String[][] {{"<victim@elsewhere.test>", ""}}))
        .containsExactly("<victim@elsewhere.test> -> 250 2.1.5");
  }

  @Test
  void aBadNetworkFailsTheStartByName() {
    var failure = Main.serve(vertx, write("  client-networks: [10.0.0.0/99]\n"), new JsonObject());
    assertThat(failure.toCompletionStage().toCompletableFuture()).failsWithin(30, TimeUnit.SECONDS)
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withMessageContaining("relay.client-networks: prefix length out of range");
  }

  private String write(String relay) {
    try {
      Path file = dir.resolve("bad.yaml");
      Files.writeString(file, "http:\n  port: 0\nserver:\n  host: 127.0.0.1\n  port: 0\nrelay:\n" + relay);
      return file.toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
