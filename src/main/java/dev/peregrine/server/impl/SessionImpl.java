package dev.peregrine.server.impl;

import dev.peregrine.server.SmtpSession;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;

import javax.net.ssl.SSLSession;
import java.util.HashMap;
import java.util.Map;

/** The connection's {@link SmtpSession}; written by {@link ServerConnection} only, on its context. */
final class SessionImpl implements SmtpSession {

  private final String id;
  private final NetSocket socket;
  private Map<String, Object> attributes;
  String heloName;
  boolean esmtp;
  String authenticatedUser;

  SessionImpl(String id, NetSocket socket) {
    this.id = id;
    this.socket = socket;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public SocketAddress remoteAddress() {
    return socket.remoteAddress();
  }

  @Override
  public SocketAddress localAddress() {
    return socket.localAddress();
  }

  @Override
  public SocketAddress socketRemoteAddress() {
    return socket.remoteAddress(true);
  }

  @Override
  public boolean isTls() {
    return socket.isSsl();
  }

  @Override
  public SSLSession sslSession() {
    return socket.isSsl() ? socket.sslSession() : null;
  }

  @Override
  public String heloName() {
    return heloName;
  }

  @Override
  public boolean isEsmtp() {
    return esmtp;
  }

  @Override
  public String authenticatedUser() {
    return authenticatedUser;
  }

  @Override
  public Map<String, Object> attributes() {
    if (attributes == null) {
      attributes = new HashMap<>(4);
    }
    return attributes;
  }

  @Override
  public String toString() {
    return "SmtpSession[" + id + " " + remoteAddress() + (heloName == null ? "" : " helo=" + heloName) + "]";
  }
}
