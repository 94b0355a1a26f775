package dev.peregrine.cli;

import dev.peregrine.dkim.Verifiers;
import dev.peregrine.server.RecordingHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.test.Peer;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code serve} with {@code mailer.dkim} keys signs at acceptance, as the content streams into the spool: the
 * mail of a client in {@code relay.client-networks} leaves signed (RSA and Ed25519, the signature stored with
 * the spool entry and sent before our {@code Received:} line), and both independent verifiers (dkimpy and
 * opendkim-testmsg) pass it as the next hop stored it; inbound mail from anyone else is not signed.
 */
class RelayDkimIT extends VertxFixture {

  @TempDir
  Path dir;

  private Verifiers verifiers;

  @AfterEach
  void stopDns() throws Exception {
    if (verifiers != null) {
      verifiers.close();
    }
  }

  @Test
  void trustedClientsMailIsSignedOnceAtAcceptanceAndVerifiesDownstream() throws Exception {
    verifiers = new Verifiers(Files.createDirectories(dir.resolve("keys")));
    RecordingHandler upstream = new RecordingHandler();
    int port = Peer.freePort();
    SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(port).setHostname("next.test"),
        upstream).listen().await(10, TimeUnit.SECONDS);
    Path file = dir.resolve("relay.yaml");
    Files.writeString(file, "http:\n  port: 0\nserver:\n  host: 127.0.0.1\n  port: 0\n  hostname: relay.test\n"
        + "relay:\n  local-domains: [relay.test]\n  client-networks: [127.0.0.1/32]\n"
        + "maildir:\n  dir: " + dir.resolve("maildir") + "\n" + "spool:\n  dir: " + dir.resolve("queue") + "\n"
        + "mailer:\n  client:\n    helo-name: relay.test\n"
        + "  dkim:\n    keys:\n"
        + "      - {domain: " + Verifiers.DOMAIN + ", selector: rsa, key-path: \"" + verifiers.rsaKey + "\"}\n"
        + "      - {domain: " + Verifiers.DOMAIN + ", selector: ed, key-path: \"" + verifiers.edKey + "\"}\n"
        + "  dns:\n    routes:\n      \"*\": \"[127.0.0.1]:" + port + "\"\n");
    Main.Running running = Main.serve(vertx, file.toString(), new JsonObject()).await(30, TimeUnit.SECONDS);

    // smtplib from 127.0.0.1 (a client network): 8-bit text, a line starting with a dot (dot-stuffed on the
    // wire, unstuffed before the spool), a folded Subject, trailing blank lines. (A Date: field, as RFC 5322
    // requires: opendkim-testmsg calls a message without one a syntax error.)
    String script = String.join("\n",
        "import smtplib, sys",
        "msg = (b'From: Alice <alice@" + Verifiers.DOMAIN + ">\\r\\nTo: x@one.test\\r\\n'",
        "       b'Subject: a long subject\\r\\n  folded onto a second line\\r\\nMIME-Version: 1.0\\r\\n'",
        "       b'Date: Sat, 05 Dec 2026 10:00:00 +0000\\r\\nMessage-ID: <1@" + Verifiers.DOMAIN + ">\\r\\n'",
        "       b'Content-Type: text/plain; charset=utf-8\\r\\nContent-Transfer-Encoding: 8bit\\r\\n\\r\\n'",
        "       + 'gr\\u00fc\\u00dfe\\r\\n.a dot line\\r\\n..two dots\\r\\n\\r\\n\\r\\n'.encode('utf-8'))",
        "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))",
        "s.sendmail('alice@" + Verifiers.DOMAIN + "', ['x@one.test'], msg, mail_options=['BODY=8BITMIME'])",
        "s.quit()");
    Peer.Result py = Peer.run(List.of("/usr/bin/python3", "-c", script, Integer.toString(running.port())), 60);
    assertThat(py.exit()).as(py.output()).isZero();
    RecordingHandler.Message m = upstream.messages.poll(30, TimeUnit.SECONDS);
    assertThat(m).as("the next hop got the message").isNotNull();
    byte[] stored = m.content().getBytes();
    String text = new String(stored, StandardCharsets.UTF_8);
    assertThat(Verifiers.signatures(stored)).as(text).isEqualTo(2);
    assertThat(text).contains("by relay.test (Peregrine) with ESMTP id ").contains("\r\n.a dot line\r\n");
    Path eml = dir.resolve("signed.eml");
    Files.write(eml, stored);
    assertThat(verifiers.dkimpy(List.of(eml))).hasSize(2)
        .allSatisfy(line -> assertThat(line).contains(" pass " + Verifiers.DOMAIN));
    for (int i = 0; i < 2; i++) {
      Path one = dir.resolve("only-" + i + ".eml");
      Files.write(one, Verifiers.onlySignature(stored, i));
      Peer.Result od = verifiers.opendkim(one);
      assertThat(od.exit()).as("opendkim-testmsg, signature " + i + ": " + od.output() + "\n" + text).isZero();
    }

    // From 127.0.0.2 (not a client network): inbound mail for a local domain, delivered to the Maildir unsigned.
    Peer.Result swaks = Peer.run(List.of("swaks", "--server", "127.0.0.1:" + running.port(), "--local-interface",
        "127.0.0.2", "--from", "mallory@" + Verifiers.DOMAIN, "--to", "bob@relay.test", "--h-Subject", "inbound",
        "--body", "not ours to sign"), 60);
    assertThat(swaks.exit()).as(swaks.output()).isZero();
    String delivered = Files.readString(RelayIT.awaitFiles(dir.resolve("maildir/new"), 1).get(0),
        StandardCharsets.ISO_8859_1);
    assertThat(delivered).as("delivered to the Maildir").isNotNull().contains("Subject: inbound")
        .doesNotContainIgnoringCase("DKIM-Signature:");
  }
}
