package dev.peregrine.bench;

import dev.peregrine.client.ClientSession;
import dev.peregrine.client.DeliveryResult;
import dev.peregrine.client.MailTransaction;
import dev.peregrine.client.SmtpClient;
import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.TlsPolicy;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.StartTLSOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client side of the end-to-end client benchmark: sends {@code messages} messages of {@code size} octets
 * over {@code sessions} reused sessions to HOST:PORT, with Peregrine's client or the Vert.x mail client,
 * after warm-up passes of the same load until the JIT has settled, and prints the measured pass as
 * {@link Passes} does ({@code msgs/s}, {@code cpu-s-per-1000}, ...).
 *
 * <p>Usage: {@code ClientLoad peregrine|vertx-mail|simple-java-mail HOST PORT SESSIONS MESSAGES SIZE}
 */
public final class ClientLoad {

  private ClientLoad() {
  }

  public static void main(String[] args) throws Exception {
    String which = args[0];
    String host = args[1];
    int port = Integer.parseInt(args[2]);
    int sessions = Integer.parseInt(args[3]);
    int messages = Integer.parseInt(args[4]);
    int size = Integer.parseInt(args[5]);
    Vertx vertx = Vertx.vertx();
    byte[] body = MessageContent.generate(size);
    try {
      Load load = switch (which) {
        case "peregrine" -> new PeregrineLoad(vertx, host, port, sessions, body);
        case "vertx-mail" -> new VertxMailLoad(vertx, host, port, sessions, body);
        case "simple-java-mail" -> new SimpleJavaMailLoad(host, port, sessions, body);
        default -> throw new IllegalArgumentException("unknown client: " + which);
      };
      try {
        Passes.run(load::run, Math.max(sessions, messages / 4), messages, 300);
      } finally {
        load.close();
      }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  interface Load {
    Future<Void> run(int messages);

    default void close() {
    }
  }

  /** Peregrine: one session per slot, a few transactions in flight on each (pipelining). */
  static final class PeregrineLoad implements Load {
    private static final int IN_FLIGHT = 8;
    private final List<ClientSession> open = new ArrayList<>();
    private final Buffer content;

    PeregrineLoad(Vertx vertx, String host, int port, int sessions, byte[] body) throws Exception {
      content = Buffer.buffer(body);
      SmtpClient client = SmtpClient.create(vertx, new SmtpClientOptions().setTlsPolicy(TlsPolicy.DISABLED).setHeloName("bench.test"));
      for (int i = 0; i < sessions; i++) {
        open.add(client.connect(host, port).await(30, TimeUnit.SECONDS));
      }
    }

    @Override
    public Future<Void> run(int messages) {
      AtomicInteger left = new AtomicInteger(messages);
      List<Future<Void>> lanes = new ArrayList<>();
      for (ClientSession s : open) {
        for (int k = 0; k < IN_FLIGHT; k++) {
          lanes.add(lane(s, left));
        }
      }
      return Future.all(lanes).mapEmpty();
    }

    private Future<Void> lane(ClientSession s, AtomicInteger left) {
      if (left.getAndDecrement() <= 0) {
        return Future.succeededFuture();
      }
      return s.send(MailTransaction.of("a@example.org", List.of("b@example.com"), content)).compose(r -> {
        if (!r.allDelivered()) {
          return Future.failedFuture("not delivered: " + r);
        }
        return lane(s, left);
      });
    }

    /** QUIT on every session: a session still open when Vert.x closes holds its close up for 30 s. */
    @Override
    public void close() {
      try {
        Future.join(open.stream().map(ClientSession::quit).toList()).await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // best effort: the JVM exits next
      }
    }
  }

  /** The Vert.x mail client with a pool of SESSIONS connections, SESSIONS sends outstanding. */
  static final class VertxMailLoad implements Load {
    private final MailClient client;
    private final int sessions;
    private final String text;

    VertxMailLoad(Vertx vertx, String host, int port, int sessions, byte[] body) {
      this.sessions = sessions;
      this.client = MailClient.create(vertx, new MailConfig().setHostname(host).setPort(port)
          .setStarttls(StartTLSOptions.DISABLED).setKeepAlive(true).setMaxPoolSize(sessions).setPipelining(true)
          .setOwnHostname("bench.test"));
      this.text = new String(body, java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Override
    public Future<Void> run(int messages) {
      AtomicInteger left = new AtomicInteger(messages);
      List<Future<Void>> lanes = new ArrayList<>();
      for (int k = 0; k < sessions; k++) {
        lanes.add(lane(left));
      }
      return Future.all(lanes).mapEmpty();
    }

    private Future<Void> lane(AtomicInteger left) {
      if (left.getAndDecrement() <= 0) {
        return Future.succeededFuture();
      }
      MailMessage m = new MailMessage().setFrom("a@example.org").setTo("b@example.com").setText(text);
      return client.sendMail(m).compose(r -> lane(left));
    }

    @Override
    public void close() {
      try {
        client.close().await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // best effort: the JVM exits next
      }
    }
  }

  /**
   * Simple Java Mail 8 (Jakarta Mail underneath) with its batch module: a pool of SESSIONS SMTP connections
   * (core = max = SESSIONS) and SESSIONS sender threads, SESSIONS asynchronous sends outstanding. Jakarta Mail
   * sends in lockstep (no pipelining) and builds a MIME message per send.
   */
  static final class SimpleJavaMailLoad implements Load {
    private final org.simplejavamail.api.mailer.Mailer mailer;
    private final int sessions;
    private final String text;

    SimpleJavaMailLoad(String host, int port, int sessions, byte[] body) {
      this.sessions = sessions;
      this.mailer = org.simplejavamail.mailer.MailerBuilder.withSMTPServer(host, port)
          .withTransportStrategy(org.simplejavamail.api.mailer.config.TransportStrategy.SMTP)
          .withConnectionPoolCoreSize(sessions).withConnectionPoolMaxSize(sessions).withThreadPoolSize(sessions)
          .withSessionTimeout(30_000).buildMailer();
      this.text = new String(body, java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Override
    public Future<Void> run(int messages) {
      AtomicInteger left = new AtomicInteger(messages);
      List<Future<Void>> lanes = new ArrayList<>();
      for (int k = 0; k < sessions; k++) {
        lanes.add(lane(left));
      }
      return Future.all(lanes).mapEmpty();
    }

    private Future<Void> lane(AtomicInteger left) {
      if (left.getAndDecrement() <= 0) {
        return Future.succeededFuture();
      }
      var email = org.simplejavamail.email.EmailBuilder.startingBlank().from("a@example.org").to("b@example.com")
          .withSubject("bench").withPlainText(text).buildEmail();
      return Future.fromCompletionStage(mailer.sendMail(email, true)).compose(v -> lane(left));
    }

    @Override
    public void close() {
      try {
        mailer.shutdownConnectionPool().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        // best effort: the JVM exits next
      }
    }
  }
}
