package dev.peregrine.client;

import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.Timeouts;
import dev.peregrine.server.Envelope;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.server.SmtpSession;
import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.test.GeneratedStream;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.core.streams.ReadStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Our client against our server over loopback: pipelining, CHUNKING, reuse, refusals, TLS, AUTH. */
class ClientSessionIT extends VertxFixture {

  static final SelfSignedCertificate CERT = SelfSignedCertificate.create("localhost");

  private final BlockingQueue<String> received = new LinkedBlockingQueue<>();

  /** Keeps every message as "sender>rcpt,rcpt|content"; refuses recipients starting with "bad". */
  private final SmtpHandler handler = new SmtpHandler() {
    @Override
    public Future<Reply> rcpt(SmtpSession session, Envelope envelope, dev.peregrine.protocol.SmtpCommand.RcptTo rcpt) {
      return Future.succeededFuture(rcpt.path().toString().startsWith("<bad")
          ? Reply.of(550, "5.1.1", "No such user") : null);
    }

    @Override
    public Future<Boolean> authenticate(SmtpSession session, dev.peregrine.server.Credentials c) {
      return Future.succeededFuture(Map.of("alice", "s3cret").get(c.username()) != null
          && c.password().equals("s3cret"));
    }

    @Override
    public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
      Promise<Reply> done = Promise.promise();
      Buffer all = Buffer.buffer();
      content.handler(all::appendBuffer).exceptionHandler(done::tryFail).endHandler(v -> {
        received.add(envelope.sender() + ">" + String.join(",", envelope.forwardPaths().stream().map(Object::toString).toList())
            + (session.isTls() ? " tls" : "") + (session.authenticatedUser() != null ? " auth" : "") + "|" + all);
        done.complete(Reply.of(250, "2.0.0", "OK id=" + received.size()));
      });
      return done.future();
    }
  };

  private int server(SmtpServerOptions o) throws Exception {
    SmtpServer s = SmtpServer.create(vertx, o.setHost("127.0.0.1").setPort(0).setHostname("mx.test"), handler);
    s.listen().await(10, TimeUnit.SECONDS);
    return s.actualPort();
  }

  private ClientSession connect(SmtpClientOptions o, int port) throws Exception {
    return SmtpClient.create(vertx, o).connect("127.0.0.1", port).await(20, TimeUnit.SECONDS);
  }

  private String next() throws InterruptedException {
    String m = received.poll(10, TimeUnit.SECONDS);
    assertThat(m).as("a message arrived").isNotNull();
    return m;
  }

  @Test
  void sendsWithBdatAndWithDataAndTheServerGetsTheExactContent() throws Exception {
    int port = server(new SmtpServerOptions());
    String content = "Subject: t\r\n\r\n.leading dot\r\n..two\r\nend\r\n";
    for (boolean chunking : new boolean[] {true, false}) {
      ClientSession s = connect(new SmtpClientOptions().setChunking(chunking), port);
      assertThat(s.capabilities().pipelining()).isTrue();
      DeliveryResult r = s.send(MailTransaction.of("a@x.test", List.of("b@y.test", "c@y.test"), Buffer.buffer(content)))
          .await(20, TimeUnit.SECONDS);
      assertThat(r.allDelivered()).isTrue();
      assertThat(r.dataReply().text()).startsWith("OK id=");
      assertThat(next()).isEqualTo("<a@x.test>><b@y.test>,<c@y.test>|" + content);
      s.quit().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void reportsEachRecipientAndKeepsTheSessionUsableWhenAllAreRefused() throws Exception {
    int port = server(new SmtpServerOptions());
    for (boolean chunking : new boolean[] {true, false}) {
      ClientSession s = connect(new SmtpClientOptions().setChunking(chunking), port);
      DeliveryResult mixed = s.send(MailTransaction.of("a@x.test", List.of("bad1@y.test", "ok@y.test"), Buffer.buffer("x\r\n")))
          .await(20, TimeUnit.SECONDS);
      assertThat(mixed.recipients().get(0).failed()).isTrue();
      assertThat(mixed.recipients().get(0).finalReply().enhanced().toString()).isEqualTo("5.1.1");
      assertThat(mixed.recipients().get(1).delivered()).isTrue();
      assertThat(next()).startsWith("<a@x.test>><ok@y.test>|");

      DeliveryResult none = s.send(MailTransaction.of("a@x.test", List.of("bad1@y.test", "bad2@y.test"), Buffer.buffer("x\r\n")))
          .await(20, TimeUnit.SECONDS);
      assertThat(none.recipients()).allMatch(DeliveryResult.RecipientResult::failed);
      if (chunking) {
        // BDAT went out with MAIL/RCPT in one write; the server read the chunk and refused it.
        assertThat(none.dataReply().code()).isEqualTo(554);
      } else {
        assertThat(none.dataReply()).as("DATA refused: no content sent").isNull();
      }
      DeliveryResult after = s.send(MailTransaction.of("c@x.test", List.of("d@y.test"), Buffer.buffer("y\r\n")))
          .await(20, TimeUnit.SECONDS);
      assertThat(after.allDelivered()).isTrue();
      assertThat(next()).isEqualTo("<c@x.test>><d@y.test>|y\r\n");
      assertThat(received).isEmpty();
    }
  }

  @Test
  void pipelinesManyTransactionsOnOneSession() throws Exception {
    int port = server(new SmtpServerOptions());
    for (boolean chunking : new boolean[] {true, false}) {
      ClientSession s = connect(new SmtpClientOptions().setChunking(chunking), port);
      List<Future<DeliveryResult>> all = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        all.add(s.send(MailTransaction.of("a@x.test", List.of("r" + i + "@y.test"), Buffer.buffer("m" + i + "\r\n"))));
      }
      Future.all(all).await(30, TimeUnit.SECONDS);
      for (int i = 0; i < 50; i++) {
        assertThat(all.get(i).result().allDelivered()).isTrue();
        assertThat(next()).isEqualTo("<a@x.test>><r" + i + "@y.test>|m" + i + "\r\n");
      }
      assertThat(s.completedTransactions()).isEqualTo(50);
    }
  }

  @Test
  void streamsALargeMessageFromAFile(@TempDir Path dir) throws Exception {
    int port = server(new SmtpServerOptions().setMaxMessageSize(64L << 20));
    Path file = dir.resolve("big.eml");
    StringBuilder sb = new StringBuilder("Subject: big\r\n\r\n");
    for (int i = 0; i < 60_000; i++) {
      sb.append(i % 40 == 0 ? ".dot line " : "line ").append(i).append("\r\n");
    }
    Files.writeString(file, sb);
    // With CHUNKING: one BDAT per chunk read from the file; without: DATA, dot-stuffed as it streams.
    for (boolean chunking : new boolean[] {true, false}) {
      ClientSession s = connect(new SmtpClientOptions().setChunking(chunking), port);
      var stream = vertx.fileSystem().open(file.toString(), new OpenOptions().setRead(true)).await(10, TimeUnit.SECONDS);
      DeliveryResult r = s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), stream)).await(30, TimeUnit.SECONDS);
      assertThat(r.allDelivered()).isTrue();
      assertThat(next()).isEqualTo("<a@x.test>><b@y.test>|" + sb);
    }
  }

  @Test
  void binaryContentArrivesExactlyAsSentFromABufferAndFromAStream(@TempDir Path dir) throws Exception {
    int port = server(new SmtpServerOptions());
    String binary = "a\0b\nc\r\n.x\rend";
    ClientSession s = connect(new SmtpClientOptions(), port);
    assertThat(s.capabilities().binaryMime()).isTrue();
    assertThat(s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), Buffer.buffer(binary))).await(20, TimeUnit.SECONDS)
        .allDelivered()).isTrue();
    assertThat(next()).isEqualTo("<a@x.test>><b@y.test>|" + binary);
    Path file = dir.resolve("blob");
    Files.writeString(file, binary.repeat(10_000));
    var stream = vertx.fileSystem().open(file.toString(), new OpenOptions().setRead(true)).await(10, TimeUnit.SECONDS);
    assertThat(s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), stream).withBody(EsmtpParam.BodyType.BINARY_MIME))
        .await(20, TimeUnit.SECONDS).allDelivered()).isTrue();
    assertThat(next()).isEqualTo("<a@x.test>><b@y.test>|" + binary.repeat(10_000));
    // Text with bare line endings is repaired on the way, and its last line ended, with BDAT as with DATA.
    s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), Buffer.buffer("one\ntwo\rthree"))).await(20, TimeUnit.SECONDS);
    assertThat(next()).isEqualTo("<a@x.test>><b@y.test>|one\r\ntwo\r\nthree\r\n");
  }

  @Test
  void aGibibyteStreamsThroughInBoundedMemory() throws Exception {
    long total = 1L << 30;
    java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();
    SmtpHandler counting = new SmtpHandler() {
      @Override
      public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
        Promise<Reply> done = Promise.promise();
        content.handler(b -> received.addAndGet(b.length())).exceptionHandler(done::tryFail)
            .endHandler(v -> done.complete(Reply.of(250, "2.0.0", "got " + received.get())));
        return done.future();
      }
    };
    SmtpServer server = SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(0)
        .setMaxMessageSize(2L << 30), counting);
    server.listen().await(10, TimeUnit.SECONDS);
    ClientSession s = connect(new SmtpClientOptions(), server.actualPort());
    java.util.concurrent.atomic.AtomicLong maxAhead = new java.util.concurrent.atomic.AtomicLong();
    var stream = new GeneratedStream(vertx.getOrCreateContext(), "0123456789abcdefghijklmnopqrstuvwxyz\r\n", 64 * 1024, total,
        emitted -> maxAhead.accumulateAndGet(emitted - received.get(), Math::max));
    DeliveryResult r = s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), stream)).await(120, TimeUnit.SECONDS);
    // Plus the CRLF that ends the last line, which the last chunk cuts.
    assertThat(r.dataReply().text()).isEqualTo("got " + (total + 2));
    // Whatever the length, only socket buffers' worth is ever in flight between the stream and the server.
    assertThat(maxAhead.get()).isLessThan(64L << 20);
  }

  @Test
  void givesUpWhenTheServerStopsReadingContent() throws Exception {
    io.vertx.core.net.NetServer stalled = vertx.createNetServer().connectHandler(so -> {
      so.write("220 stall.test\r\n");
      so.handler(b -> {
        String text = b.toString();
        if (text.startsWith("EHLO")) {
          so.write("250-stall.test\r\n250 PIPELINING\r\n");
        } else if (text.endsWith("DATA\r\n")) {
          so.write("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 Go ahead\r\n");
          so.pause();  // and never read again
        }
      });
    });
    int port = stalled.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
    SmtpClientOptions o = new SmtpClientOptions();
    o.setTimeouts(o.getTimeouts().with(Timeouts.Phase.DATA_BLOCK, Duration.ofMillis(500)));
    ClientSession s = connect(o, port);
    var stream = new GeneratedStream(vertx.getOrCreateContext(), "line\r\n", 64 * 1024, 1L << 40, null);
    assertThatThrownBy(() -> s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), stream)).await(60, TimeUnit.SECONDS))
        .isInstanceOf(SmtpConnectionException.class).hasMessageContaining("data block timeout");
    assertThat(s.isOpen()).isFalse();
  }

  @Test
  void checksSizeAndEightBitLocallyBeforeSending() throws Exception {
    int port = server(new SmtpServerOptions().setMaxMessageSize(100).setEightBitMime(false).setBinaryMime(false));
    ClientSession s = connect(new SmtpClientOptions(), port);
    assertThatThrownBy(() -> s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), Buffer.buffer("x".repeat(200))))
        .await(10, TimeUnit.SECONDS)).hasMessageContaining("552 5.3.4");
    assertThatThrownBy(() -> s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), Buffer.buffer("café\r\n")))
        .await(10, TimeUnit.SECONDS)).hasMessageContaining("554 5.6.3");
    assertThat(s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), Buffer.buffer("fine\r\n"))).await(10, TimeUnit.SECONDS)
        .allDelivered()).isTrue();
  }

  @Test
  void usesStartTlsAndAuthAndRefusesWhenPolicyCannotBeMet() throws Exception {
    int tlsPort = server(new SmtpServerOptions().setTlsCertPath(CERT.certificatePath()).setTlsKeyPath(CERT.privateKeyPath()));
    ClientSession s = connect(new SmtpClientOptions().setUsername("alice").setPassword("s3cret"), tlsPort);
    assertThat(s.isTls()).isTrue();
    s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), Buffer.buffer("secret\r\n"))).await(10, TimeUnit.SECONDS);
    assertThat(next()).isEqualTo("<a@x.test>><b@y.test> tls auth|secret\r\n");

    ClientSession login = connect(new SmtpClientOptions().setUsername("alice").setPassword("s3cret").setAuthMechanism("LOGIN"), tlsPort);
    assertThat(login.isOpen()).isTrue();

    assertThatThrownBy(() -> connect(new SmtpClientOptions().setUsername("alice").setPassword("nope"), tlsPort))
        .isInstanceOf(SmtpClientException.class).hasMessageContaining("535 5.7.8");

    int plainAuthPort = server(new SmtpServerOptions().setAllowPlaintextAuth(true));
    assertThatThrownBy(() -> connect(new SmtpClientOptions().setUsername("alice").setPassword("s3cret"), plainAuthPort))
        .as("no STARTTLS offered: the password is not sent").isInstanceOf(SmtpClientException.class)
        .hasMessageContaining("530 5.7.0").hasMessageContaining("Credentials are not sent without TLS");
    assertThat(connect(new SmtpClientOptions().setTlsPolicy(TlsPolicy.DISABLED).setUsername("alice").setPassword("s3cret"),
        plainAuthPort).isOpen()).as("plaintext AUTH when TLS is turned off on purpose").isTrue();

    int plainPort = server(new SmtpServerOptions());
    assertThatThrownBy(() -> connect(new SmtpClientOptions().setTlsPolicy(TlsPolicy.REQUIRED), plainPort))
        .isInstanceOf(SmtpClientException.class).hasMessageContaining("530 5.7.0");
    assertThat(connect(new SmtpClientOptions(), plainPort).isTls()).as("opportunistic: plaintext when not offered").isFalse();
    assertThatThrownBy(() -> connect(new SmtpClientOptions().setTlsPolicy(TlsPolicy.REQUIRED_VERIFIED), tlsPort))
        .as("self-signed certificate not trusted").isInstanceOf(SmtpConnectionException.class);
    // The certificate names "localhost": verification checks the name we connect to.
    ClientSession verified = SmtpClient.create(vertx, new SmtpClientOptions().setTlsPolicy(TlsPolicy.REQUIRED_VERIFIED)
        .setTrustPemPath(CERT.certificatePath())).connect("localhost", tlsPort).await(20, TimeUnit.SECONDS);
    assertThat(verified.isTls()).isTrue();
  }

  @Test
  void givesUpOnAServerThatNeverGreets() throws Exception {
    // The kernel completes the TCP handshake from the backlog; nothing ever answers.
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
      SmtpClientOptions o = new SmtpClientOptions();
      o.setTimeouts(o.getTimeouts().with(Timeouts.Phase.GREETING, Duration.ofMillis(300)));
      assertThatThrownBy(() -> connect(o, silent.getLocalPort()))
          .isInstanceOf(SmtpConnectionException.class)
          .hasMessageContaining("did not answer with a greeting within PT0.3S");
    }
  }

  @Test
  void reportsAStaleSessionWhenTheServerDroppedAnIdleOne() throws Exception {
    SmtpServerOptions o = new SmtpServerOptions();
    o.setTimeouts(o.getTimeouts().with(Timeouts.Phase.SERVER_COMMAND, Duration.ofMillis(300)));
    int port = server(o);
    ClientSession s = connect(new SmtpClientOptions(), port);
    assertThat(s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), Buffer.buffer("1\r\n"))).await(10, TimeUnit.SECONDS)
        .allDelivered()).isTrue();
    // The server closes the idle session after 300 ms (421 4.4.2); the client notices the close.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (s.isOpen() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThatThrownBy(() -> s.send(MailTransaction.of("a@x.test", List.of("b@y.test"), Buffer.buffer("2\r\n")))
        .await(10, TimeUnit.SECONDS))
        .isInstanceOfSatisfying(SmtpConnectionException.class, e -> assertThat(e.isStale()).isTrue());
  }
}
