package dev.peregrine.relay;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 network in CIDR notation ({@code 192.0.2.0/24}, {@code 2001:db8::/32}; a bare address is
 * one host). An IPv4-mapped IPv6 client ({@code ::ffff:192.0.2.1}) matches the IPv4 networks, as the
 * kernel reports a v4 client on a dual-stack socket that way. Immutable.
 */
public record Cidr(byte[] network, int prefix) {

  public Cidr {
    network = network.clone();
  }

  /** Parses {@code address[/prefix]}; throws naming the problem. Never looks up a host name. */
  public static Cidr parse(String text) {
    String t = text.trim();
    int slash = t.indexOf('/');
    String addr = slash < 0 ? t : t.substring(0, slash);
    byte[] bytes = literal(addr);
    if (bytes != null) {
      // As InetAddress did: a v4-mapped IPv6 literal is the IPv4 address.
      bytes = unmapped(bytes);
    }
    if (bytes == null) {
      throw new IllegalArgumentException("not an IP address or network: " + text);
    }
    int bits = bytes.length * 8;
    int prefix = bits;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(t.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad prefix length in " + text);
      }
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException("prefix length out of range (0-" + bits + ") in " + text);
      }
    }
    return new Cidr(mask(bytes, prefix), prefix);
  }

  /** True when {@code address} is in this network. */
  public boolean contains(InetAddress address) {
    byte[] a = unmapped(address.getAddress());
    return a.length == network.length && Arrays.equals(mask(a, prefix), network);
  }

  private static byte[] unmapped(byte[] a) {
    if (a.length == 16) {
      for (int i = 0; i < 10; i++) {
        if (a[i] != 0) {
          return a;
        }
      }
      if (a[10] == (byte) 0xff && a[11] == (byte) 0xff) {
        return Arrays.copyOfRange(a, 12, 16);
      }
    }
    return a;
  }

  private static byte[] mask(byte[] a, int prefix) {
    byte[] m = a.clone();
    for (int i = 0; i < m.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - i * 8));
      m[i] = (byte) (m[i] & (0xff << (8 - keep)));
    }
    return m;
  }

  /** The bytes of a numeric IPv4 or IPv6 address, or null (no DNS: only literals are parsed). */
  private static byte[] literal(String s) {
    return io.netty.util.NetUtil.createByteArrayFromIpAddressString(s);
  }

  /** The address of a numeric literal (a socket's peer), without a lookup; null when it is not one. */
  public static InetAddress address(String literal) {
    byte[] b = literal == null ? null : literal(literal);
    try {
      return b == null ? null : InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(network) + prefix;
  }

  @Override
  public String toString() {
    try {
      return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
    } catch (UnknownHostException e) {
      return Arrays.toString(network) + "/" + prefix;
    }
  }
}
