package dev.peregrine.client.impl;

import dev.peregrine.client.ClientSession;
import dev.peregrine.client.SmtpClient;
import dev.peregrine.client.SmtpClientException;
import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.SmtpConnectionException;
import dev.peregrine.client.TlsPolicy;
import dev.peregrine.protocol.Reply;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemTrustOptions;

import java.util.concurrent.TimeUnit;

/**
 * Opens {@link ClientSessionImpl}s: TCP (or implicit TLS), greeting, EHLO, STARTTLS per policy (with the
 * opportunistic fallback to a fresh plaintext connection), AUTH.
 */
public final class SmtpClientImpl implements SmtpClient {

  private static final Reply R530_AUTH_NEEDS_TLS = Reply.of(530, "5.7.0",
      "Credentials are not sent without TLS (the session is not encrypted; tls-policy disabled allows it)");
  private static final Reply R530_NO_STARTTLS = Reply.of(530, "5.7.0", "STARTTLS required by policy but not offered");

  private final Vertx vertx;
  private final SmtpClientOptions options;
  private final NetClient net;

  public SmtpClientImpl(Vertx vertx, SmtpClientOptions options) {
    this.vertx = vertx;
    this.options = new SmtpClientOptions(options);
    NetClientOptions nco = new NetClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, options.getConnectTimeout().toMillis()))
        .setTcpNoDelay(true)
        .setSsl(options.isImplicitTls());
    if (options.getLocalAddress() != null) {
      nco.setLocalAddress(options.getLocalAddress());
    }
    if (options.isImplicitTls()) {
      if (verified()) {
        nco.setHostnameVerificationAlgorithm("HTTPS");
        if (options.getTrustPemPath() != null) {
          nco.setTrustOptions(new PemTrustOptions().addCertPath(options.getTrustPemPath()));
        }
      } else {
        nco.setTrustAll(true).setHostnameVerificationAlgorithm("");
      }
    }
    this.net = vertx.createNetClient(nco);
  }

  private boolean verified() {
    return options.getTlsPolicy() == TlsPolicy.REQUIRED_VERIFIED;
  }

  private ClientSSLOptions starttlsOptions() {
    ClientSSLOptions ssl = new ClientSSLOptions();
    if (verified()) {
      ssl.setHostnameVerificationAlgorithm("HTTPS");
      if (options.getTrustPemPath() != null) {
        ssl.setTrustOptions(new PemTrustOptions().addCertPath(options.getTrustPemPath()));
      }
    } else {
      // Opportunistic and plain REQUIRED encrypt against passive listeners without authenticating the peer
      // (RFC 7435); REQUIRED_VERIFIED is the one that checks.
      ssl.setTrustAll(true).setHostnameVerificationAlgorithm("");
    }
    return ssl;
  }

  @Override
  public Future<ClientSession> connect(String host, int port) {
    return connect(host, port, host);
  }

  @Override
  public Future<ClientSession> connect(String address, int port, String serverName) {
    if (Vertx.currentContext() == null) {
      // Called from outside Vert.x: connect from an event loop, so that the session's handlers are in place
      // before the socket's first read (Vert.x drops data that arrives before a handler is set).
      io.vertx.core.internal.ContextInternal ctx = (io.vertx.core.internal.ContextInternal) vertx.getOrCreateContext();
      io.vertx.core.Promise<ClientSession> p = ctx.promise(); // the caller's listeners: what they throw is reported there
      ctx.runOnContext(v -> connect(address, port, serverName, options.getTlsPolicy()).onComplete(p));
      return p.future();
    }
    return connect(address, port, serverName, options.getTlsPolicy());
  }

  private Future<ClientSession> connect(String address, int port, String host, TlsPolicy policy) {
    ConnectOptions to = new ConnectOptions().setHost(address).setPort(port);
    if (options.isImplicitTls()) {
      to.setSniServerName(host);
    }
    String where = host.equals(address) ? address + ":" + port : host + " [" + address + "]:" + port;
    return net.connect(to)
        .recover(e -> Future.failedFuture(new SmtpConnectionException.ConnectionLost("cannot connect to " + where + ": "
            + e.getMessage(), e, false, options.isImplicitTls() && isTls(e))))
        .compose(socket -> {
          ClientSessionImpl s = new ClientSessionImpl(vertx, options, socket, host);
          Future<Void> ready = s.greetAndEhlo();
          if (!options.isImplicitTls() && policy != TlsPolicy.DISABLED) {
            ready = ready.compose(v -> {
              if (s.capabilities().startTls()) {
                return s.startTls(starttlsOptions());
              }
              if (policy == TlsPolicy.OPPORTUNISTIC) {
                return Future.succeededFuture();
              }
              s.close();
              return Future.failedFuture(new SmtpClientException.RefusedLocally(SmtpClientException.Phase.STARTTLS,
                  R530_NO_STARTTLS));
            });
          }
          if (options.getUsername() != null) {
            ready = ready.compose(v -> {
              if (!s.isTls() && options.getTlsPolicy() != TlsPolicy.DISABLED) {
                // Credentials never travel in plaintext, not after a plaintext fallback either, unless the
                // caller turned TLS off on purpose.
                s.close();
                return Future.failedFuture(new SmtpClientException.RefusedLocally(SmtpClientException.Phase.AUTH,
                    R530_AUTH_NEEDS_TLS));
              }
              String mech = options.getAuthMechanism();
              if (mech == null) {
                mech = s.capabilities().authMechanisms().contains("PLAIN") ? "PLAIN" : "LOGIN";
              }
              return s.authenticate(mech, options.getUsername(), options.getPassword());
            });
          }
          return ready.map(v -> (ClientSession) s).recover(e -> {
            s.close();
            if (e instanceof SmtpConnectionException ce && ce.isTlsFailure() && policy == TlsPolicy.OPPORTUNISTIC
                && options.isPlaintextFallback()) {
              // A broken TLS stack on the server: deliver in plaintext rather than not at all (RFC 7435 §4).
              return connect(address, port, host, TlsPolicy.DISABLED);
            }
            return Future.failedFuture(e);
          });
        });
  }

  @Override
  public Future<Void> close() {
    return net.close();
  }

  /** A TLS failure (handshake, certificate), as opposed to one of TCP (refused, unreachable, timed out). */
  private static boolean isTls(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof javax.net.ssl.SSLException) {
        return true;
      }
    }
    return false;
  }
}
