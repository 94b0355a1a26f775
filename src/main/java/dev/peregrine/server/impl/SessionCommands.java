package dev.peregrine.server.impl;

import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.ServerReplies;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.protocol.SmtpException;
import dev.peregrine.server.Credentials;
import dev.peregrine.server.impl.ServerConnection.State;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;

/**
 * The session commands of one connection, those that set up the session rather than carry mail: EHLO/HELO,
 * STARTTLS (RFC 3207) and AUTH (RFC 4954, the mechanisms in {@link AuthExchange}).
 *
 * <p>Runs on the connection's context, inside {@link ServerConnection}'s guard; never blocks.
 */
final class SessionCommands {

  private static final Reply R501_BAD_BASE64 = Reply.of(501, "5.5.2", "Cannot decode the response");
  private static final Reply R502_AUTH_NOT_ENABLED = Reply.of(502, "5.5.1", "Authentication not enabled");
  private static final Reply R503_STARTTLS_IN_TRANSACTION = Reply.of(503, "5.5.1", "STARTTLS not allowed during a mail transaction");
  private static final Reply R421_AUTH_FAILURES = Reply.of(421, "4.7.0", "Too many authentication failures");
  private static final Reply R454_TLS_FAILED = Reply.of(454, "4.7.0", "TLS not available due to temporary reason");

  private final ServerConnection conn;
  /** The SASL exchange in progress while {@link State#AUTH}. */
  private AuthExchange auth;
  private int authFailures;

  SessionCommands(ServerConnection conn) {
    this.conn = conn;
  }

  void helo(String domain, boolean ehlo) {
    // RFC 5321 §4.1.4: EHLO/HELO in a session resets the transaction.
    conn.transactions.abortTransaction();
    conn.waitFor(conn.call(() -> conn.handler.helo(conn.session, domain)), r -> {
      if (r != null && !r.isPositive()) {
        conn.handlerReply(r);
        return;
      }
      conn.session.heloName = domain;
      conn.session.esmtp = ehlo;
      String first = ServerReplies.ehloGreeting(conn.options.getHostname(), domain);
      if (ehlo) {
        // The extension lines never change for a TLS state: only the first line is written anew.
        conn.out.appendString("250-" + first + "\r\n").appendBytes(conn.server.ehloExtensions(conn.socket.isSsl()));
      } else {
        conn.reply(Reply.of(250, null, first));
      }
    });
  }

  // ------------------------------------------------------------------ STARTTLS

  void startTls() {
    StartTls tls = conn.server.startTls();
    if (!conn.options.isStartTls() || tls == null) {
      conn.reply(ServerReplies.R454_TLS_NOT_AVAILABLE);
      return;
    }
    if (conn.socket.isSsl()) {
      conn.protocolError(ServerReplies.R503_ALREADY_TLS);
      return;
    }
    if (conn.tx != null) {
      conn.protocolError(R503_STARTTLS_IN_TRANSACTION);
      return;
    }
    // RFC 3207 §6 and CVE-2011-0411: whatever the client sent after STARTTLS in clear is dropped.
    conn.framer.takeRemainder();
    int answered = conn.out.length();
    conn.reply(ServerReplies.R220_READY_FOR_TLS);
    Future<Void> handshake;
    try {
      handshake = tls.upgrade(conn.socket, conn.context, conn.out, conn.server.startTlsTimeoutMillis());
    } catch (RuntimeException e) {
      // Nothing was written: the session goes on in plaintext (RFC 3207 §4).
      conn.server.log(System.Logger.Level.ERROR, conn.session, "TLS set-up failed", e);
      conn.out = Buffer.buffer(256).appendBuffer(conn.out, 0, answered);
      conn.reply(R454_TLS_FAILED);
      return;
    }
    conn.out = Buffer.buffer(256);
    conn.state = State.TLS;
    conn.touch(conn.server.startTlsTimeoutNanos());
    handshake.onComplete(ar -> conn.onContext(() -> {
      if (conn.state == State.CLOSED) {
        return;
      }
      if (ar.failed()) {
        // The TLS layer has sent its alert and closes the socket; nothing readable can be said.
        conn.server.log(System.Logger.Level.DEBUG, conn.session, "TLS handshake failed", ar.cause());
        conn.state = State.CLOSED;
        conn.socket.close();
        return;
      }
      // RFC 3207 §4.2: forget everything learned in clear, including EHLO and AUTH.
      conn.framer.takeRemainder();
      conn.session.heloName = null;
      conn.session.esmtp = false;
      conn.session.authenticatedUser = null;
      conn.state = State.COMMAND;
      conn.touchInput();
      conn.pump();
    }));
  }

  // ------------------------------------------------------------------ AUTH

  private boolean authOffered() {
    return !conn.options.getAuthMechanisms().isEmpty() && (conn.socket.isSsl() || conn.options.isAllowPlaintextAuth());
  }

  void auth(SmtpCommand.Auth c) {
    if (conn.options.getAuthMechanisms().isEmpty()) {
      conn.protocolError(R502_AUTH_NOT_ENABLED);
      return;
    }
    if (!authOffered()) {
      conn.reply(ServerReplies.R538_ENCRYPTION_REQUIRED);
      return;
    }
    if (conn.session.authenticatedUser != null) {
      conn.protocolError(ServerReplies.R503_ALREADY_AUTHENTICATED);
      return;
    }
    if (conn.tx != null) {
      conn.protocolError(ServerReplies.R503_AUTH_IN_TRANSACTION);
      return;
    }
    String mech = c.mechanism();
    if (!conn.options.getAuthMechanisms().contains(mech) || !AuthExchange.supports(mech)) {
      conn.reply(ServerReplies.R504_AUTH_MECHANISM);
      return;
    }
    auth = AuthExchange.start(mech);
    authStep(auth.first(c.initialResponse()));
  }

  void authResponse(Buffer line) {
    String text = line.toString(StandardCharsets.ISO_8859_1).strip();
    if (text.equals("*")) {
      endAuth();
      conn.reply(ServerReplies.R501_AUTH_CANCELLED);
      return;
    }
    authStep(auth.next(text));
  }

  private void authStep(AuthExchange.Step step) {
    // Java 17 has no pattern switch: the three steps of the sealed type, in turn.
    if (step instanceof AuthExchange.Challenge ch) {
      conn.out.appendString("334 " + ch.base64() + "\r\n");
      conn.state = State.AUTH;
    } else if (step instanceof AuthExchange.Verify v) {
      endAuth();
      verify(v.credentials());
    } else {
      endAuth();
      conn.protocolError(R501_BAD_BASE64);
    }
  }

  void endAuth() {
    auth = null;
    if (conn.state == State.AUTH) {
      conn.state = State.COMMAND;
    }
  }

  private void verify(Credentials credentials) {
    Future<Boolean> check = conn.call(() -> conn.handler.authenticate(conn.session, credentials));
    conn.waitFor(check.recover(e -> {
      conn.server.log(System.Logger.Level.WARNING, conn.session, "authenticator failed", e);
      return Future.failedFuture(new SmtpException(ServerReplies.R454_AUTH_TEMPORARY_FAILURE));
    }), ok -> {
      if (Boolean.TRUE.equals(ok)) {
        conn.session.authenticatedUser = credentials.username();
        conn.reply(ServerReplies.R235_AUTH_OK);
        return;
      }
      authFailures++;
      // Slow down guessing: the answer (and the rest of the pipeline) waits.
      conn.waitFor(conn.server.delay(conn.options.getAuthFailureDelay()), v -> {
        if (authFailures >= conn.options.getMaxAuthFailures()) {
          conn.replyAndClose(R421_AUTH_FAILURES);
        } else {
          conn.reply(ServerReplies.R535_AUTH_FAILED);
        }
      });
    });
  }
}
