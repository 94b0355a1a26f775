package dev.peregrine.client.impl;

import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.SmtpConnectionException;
import dev.peregrine.protocol.Capabilities;
import dev.peregrine.protocol.SmtpCommand;
import io.vertx.core.Future;
import io.vertx.core.net.ClientSSLOptions;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The session's set-up dialogue: the greeting, EHLO (HELO for a server that does not know it, RFC 5321
 * §3.2), STARTTLS with its handshake and the second EHLO, and AUTH (PLAIN, LOGIN, XOAUTH2). A refusal
 * fails with the server's reply and the command it answered; a secret is never part of a description.
 *
 * <p>Runs on the session's context, through the session's reply queue and outbox.
 */
final class SessionSetup {

  private final ClientSessionImpl session;
  private final SmtpClientOptions options;

  SessionSetup(ClientSessionImpl session, SmtpClientOptions options) {
    this.session = session;
    this.options = options;
  }

  /** Awaits the greeting (installing the socket's handlers only then, so that no reply comes first), then EHLO. */
  Future<Void> greetAndEhlo() {
    Future<Answer> greeting = session.queue.expect(new Awaited.Greeting());
    session.listen();
    return Answer.positive(greeting, false).compose(g -> ehlo());
  }

  Future<Void> ehlo() {
    return session.command(new SmtpCommand.Ehlo(options.getHeloName())).compose(a -> {
      if (a.reply().isPositive()) {
        session.capabilities(Capabilities.parse(a.reply()));
        return Future.<Void>succeededFuture();
      }
      if (a.reply().isPermanent()) {
        // RFC 5321 §3.2: a server that does not know EHLO gets HELO.
        return Answer.positive(session.command(new SmtpCommand.Helo(options.getHeloName())), false)
            .map(h -> {
              session.capabilities(Capabilities.none(h.reply().lines().get(0)));
              return null;
            });
      }
      return Future.failedFuture(a.rejected());
    });
  }

  /** STARTTLS, the handshake, and EHLO again. */
  Future<Void> startTls(ClientSSLOptions ssl) {
    String host = session.host;
    return Answer.positive(session.command(new SmtpCommand.StartTls()), false)
        .compose(r -> {
          if (session.queue.hasBufferedInput()) {
            // The server (or a man in the middle) sent more after its 220: a response injection.
            session.socket.close();
            return Future.failedFuture(new SmtpConnectionException.ConnectionLost(host
                + " sent data after 220 to STARTTLS", null, false, true));
          }
          session.outbox.flush();
          return session.socket.upgradeToSsl(ssl, host)
              .recover(e -> Future.failedFuture(new SmtpConnectionException.ConnectionLost("TLS handshake with " + host
                  + " failed: " + e.getMessage(), e, false, true)));
        })
        .compose(v -> ehlo());
  }

  /** AUTH with {@code mechanism}; null when the client does not know it. */
  Future<Void> authenticate(String mechanism, String user, String password) {
    Base64.Encoder b64 = Base64.getEncoder();
    Future<Answer> done = switch (mechanism) {
      case "PLAIN" -> Answer.positive(session.command(new SmtpCommand.Auth("PLAIN",
          b64.encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8)))), false);
      case "XOAUTH2" -> Answer.positive(session.command(new SmtpCommand.Auth("XOAUTH2",
          b64.encodeToString(("user=" + user + "\1auth=Bearer " + password + "\1\1").getBytes(StandardCharsets.UTF_8)))),
          true)
          .compose(a -> a.reply().isIntermediate()
              // RFC 7628 §3.2.3: the 334 carries an error; an empty response gets the final (negative) reply.
              ? Answer.positive(session.line("", new Awaited.AuthStep("AUTH XOAUTH2 (empty response)")), false)
              : Future.succeededFuture(a));
      case "LOGIN" -> Answer.positive(session.command(new SmtpCommand.Auth("LOGIN", null)), true)
          .compose(a -> Answer.positive(session.line(b64.encodeToString(user.getBytes(StandardCharsets.UTF_8)),
              new Awaited.AuthStep("AUTH LOGIN (user)")), true))
          .compose(a -> Answer.positive(session.line(b64.encodeToString(password.getBytes(StandardCharsets.UTF_8)),
              new Awaited.AuthStep("AUTH LOGIN (password)")), false));
      default -> null;
    };
    return done == null ? null : done.mapEmpty();
  }
}
