package dev.peregrine.client;

import dev.peregrine.test.BlockedThreadDetector;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Our client against Python's aiosmtpd (an independent server) with SMTPUTF8 and 8-bit content. */
@ExtendWith(BlockedThreadDetector.class)
class ClientAgainstAiosmtpdIT {

  private Vertx vertx;
  private Process server;

  @BeforeEach
  void start() {
    vertx = BlockedThreadDetector.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.destroyForcibly();
      server.waitFor(10, TimeUnit.SECONDS);
    }
    vertx.close().await(20, TimeUnit.SECONDS);
  }

  @Test
  void sendsUtf8AddressesAnd8BitContent(@TempDir Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path maildir = dir.resolve("maildir");
    server = new ProcessBuilder("/usr/bin/python3", "-m", "aiosmtpd", "-n", "-u", "-l", "127.0.0.1:" + port,
        "-c", "aiosmtpd.handlers.Mailbox", maildir.toString())
        .redirectErrorStream(true).redirectOutput(new File("/dev/null")).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress("127.0.0.1", port), 200);
        break;
      } catch (IOException e) {
        if (System.nanoTime() > deadline || !server.isAlive()) {
          throw new AssertionError("aiosmtpd did not start", e);
        }
        Thread.sleep(50);
      }
    }
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
