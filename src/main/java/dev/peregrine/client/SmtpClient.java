package dev.peregrine.client;

import dev.peregrine.client.impl.SmtpClientImpl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Opens SMTP sessions to a given host: connect, greeting, EHLO (HELO on a 5xx), STARTTLS per the
 * {@link TlsPolicy}, AUTH. No DNS for MX records and no host choice: that is the mailer's job.
 *
 * <p>Futures complete on the caller's context.
 */
public interface SmtpClient {

  static SmtpClient create(Vertx vertx, SmtpClientOptions options) {
    return new SmtpClientImpl(vertx, options);
  }

  /**
   * A ready session. Fails with an {@link SmtpClientFailure}: {@link SmtpConnectionException.ConnectionLost}
   * (connect, TLS, EOF), {@link SmtpConnectionException.TimedOut}, {@link SmtpClientException.Rejected} (a
   * negative greeting, EHLO, STARTTLS or AUTH reply) or {@link SmtpClientException.RefusedLocally} (STARTTLS
   * required but not offered, credentials that would go without TLS). Completes on the caller's context.
   */
  Future<ClientSession> connect(String host, int port);

  /**
   * As {@link #connect(String, int)}, to {@code address}, naming the server {@code serverName} (the MX host
   * name) for SNI, certificate checks and error messages.
   */
  Future<ClientSession> connect(String address, int port, String serverName);

  /** Closes the underlying client; open sessions are closed too. */
  Future<Void> close();
}
