package dev.peregrine.bench;

import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.TlsPolicy;
import dev.peregrine.dns.MxResolverOptions;
import dev.peregrine.mailer.MailMessage;
import dev.peregrine.mailer.Mailer;
import dev.peregrine.mailer.MailerMetrics;
import dev.peregrine.mailer.MailerOptions;
import dev.peregrine.pool.SessionPoolOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.StartTLSOptions;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client side of the mailer benchmark: MESSAGES messages of SIZE octets, each to one of 1,000 recipients
 * in 50 domains (d0.test ... d49.test) whose mail exchangers are mx0.test ... mx4.test at 127.0.0.2-6, port
 * MX_PORT, as a DNS server on 127.0.0.1:DNS_PORT says.
 *
 * <ul>
 *   <li>{@code peregrine}: one {@link Mailer} resolving MX records, at most CAP sessions per exchanger.</li>
 *   <li>{@code vertx-mail}: the Vert.x mail client as its user would run it: one {@code MailClient} per
 *       exchanger (it has no MX lookup; the routing is given to it for free), a pool of CAP connections each,
 *       CAP sends outstanding per client.</li>
 * </ul>
 * After warm-up passes until the JIT has settled ({@link Passes}) prints {@code msgs/s}, {@code cpu-s-per-1000}
 * (the process's CPU time) and more as {@link Passes} does, and, for Peregrine, {@code sessions-per-1000} of the measured pass.
 *
 * <p>Usage: {@code MailerLoad peregrine|vertx-mail DNS_PORT MX_PORT MESSAGES SIZE CAP}
 */
public final class MailerLoad {

  static final int DOMAINS = 50;
  static final int RECIPIENTS = 1000;
  static final int HOSTS = 5;

  private MailerLoad() {
  }

  public static void main(String[] args) throws Exception {
    String which = args[0];
    int dnsPort = Integer.parseInt(args[1]);
    int mxPort = Integer.parseInt(args[2]);
    int messages = Integer.parseInt(args[3]);
    int size = Integer.parseInt(args[4]);
    int cap = Integer.parseInt(args[5]);
    Vertx vertx = Vertx.vertx();
    byte[] body = MessageContent.generate(size);
    try {
      Load load = which.equals("peregrine") ? new PeregrineLoad(vertx, dnsPort, mxPort, cap, body)
          : new VertxMailLoad(vertx, mxPort, cap, body);
      long[] sessions0 = new long[1];
      Passes.run(n -> {
        sessions0[0] = load.sessionsOpened();
        return load.run(n);
      }, Math.max(HOSTS * cap, messages / 4), messages, 600);
      if (sessions0[0] >= 0) {
        System.out.printf("sessions-per-1000 %.1f%n", (load.sessionsOpened() - sessions0[0]) * 1000.0 / messages);
        System.out.println("metrics " + load);
      }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  static String recipient(int i) {
    int r = i % RECIPIENTS;
    return "user" + r + "@d" + (r % DOMAINS) + ".test";
  }

  interface Load {
    Future<Void> run(int messages);

    /** Sessions opened so far, or -1 when the client does not say. */
    long sessionsOpened();
  }

  static final class PeregrineLoad implements Load {
    private final Mailer mailer;
    private final Buffer content;
    private final int lanes;

    PeregrineLoad(Vertx vertx, int dnsPort, int mxPort, int cap, byte[] body) {
      content = Buffer.buffer(body);
      mailer = Mailer.create(vertx, new MailerOptions()
          .setClient(new SmtpClientOptions().setTlsPolicy(TlsPolicy.DISABLED).setHeloName("bench.test"))
          .setDns(new MxResolverOptions().addServer("127.0.0.1:" + dnsPort).setPort(mxPort)
              .setQueryTimeout(Duration.ofSeconds(2)))
          .setPool(new SessionPoolOptions().setMaxPerKey(cap).setMaxPerHost(cap))
          .setDestinationConcurrency(cap * 4).setMaxInFlight(HOSTS * cap * 4));
      // Enough messages at once to fill every session's pipeline (depth 2) twice over.
      lanes = HOSTS * cap * 4;
    }

    @Override
    public Future<Void> run(int messages) {
      AtomicInteger next = new AtomicInteger();
      List<Future<Void>> all = new ArrayList<>();
      for (int k = 0; k < lanes; k++) {
        all.add(lane(next, messages));
      }
      return Future.all(all).mapEmpty();
    }

    private Future<Void> lane(AtomicInteger next, int messages) {
      int i = next.getAndIncrement();
      if (i >= messages) {
        return Future.succeededFuture();
      }
      return mailer.send(MailMessage.of("bulk@bench.test", List.of(recipient(i)), content)).compose(r -> {
        if (!r.allDelivered()) {
          return Future.failedFuture("not delivered: " + r);
        }
        return lane(next, messages);
      });
    }

    @Override
    public long sessionsOpened() {
      return mailer.metrics().sessionsOpened();
    }

    @Override
    public String toString() {
      MailerMetrics m = mailer.metrics();
      return "transactions " + m.transactions() + ", sessions opened " + m.sessionsOpened() + ", reuse ratio "
          + String.format("%.4f", m.reuseRatio()) + ", failovers " + m.failovers();
    }
  }

  static final class VertxMailLoad implements Load {
    private final List<MailClient> clients = new ArrayList<>();
    private final int cap;
    private final String text;

    VertxMailLoad(Vertx vertx, int mxPort, int cap, byte[] body) {
      this.cap = cap;
      for (int h = 0; h < HOSTS; h++) {
        clients.add(MailClient.create(vertx, new MailConfig().setHostname("127.0.0." + (h + 2)).setPort(mxPort)
            .setStarttls(StartTLSOptions.DISABLED).setKeepAlive(true).setMaxPoolSize(cap).setPipelining(true)
            .setOwnHostname("bench.test")));
      }
      this.text = new String(body, StandardCharsets.US_ASCII);
    }

    @Override
    public Future<Void> run(int messages) {
      // Each client gets the messages for the domains its exchanger serves (domain % 5), CAP at a time.
      List<Future<Void>> all = new ArrayList<>();
      for (int h = 0; h < HOSTS; h++) {
        List<Integer> mine = new ArrayList<>();
        for (int i = 0; i < messages; i++) {
          if ((i % RECIPIENTS) % DOMAINS % HOSTS == h) {
            mine.add(i);
          }
        }
        AtomicInteger next = new AtomicInteger();
        for (int k = 0; k < cap; k++) {
          all.add(lane(clients.get(h), mine, next));
        }
      }
      return Future.all(all).mapEmpty();
    }

    private Future<Void> lane(MailClient client, List<Integer> mine, AtomicInteger next) {
      int k = next.getAndIncrement();
      if (k >= mine.size()) {
        return Future.succeededFuture();
      }
      io.vertx.ext.mail.MailMessage m = new io.vertx.ext.mail.MailMessage().setFrom("bulk@bench.test")
          .setTo(recipient(mine.get(k))).setText(text);
      return client.sendMail(m).compose(r -> lane(client, mine, next));
    }

    @Override
    public long sessionsOpened() {
      return -1;
    }
  }
}
