package dev.peregrine.test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An authoritative DNS server on 127.0.0.1 (UDP, an ephemeral port) that speaks the wire protocol
 * (RFC 1035) from its own thread, independent of Vert.x and Netty. Names it knows answer NOERROR with their
 * records of the asked type (none: NODATA); names it does not know answer NXDOMAIN; names marked
 * {@link #servfail} answer SERVFAIL and names marked {@link #silent} never answer. {@link #hold()} keeps
 * answers back until {@link #release()}, and every question is counted.
 */
public final class DnsFixture implements AutoCloseable {

  public static final int A = 1;
  public static final int MX = 15;
  public static final int TXT = 16;
  public static final int AAAA = 28;

  private record Rr(int type, long ttl, byte[] rdata) {
  }


  private final DatagramSocket socket;
  private final Thread thread;
  private final Map<String, List<Rr>> zone = new ConcurrentHashMap<>();
  private final Set<String> servfail = ConcurrentHashMap.newKeySet();
  private final Set<String> silent = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final List<DatagramPacket> held = new ArrayList<>();
  private boolean holding;

  private DnsFixture(InetAddress address, int port) throws SocketException {
    socket = new DatagramSocket(port, address);
    thread = new Thread(this::serve, "dns-fixture");
    thread.setDaemon(true);
    thread.start();
  }

  public static DnsFixture start() throws SocketException {
    return new DnsFixture(InetAddress.getLoopbackAddress(), 0);
  }

  /**
   * On {@code address} (a loopback address) and {@code port}: port 53 for peers that read their name server
   * from resolv.conf, which cannot name a port (binding it needs root).
   */
  public static DnsFixture start(String address, int port) throws IOException {
    return new DnsFixture(InetAddress.getByAddress(literal(address, 4)), port);
  }

  /** The address it listens on. */
  public String address() {
    return socket.getLocalAddress().getHostAddress();
  }

  public int port() {
    return socket.getLocalPort();
  }

  /** {@code host:port} for the resolver's server list. */
  public String server() {
    return "127.0.0.1:" + port();
  }

  public DnsFixture mx(String name, long ttl, int preference, String exchanger) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(preference >> 8);
    b.write(preference);
    writeName(b, exchanger);
    return add(name, new Rr(MX, ttl, b.toByteArray()));
  }

  /** RFC 7505: {@code MX 0 .}. */
  public DnsFixture nullMx(String name, long ttl) {
    return add(name, new Rr(MX, ttl, new byte[] {0, 0, 0}));
  }

  public DnsFixture a(String name, long ttl, String address) {
    return add(name, new Rr(A, ttl, literal(address, 4)));
  }

  public DnsFixture aaaa(String name, long ttl, String address) {
    return add(name, new Rr(AAAA, ttl, literal(address, 16)));
  }

  /**
   * A TXT record holding {@code text}, cut into character-strings of at most 255 octets (RFC 1035 §3.3.14;
   * a reader joins them, as RFC 6376 §3.6.2.2 says for DKIM keys).
   */
  public DnsFixture txt(String name, long ttl, String text) {
    byte[] t = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int i = 0; i < t.length || i == 0; i += 255) {
      int n = Math.min(255, t.length - i);
      b.write(n);
      b.write(t, i, n);
    }
    return add(name, new Rr(TXT, ttl, b.toByteArray()));
  }

  /** A name that exists but has no records (answers NODATA). */
  public DnsFixture exists(String name) {
    zone.computeIfAbsent(key(name), k -> new ArrayList<>());
    return this;
  }

  /** Forgets every record of {@code name} (it answers NXDOMAIN again). */
  public DnsFixture remove(String name) {
    zone.remove(key(name));
    return this;
  }

  public DnsFixture servfail(String name) {
    servfail.add(key(name));
    return this;
  }

  public DnsFixture silent(String name) {
    silent.add(key(name));
    return this;
  }

  /** Questions received for {@code name} of {@code type}. */
  public int queries(String name, int type) {
    AtomicInteger n = counts.get(key(name) + "/" + type);
    return n == null ? 0 : n.get();
  }

  /** Answers nothing until {@link #release()}. */
  public synchronized void hold() {
    holding = true;
  }

  /** Answers every held question, and the next ones at once. */
  public void release() {
    List<DatagramPacket> now;
    synchronized (this) {
      holding = false;
      now = new ArrayList<>(held);
      held.clear();
    }
    for (DatagramPacket p : now) {
      answer(p);
    }
  }

  /** Questions waiting for {@link #release()}. */
  public synchronized int heldCount() {
    return held.size();
  }

  private DnsFixture add(String name, Rr rr) {
    zone.computeIfAbsent(key(name), k -> new ArrayList<>()).add(rr);
    return this;
  }

  private static String key(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
  }

  private static byte[] literal(String address, int length) {
    try {
      byte[] b = InetAddress.getByName(address).getAddress(); // a literal: no lookup
      if (b.length != length) {
        throw new IllegalArgumentException("not an IPv" + (length == 4 ? 4 : 6) + " address: " + address);
      }
      return b;
    } catch (IOException e) {
      throw new IllegalArgumentException(address, e);
    }
  }

  private static void writeName(ByteArrayOutputStream b, String name) {
    for (String label : key(name).split("\\.")) {
      if (label.isEmpty()) {
        continue;
      }
      byte[] l = label.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      b.write(l.length);
      b.write(l, 0, l.length);
    }
    b.write(0);
  }

  private void serve() {
    byte[] buf = new byte[1500];
    while (!socket.isClosed()) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        socket.receive(p);
      } catch (IOException e) {
        return;
      }
      DatagramPacket copy = new DatagramPacket(java.util.Arrays.copyOf(p.getData(), p.getLength()), p.getLength(),
          p.getSocketAddress());
      synchronized (this) {
        if (holding) {
          count(copy);
          held.add(copy);
          continue;
        }
      }
      count(copy);
      answer(copy);
    }
  }

  /** The question of a query: name, type, and where the question section ends. */
  private record Question(String name, int type, int end) {
  }

  private static Question question(byte[] q) {
    int i = 12;
    StringBuilder name = new StringBuilder();
    while (q[i] != 0) {
      int len = q[i] & 0xff;
      if (name.length() > 0) {
        name.append('.');
      }
      name.append(new String(q, i + 1, len, java.nio.charset.StandardCharsets.US_ASCII));
      i += len + 1;
    }
    i++;
    int type = ((q[i] & 0xff) << 8) | (q[i + 1] & 0xff);
    return new Question(key(name.toString()), type, i + 4);
  }

  private void count(DatagramPacket p) {
    Question q = question(p.getData());
    counts.computeIfAbsent(q.name() + "/" + q.type(), k -> new AtomicInteger()).incrementAndGet();
  }

  private void answer(DatagramPacket p) {
    byte[] q = p.getData();
    Question question = question(q);
    if (silent.contains(question.name())) {
      return;
    }
    int rcode = 0;
    List<Rr> answers = new ArrayList<>();
    if (servfail.contains(question.name())) {
      rcode = 2;
    } else {
      List<Rr> records = zone.get(question.name());
      if (records == null) {
        rcode = 3;
      } else {
        for (Rr rr : records) {
          if (rr.type() == question.type()) {
            answers.add(rr);
          }
        }
      }
    }
    ByteBuffer out = ByteBuffer.allocate(4096);
    out.put(q[0]).put(q[1]);                       // id
    out.put((byte) (0x84 | (q[2] & 0x01)));        // QR, AA, RD as asked
    out.put((byte) (0x80 | rcode));                // RA, rcode
    out.putShort((short) 1).putShort((short) answers.size()).putShort((short) 0).putShort((short) 0);
    out.put(q, 12, question.end() - 12);           // the question, as asked
    for (Rr rr : answers) {
      out.putShort((short) 0xC00C);                // the owner: a pointer to the question's name
      out.putShort((short) rr.type()).putShort((short) 1).putInt((int) rr.ttl());
      out.putShort((short) rr.rdata().length).put(rr.rdata());
    }
    try {
      socket.send(new DatagramPacket(out.array(), out.position(), p.getSocketAddress()));
    } catch (IOException e) {
      // The test is tearing down.
    }
  }

  @Override
  public void close() throws InterruptedException {
    socket.close();
    thread.join(5000);
  }
}
