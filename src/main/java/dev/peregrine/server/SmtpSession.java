package dev.peregrine.server;

import io.vertx.core.net.SocketAddress;

import javax.net.ssl.SSLSession;
import java.util.Map;

/**
 * One SMTP connection as the handler sees it: who connected, over what, and what they said so far.
 * Lives from accept to close; spans any number of {@link Envelope transactions}.
 *
 * <p>Read it from the connection's context (the thread that calls the {@link SmtpHandler}); it is not
 * thread-safe.
 */
public interface SmtpSession {

  /** A server-unique id, for logs and queue ids. */
  String id();

  /** The client's address: the one from the PROXY protocol header when that is in use. */
  SocketAddress remoteAddress();

  /** Our address as the client reached it (PROXY protocol destination when in use). */
  SocketAddress localAddress();

  /** The socket's real peer (the load balancer, with the PROXY protocol), whatever the header said. */
  SocketAddress socketRemoteAddress();

  /** True when the session is encrypted (STARTTLS done, or implicit TLS). */
  boolean isTls();

  /** The TLS session, or {@code null} in plaintext. */
  SSLSession sslSession();

  /** The name the client gave in EHLO/HELO, or {@code null} before it did. */
  String heloName();

  /** True when the client greeted with EHLO (ESMTP). */
  boolean isEsmtp();

  /** The authenticated user name, or {@code null}. */
  String authenticatedUser();

  /** Free-form state a handler can keep with the connection. */
  Map<String, Object> attributes();
}
