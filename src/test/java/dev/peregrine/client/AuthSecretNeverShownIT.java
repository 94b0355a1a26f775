package dev.peregrine.client;

import dev.peregrine.dns.MxResolverOptions;
import dev.peregrine.mailer.MailMessage;
import dev.peregrine.mailer.MailResult;
import dev.peregrine.mailer.Mailer;
import dev.peregrine.mailer.MailerOptions;
import dev.peregrine.mailer.RecipientOutcome;
import dev.peregrine.protocol.Timeouts;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * AUTH's responses carry the password or the bearer token: a server that stalls after them, refuses them or
 * hangs up must not get them into an exception's message, nor through the mailer into a recipient's outcome.
 */
class AuthSecretNeverShownIT extends VertxFixture {

  private static final String USER = "alice";
  private static final String SECRET = "hunter2-S3CRET-token";

  /** What the server does once the secret has been sent. */
  enum After { STALL, REFUSE, CLOSE }

  /** Every form the secret takes on the wire, and the secret itself. */
  private static List<String> secretForms() {
    Base64.Encoder b64 = Base64.getEncoder();
    return List.of(SECRET,
        b64.encodeToString(("\0" + USER + "\0" + SECRET).getBytes(StandardCharsets.UTF_8)),
        b64.encodeToString(("user=" + USER + "\1auth=Bearer " + SECRET + "\1\1").getBytes(StandardCharsets.UTF_8)),
        b64.encodeToString(SECRET.getBytes(StandardCharsets.UTF_8)));
  }

  /** Offers AUTH; answers EHLO and LOGIN's challenges; after the line with the secret, does {@code after}. */
  private int server(After after) throws Exception {
    NetServer server = vertx.createNetServer().connectHandler(so -> {
      so.write("220 auth.test ESMTP\r\n");
      String[] login = {null};
      so.handler(RecordParser.newDelimited("\r\n", line -> {
        String l = line.toString(StandardCharsets.UTF_8);
        if (l.startsWith("EHLO")) {
          so.write("250-auth.test\r\n250 AUTH PLAIN LOGIN XOAUTH2\r\n");
        } else if (l.equals("AUTH LOGIN")) {
          login[0] = "user";
          so.write("334 VXNlcm5hbWU6\r\n");
        } else if ("user".equals(login[0])) {
          login[0] = "password";
          so.write("334 UGFzc3dvcmQ6\r\n");
        } else if (l.startsWith("AUTH ") || "password".equals(login[0])) {
          secretSent(so, after);
        } else {
          so.write("502 5.5.2 Not expected here\r\n");
        }
      }));
    });
    return server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
  }

  private static void secretSent(NetSocket so, After after) {
    switch (after) {
      case STALL -> { }
      case REFUSE -> so.write("535 5.7.8 Authentication credentials invalid\r\n");
      case CLOSE -> so.close();
    }
  }

  private static SmtpClientOptions client(String mechanism) {
    SmtpClientOptions o = new SmtpClientOptions().setTlsPolicy(TlsPolicy.DISABLED).setUsername(USER)
        .setPassword(SECRET).setAuthMechanism(mechanism);
    return o.setTimeouts(o.getTimeouts().with(Timeouts.Phase.AUTH, Duration.ofMillis(300)));
  }

  /** The messages of {@code e}, its causes and suppressed exceptions, and their toString forms. */
  private static List<String> texts(Throwable e) {
    List<String> out = new ArrayList<>();
    for (Throwable c = e; c != null; c = c.getCause()) {
      out.add(c.getMessage());
      out.add(c.toString());
      for (Throwable s : c.getSuppressed()) {
        out.addAll(texts(s));
      }
    }
    return out;
  }

  private static void assertNoSecret(List<String> texts) {
    for (String t : texts) {
      for (String secret : secretForms()) {
        assertThat(String.valueOf(t)).as("a secret shown").doesNotContain(secret);
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"PLAIN, STALL", "XOAUTH2, STALL", "LOGIN, STALL", "PLAIN, REFUSE", "XOAUTH2, REFUSE", "LOGIN, REFUSE",
      "PLAIN, CLOSE", "XOAUTH2, CLOSE", "LOGIN, CLOSE"})
  void theClientsFailureDoesNotShowTheSecret(String mechanism, After after) throws Exception {
    int port = server(after);
    try {
      SmtpClient.create(vertx, client(mechanism)).connect("127.0.0.1", port).await(20, TimeUnit.SECONDS);
      fail("AUTH succeeded");
    } catch (Exception e) {
      List<String> texts = texts(e);
      assertThat(texts).as("the failure is AUTH's").anyMatch(t -> t != null && t.contains("AUTH"));
      assertNoSecret(texts);
    }
  }

  @ParameterizedTest
  @CsvSource({"PLAIN, STALL", "XOAUTH2, STALL", "LOGIN, STALL", "PLAIN, REFUSE", "XOAUTH2, CLOSE"})
  void theMailersOutcomeDoesNotShowTheSecret(String mechanism, After after) throws Exception {
    int port = server(after);
    Mailer mailer = Mailer.create(vertx, new MailerOptions().setClient(client(mechanism))
        .setDns(new MxResolverOptions().setPort(port)));
    try {
      MailResult r = mailer.send(MailMessage.of("a@x.test", List.of("b@[127.0.0.1]"), Buffer.buffer("hello\r\n")))
          .await(30, TimeUnit.SECONDS);
      RecipientOutcome o = r.recipients().get(0);
      assertThat(o.status()).isNotEqualTo(RecipientOutcome.Status.DELIVERED);
      assertThat(o.reply().text()).as("the outcome says it was AUTH").containsIgnoringCase("auth");
      assertNoSecret(List.of(o.toString(), o.reply().toString()));
    } finally {
      mailer.close().await(20, TimeUnit.SECONDS);
    }
  }
}
