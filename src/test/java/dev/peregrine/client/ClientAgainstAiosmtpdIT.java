package dev.peregrine.client;

import dev.peregrine.test.Peer;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Our client against Python's aiosmtpd (an independent server) with SMTPUTF8 and 8-bit content. */
class ClientAgainstAiosmtpdIT extends VertxFixture {

  private Peer.Daemon server;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void sendsUtf8AddressesAnd8BitContent(@TempDir Path dir) throws Exception {
    int port = Peer.freePort();
    Path maildir = dir.resolve("maildir");
    server = Peer.daemon(List.of("/usr/bin/python3", "-m", "aiosmtpd", "-n", "-u", "-l", "127.0.0.1:" + port,
        "-c", "aiosmtpd.handlers.Mailbox", maildir.toString()), port, 20);
    ClientSession s = SmtpClient.create(vertx, new SmtpClientOptions().setTlsPolicy(TlsPolicy.DISABLED))
        .connect("127.0.0.1", port).await(20, TimeUnit.SECONDS);
    assertThat(s.capabilities().smtpUtf8()).isTrue();
    assertThat(s.capabilities().eightBitMime()).isTrue();
    String content = "Subject: caf\u00e9\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nd\u00e9j\u00e0 vu\r\n.dot\r\n";
    DeliveryResult r = s.send(MailTransaction.of("jos\u00e9@example.org", List.of("m\u00fcller@example.com"),
        Buffer.buffer(content.getBytes(StandardCharsets.UTF_8)))).await(20, TimeUnit.SECONDS);
    assertThat(r.allDelivered()).as(String.valueOf(r)).isTrue();
    s.quit().await(10, TimeUnit.SECONDS);
    List<Path> stored;
    try (Stream<Path> files = Files.list(maildir.resolve("new"))) {
      stored = files.toList();
    }
    assertThat(stored).hasSize(1);
    String mail = Files.readString(stored.get(0), StandardCharsets.UTF_8);
    assertThat(mail).contains("d\u00e9j\u00e0 vu\n.dot");
    // aiosmtpd records the envelope sender as an RFC 2047 encoded word.
    assertThat(mail).contains("X-MailFrom: =?utf-8?b?" + java.util.Base64.getEncoder()
        .encodeToString("jos\u00e9@example.org".getBytes(StandardCharsets.UTF_8)) + "?=");
  }
}
