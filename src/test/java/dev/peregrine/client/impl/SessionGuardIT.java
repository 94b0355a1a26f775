package dev.peregrine.client.impl;

import dev.peregrine.client.DeliveryResult;
import dev.peregrine.client.MailTransaction;
import dev.peregrine.client.SmtpClient;
import dev.peregrine.client.SmtpClientException;
import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.SmtpConnectionException;
import dev.peregrine.client.TlsPolicy;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpServer;
import dev.peregrine.server.SmtpServerOptions;
import dev.peregrine.server.SmtpSession;
import dev.peregrine.test.ChunkStream;
import dev.peregrine.test.GeneratedStream;
import dev.peregrine.test.VertxFixture;
import io.netty.channel.ChannelOption;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import io.vertx.core.streams.ReadStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every way in from Vert.x into a client session, made to throw on purpose (through the session's fault
 * seam, or by a misbehaving content stream): the exception is logged once with the session's id, every
 * pending transaction fails with an {@link SmtpConnectionException} that carries it, the socket is closed
 * (the server sees the disconnect) and the deadline timer is cancelled. Without the guard such an exception
 * escaped to Vert.x and the transaction hung.
 */
class SessionGuardIT extends VertxFixture {

  /** The exception a fault throws; its message names the entry. */
  static final class InjectedFault extends RuntimeException {
    InjectedFault(String entry) {
      super("injected at " + entry);
    }
  }

  private final Logger log = Logger.getLogger("dev.peregrine.client"); // held: JUL keeps loggers weakly
  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      records.add(r);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };
  /** Completed when the server side of the session sees it close. */
  private final Promise<Void> disconnected = Promise.promise();

  @BeforeEach
  void captureLog() {
    log.addHandler(capture);
  }

  @AfterEach
  void releaseLog() {
    log.removeHandler(capture);
  }

  private int ourServer() throws Exception {
    SmtpServer server = SmtpServer.create(vertx, new SmtpServerOptions().setHost("127.0.0.1").setPort(0), new SmtpHandler() {
      @Override
      public void disconnect(SmtpSession session) {
        disconnected.tryComplete();
      }
    });
    server.listen().await(10, TimeUnit.SECONDS);
    return server.actualPort();
  }

  /** Greets, answers EHLO with PIPELINING, then hands each line to {@code onLine}. */
  private int rawServer(BiConsumer<NetSocket, String> onLine) throws Exception {
    return vertx.createNetServer().connectHandler(so -> {
      so.closeHandler(v -> disconnected.tryComplete());
      so.write("220 raw.test ESMTP\r\n");
      so.handler(RecordParser.newDelimited("\r\n", line -> {
        String l = line.toString(StandardCharsets.ISO_8859_1);
        if (l.startsWith("EHLO")) {
          so.write("250-raw.test\r\n250 PIPELINING\r\n");
        } else {
          onLine.accept(so, l);
        }
      }));
    }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
  }

  private ClientSessionImpl connect(int port) throws Exception {
    return (ClientSessionImpl) SmtpClient.create(vertx, new SmtpClientOptions().setTlsPolicy(TlsPolicy.DISABLED))
        .connect("127.0.0.1", port).await(20, TimeUnit.SECONDS);
  }

  /** The first time {@code entry} is reached, it throws. */
  private static InjectedFault armOnce(ClientSessionImpl s, String entry) {
    InjectedFault fault = new InjectedFault(entry);
    AtomicBoolean fired = new AtomicBoolean();
    s.faults = point -> {
      if (point.equals(entry) && fired.compareAndSet(false, true)) {
        throw fault;
      }
    };
    return fault;
  }

  private static MailTransaction message(String content) {
    return MailTransaction.of("a@x.test", List.of("b@y.test"), Buffer.buffer(content));
  }

  private static MailTransaction message(ReadStream<Buffer> content) {
    return MailTransaction.of("a@x.test", List.of("b@y.test"), content);
  }

  /** Each of {@code pending} fails with the typed error carrying {@code fault}; logged once; all cleaned up. */
  private void assertCrashed(ClientSessionImpl s, String entry, InjectedFault fault, List<Future<DeliveryResult>> pending)
      throws Exception {
    for (Future<DeliveryResult> f : pending) {
      assertThatThrownBy(() -> f.await(10, TimeUnit.SECONDS))
          .isInstanceOf(SmtpConnectionException.class)
          .hasMessageContaining("client session " + s.id() + " ")
          .hasMessageContaining("unexpected")
          .hasCause(fault);
    }
    assertThat(records).as("logged once").hasSize(1);
    LogRecord r = records.get(0);
    assertThat(r.getLevel()).isEqualTo(Level.SEVERE);
    assertThat(r.getMessage()).contains("client session " + s.id() + " ").contains("in " + entry);
    assertThat(r.getThrown()).isSameAs(fault);
    assertThat(s.isOpen()).isFalse();
    assertThat(vertx.cancelTimer(s.sweeper)).as("the deadline timer was cancelled").isFalse();
    disconnected.future().await(10, TimeUnit.SECONDS);
    // A session that failed refuses what comes next with the same typed error.
    assertThatThrownBy(() -> s.send(message("later\r\n")).await(10, TimeUnit.SECONDS))
        .isInstanceOf(SmtpConnectionException.class).hasCause(fault);
  }

  @Test
  void socketData() throws Exception {
    ClientSessionImpl s = connect(ourServer());
    InjectedFault fault = armOnce(s, "socket data");
    assertCrashed(s, "socket data", fault, List.of(s.send(message("hello\r\n"))));
  }

  @Test
  void socketClose() throws Exception {
    ClientSessionImpl s = connect(rawServer((so, line) -> so.close()));
    InjectedFault fault = armOnce(s, "socket close");
    assertCrashed(s, "socket close", fault, List.of(s.send(message("hello\r\n"))));
  }

  @Test
  void socketException() throws Exception {
    // A reset (SO_LINGER 0) rather than an orderly close: the client's read fails.
    ClientSessionImpl s = connect(rawServer((so, line) -> {
      if (line.startsWith("MAIL")) {
        ((NetSocketInternal) so).channelHandlerContext().channel().config().setOption(ChannelOption.SO_LINGER, 0);
        so.close();
      }
    }));
    InjectedFault fault = armOnce(s, "socket exception");
    assertCrashed(s, "socket exception", fault, List.of(s.send(message("hello\r\n"))));
  }

  @Test
  void timer() throws Exception {
    ClientSessionImpl s = connect(rawServer((so, line) -> { })); // never answers
    InjectedFault fault = armOnce(s, "timer");
    assertCrashed(s, "timer", fault, List.of(s.send(message("hello\r\n"))));
  }

  @Test
  void writeTask() throws Exception {
    ClientSessionImpl s = connect(ourServer());
    InjectedFault fault = armOnce(s, "write");
    assertCrashed(s, "write", fault, List.of(s.send(message("hello\r\n"))));
  }

  @Test
  void drain() throws Exception {
    // After its 354 the server reads nothing for a while, so the client's write queue fills; then it reads.
    ClientSessionImpl s = connect(rawServer((so, line) -> {
      if (line.equals("DATA")) {
        so.write("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 Go ahead\r\n");
        so.pause();
        vertx.setTimer(500, t -> so.resume());
      }
    }));
    InjectedFault fault = armOnce(s, "drain");
    var stream = new GeneratedStream(vertx.getOrCreateContext(), "line\r\n", 64 * 1024, 256L << 20, null);
    assertCrashed(s, "drain", fault, List.of(s.send(message(stream))));
  }

  @Test
  void contentChunk() throws Exception {
    ClientSessionImpl s = connect(ourServer());
    InjectedFault fault = armOnce(s, "content chunk");
    var stream = new ChunkStream(vertx.getOrCreateContext(), List.of(Buffer.buffer("one\r\n"), Buffer.buffer("two\r\n")));
    assertCrashed(s, "content chunk", fault, List.of(s.send(message(stream))));
  }

  @Test
  void contentEnd() throws Exception {
    ClientSessionImpl s = connect(ourServer());
    InjectedFault fault = armOnce(s, "content end");
    var stream = new ChunkStream(vertx.getOrCreateContext(), List.of(Buffer.buffer("one\r\n")));
    assertCrashed(s, "content end", fault, List.of(s.send(message(stream))));
  }

  @Test
  void contentFailure() throws Exception {
    ClientSessionImpl s = connect(ourServer());
    InjectedFault fault = armOnce(s, "content failure");
    var stream = new ChunkStream(vertx.getOrCreateContext(), List.of(Buffer.buffer("one\r\n"), Buffer.buffer("two\r\n")))
        .failingAfter(1, new java.io.IOException("disk gone"));
    assertCrashed(s, "content failure", fault, List.of(s.send(message(stream))));
  }

  @Test
  void callFromAnotherThreadLoggedOnceHoweverOftenItThrows() throws Exception {
    ClientSessionImpl s = connect(ourServer());
    InjectedFault fault = new InjectedFault("call");
    s.faults = point -> {
      if (point.equals("call")) {
        throw fault;
      }
    };
    Future<DeliveryResult> first = s.send(message("one\r\n"));
    Future<DeliveryResult> second = s.send(message("two\r\n"));
    assertCrashed(s, "call", fault, List.of(first, second));
  }

  @Test
  void continuationOfAReply() throws Exception {
    ClientSessionImpl s = connect(ourServer());
    InjectedFault fault = armOnce(s, "settle");
    assertCrashed(s, "continuation", fault, List.of(s.send(message("hello\r\n"))));
  }

  /** Not a bug of ours but the caller's: a content stream whose handler registration throws fails its message. */
  @Test
  void aContentStreamWhoseHandlerRegistrationThrows() throws Exception {
    ClientSessionImpl s = connect(ourServer());
    ReadStream<Buffer> stream = new ChunkStream(vertx.getOrCreateContext(), List.of(Buffer.buffer("one\r\n"))) {
      @Override
      public ReadStream<Buffer> handler(io.vertx.core.Handler<Buffer> h) {
        throw new IllegalStateException("cannot take a handler");
      }
    };
    assertThatThrownBy(() -> s.send(message(stream)).await(10, TimeUnit.SECONDS))
        .isInstanceOfSatisfying(SmtpClientException.class, e -> {
          assertThat(e.phase()).isEqualTo(SmtpClientException.Phase.CONTENT);
          assertThat(e.reply().code()).isEqualTo(451);
          assertThat(e.reply().text()).contains("cannot take a handler");
        });
    assertThat(s.isOpen()).isFalse();
    disconnected.future().await(10, TimeUnit.SECONDS);
    assertThat(records).as("the caller's bug, not the session's: nothing logged").isEmpty();
  }
}
