package dev.peregrine.server.impl;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import java.util.function.Function;

/**
 * The server side of STARTTLS (RFC 3207): puts a TLS handler on the connection's Netty pipeline with an
 * {@link SslContext} the server built once at listen time.
 *
 * <p>Why not {@link NetSocket#upgradeToSsl}: Vert.x 5 (checked at 5.0.10, {@code NetServerImpl.listen}) gives
 * every NetServer that shares a listening socket with an earlier one (the second and later verticle
 * instances on one port) no {@code SslContextManager} of its own, and hands that {@code null} to the sockets it
 * accepts; their {@code upgradeToSsl} then throws a NullPointerException on the event loop. Implicit TLS is
 * not affected (the handler comes from the first server's context). Holding the context here makes STARTTLS
 * work on every instance, and builds the key material once, off the event loop.
 *
 * <p>The handler is created in "start TLS" mode: the first write after it (our {@code 220} and any reply
 * before it) passes in clear, and every byte read after it is TLS. So there is no moment at which the client's
 * handshake could be read as plaintext.
 */
final class StartTls {

  private final Function<ByteBufAllocator, SSLEngine> engines;

  StartTls(Function<ByteBufAllocator, SSLEngine> engines) {
    this.engines = engines;
  }

  /** Builds the server context from a key manager (slow: call it on a worker). */
  static StartTls of(KeyManagerFactory keys) throws javax.net.ssl.SSLException {
    SslContext ctx = SslContextBuilder.forServer(keys).build();
    return new StartTls(ctx::newEngine);
  }

  /**
   * Writes {@code clearText} (ending with the 220) in clear and starts the server handshake; completes on
   * the connection's context when the handshake is done, fails when it fails (the socket is then closed by
   * the TLS handler). Throws when the TLS handler cannot be set up, before anything is written: the session
   * can then go on in plaintext (RFC 3207 §4: 454).
   */
  Future<Void> upgrade(NetSocket socket, ContextInternal context, Buffer clearText, long handshakeTimeoutMillis) {
    ChannelHandlerContext chctx = ((NetSocketInternal) socket).channelHandlerContext();
    SSLEngine engine = engines.apply(chctx.alloc());
    engine.setUseClientMode(false);
    SslHandler tls = new SslHandler(engine, true);
    tls.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
    chctx.pipeline().addFirst("ssl", tls);
    Promise<Void> done = context.promise();
    tls.handshakeFuture().addListener(f -> context.emit(v -> {
      if (f.isSuccess()) {
        done.tryComplete();
      } else {
        done.tryFail(f.cause());
      }
    }));
    socket.write(clearText);
    return done.future();
  }
}
