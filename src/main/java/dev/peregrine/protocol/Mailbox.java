package dev.peregrine.protocol;

/**
 * A mailbox {@code local-part@domain} as it appeared on the wire (RFC 5321 §4.1.2, RFC 6531).
 *
 * <p>{@code localPart} keeps its quotes when it was a quoted string (the local part is interpreted only
 * by the destination host, §2.4); {@code domain} is a domain name or an address literal with its
 * brackets ({@code [192.0.2.1]}, {@code [IPv6:2001:db8::1]}). Neither is case-folded. Values are checked
 * by {@link CommandParser}; this record only rejects what could break the encoding.
 */
public record Mailbox(String localPart, String domain) {

  public Mailbox {
    if (localPart == null || localPart.isEmpty()) {
      throw new IllegalArgumentException("local part must not be empty");
    }
    if (domain == null || domain.isEmpty()) {
      throw new IllegalArgumentException("domain must not be empty");
    }
    for (String s : new String[] {localPart, domain}) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c < 0x20 || c == 0x7f) {
          throw new IllegalArgumentException("mailbox contains a forbidden character: " + s);
        }
      }
    }
  }

  /** Parses {@code local@domain} with the default limits and SMTPUTF8 allowed; throws naming the problem. */
  public static Mailbox parse(String address) {
    return CommandParser.parseMailbox(address);
  }

  /** True when the local part is a quoted string. */
  public boolean isQuoted() {
    return localPart.charAt(0) == '"';
  }

  /** True when the domain is an address literal. */
  public boolean isAddressLiteral() {
    return domain.charAt(0) == '[';
  }

  /**
   * The IP address inside an address literal, {@code [192.0.2.1]} or {@code [IPv6:2001:db8::1]} (the tag in
   * any case), checked as the parser checks it; null for anything else, a general literal included.
   */
  public static String literalAddress(String literal) {
    if (literal.length() < 3 || literal.charAt(0) != '[' || literal.charAt(literal.length() - 1) != ']') {
      return null;
    }
    String body = literal.substring(1, literal.length() - 1);
    if (body.regionMatches(true, 0, "IPv6:", 0, 5)) {
      String v6 = body.substring(5);
      return CommandParser.isIpv6(v6) ? v6 : null;
    }
    return CommandParser.isIpv4(body) ? body : null;
  }

  /** True when any character is outside US-ASCII, which needs SMTPUTF8 (RFC 6531). */
  public boolean needsSmtpUtf8() {
    return !isAscii(localPart) || !isAscii(domain);
  }

  static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0x7f) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return localPart + "@" + domain;
  }
}
