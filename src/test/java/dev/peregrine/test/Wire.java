package dev.peregrine.test;

import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.ReplyDecoder;
import io.vertx.core.buffer.Buffer;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A scripted SMTP client on a plain blocking loopback socket, for driving the server byte by byte from the
 * test thread (never an event loop). Every read waits at most 10 s.
 */
public final class Wire implements AutoCloseable {

  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private final ReplyDecoder decoder = new ReplyDecoder();
  private final ArrayDeque<Reply> pending = new ArrayDeque<>();

  private Wire(Socket socket) throws IOException {
    attach(socket);
  }

  private void attach(Socket s) throws IOException {
    this.socket = s;
    s.setSoTimeout(10_000);
    s.setTcpNoDelay(true);
    this.in = s.getInputStream();
    this.out = s.getOutputStream();
  }

  public static Wire connect(int port) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    return new Wire(s);
  }

  /** Connects with TLS from the first byte, trusting any certificate (tests use a self-signed one). */
  public static Wire connectTls(int port) throws Exception {
    Socket plain = new Socket();
    plain.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    Wire w = new Wire(plain);
    w.startTls();
    return w;
  }

  public Wire send(String s) throws IOException {
    out.write(s.getBytes(StandardCharsets.UTF_8));
    out.flush();
    return this;
  }

  public Wire sendBytes(byte[] b) throws IOException {
    out.write(b);
    out.flush();
    return this;
  }

  /** The next reply. */
  public Reply read() throws IOException {
    while (pending.isEmpty()) {
      byte[] buf = new byte[8192];
      int n = in.read(buf);
      if (n < 0) {
        throw new IOException("connection closed by the server");
      }
      decoder.decode(Buffer.buffer(java.util.Arrays.copyOf(buf, n)), pending::add);
    }
    return pending.poll();
  }

  /** The next {@code n} replies. */
  public List<Reply> read(int n) throws IOException {
    List<Reply> r = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      r.add(read());
    }
    return r;
  }

  /**
   * Opens a transaction from a@x.test to b@x.test with MAIL, RCPT and DATA in one group, and checks the
   * replies are 250, 250, 354: the content may follow.
   */
  public Wire beginData() throws IOException {
    send("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n");
    List<Reply> r = read(3);
    if (r.get(0).code() != 250 || r.get(1).code() != 250 || r.get(2).code() != 354) {
      throw new AssertionError("transaction not opened: " + r);
    }
    return this;
  }

  /** Sends a line and returns the reply to it. */
  public Reply cmd(String line) throws IOException {
    send(line + "\r\n");
    return read();
  }

  /** True when the server closed the connection (EOF within 10 s, no further bytes). */
  public boolean closedByServer() throws IOException {
    if (!pending.isEmpty()) {
      return false;
    }
    try {
      return in.read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  /**
   * True when the server closed the connection within 10 s, whatever it sent before (a TLS alert, say);
   * unread replies are dropped.
   */
  public boolean drainedToClose() throws IOException {
    pending.clear();
    byte[] buf = new byte[4096];
    try {
      while (in.read(buf) >= 0) {
        // Bytes before the close do not matter here.
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  /** Layers TLS over the connection (after a 220 to STARTTLS, or for implicit TLS). */
  public void startTls() throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(socket, "localhost", socket.getPort(), true);
    tls.setUseClientMode(true);
    tls.startHandshake();
    attach(tls);
  }

  public boolean hasUnreadReplies() {
    return !pending.isEmpty();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
