package dev.peregrine.protocol;

import dev.peregrine.protocol.EsmtpParam.BodyType;
import dev.peregrine.protocol.EsmtpParam.NotifyType;
import dev.peregrine.protocol.EsmtpParam.ReturnType;
import dev.peregrine.protocol.ParseResult.Malformed;
import dev.peregrine.protocol.ParseResult.Parsed;
import dev.peregrine.protocol.SmtpCommand.Auth;
import dev.peregrine.protocol.SmtpCommand.Bdat;
import dev.peregrine.protocol.SmtpCommand.Data;
import dev.peregrine.protocol.SmtpCommand.Ehlo;
import dev.peregrine.protocol.SmtpCommand.Expn;
import dev.peregrine.protocol.SmtpCommand.Helo;
import dev.peregrine.protocol.SmtpCommand.Help;
import dev.peregrine.protocol.SmtpCommand.MailFrom;
import dev.peregrine.protocol.SmtpCommand.Noop;
import dev.peregrine.protocol.SmtpCommand.Quit;
import dev.peregrine.protocol.SmtpCommand.RcptTo;
import dev.peregrine.protocol.SmtpCommand.Rset;
import dev.peregrine.protocol.SmtpCommand.StartTls;
import dev.peregrine.protocol.SmtpCommand.Unknown;
import dev.peregrine.protocol.SmtpCommand.Vrfy;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link CommandParser}, table-driven from the RFC grammars and examples: RFC 5321 §4.1 (commands, Path,
 * Mailbox, Local-part, Domain, address literals, source routes, {@code <>}, {@code <Postmaster>}),
 * §4.5.3.1 (size limits, via {@link CodecLimits}), RFC 6531 (SMTPUTF8), RFC 1870 (SIZE), RFC 6152 (8BITMIME),
 * RFC 3030 (BDAT, BINARYMIME), RFC 3461 (DSN), RFC 4954 (AUTH), RFC 8689 (REQUIRETLS), and byte-level refusals
 * (NUL, bare CR/LF, control characters, invalid UTF-8).
 *
 * <p>Every line goes in as a Vert.x {@link Buffer} of raw bytes. An accept case states the exact
 * {@link SmtpCommand} (record equality); a reject case states the {@link Rejection} and the reply code and
 * enhanced status code of {@link Malformed#reply()}.
 *
 * <p>{@link #knownParserBugs()} holds the cases on which the parser disagreed with the RFCs when the table was
 * written; they now run as regression cases.
 */
class CommandParserTest {

  /** One row of the table. */
  static final class Case {
    final byte[] line;
    final boolean smtpUtf8;
    final CodecLimits limits;
    final SmtpCommand command;
    final Rejection rejection;
    final int code;
    final String enhanced;

    Case(byte[] line, boolean smtpUtf8, CodecLimits limits, SmtpCommand command, Rejection rejection, int code,
        String enhanced) {
      this.line = line;
      this.smtpUtf8 = smtpUtf8;
      this.limits = limits;
      this.command = command;
      this.rejection = rejection;
      this.code = code;
      this.enhanced = enhanced;
    }
  }

  // ------------------------------------------------------------------ the test

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource({"cases", "knownParserBugs"})
  void parsesPerRfc(Case c) {
    ParseResult r = new CommandParser(c.limits).parse(Buffer.buffer(c.line), c.smtpUtf8);
    if (c.command != null) {
      assertThat(r).isEqualTo(new Parsed(c.command));
      return;
    }
    assertThat(r).isInstanceOf(Malformed.class);
    Malformed m = (Malformed) r;
    assertThat(m.reason()).as("reason (%s)", m.detail()).isEqualTo(c.rejection);
    assertThat(m.detail()).as("a specific detail").isNotBlank();
    Reply reply = m.reply();
    assertThat(reply.code()).as("reply code").isEqualTo(c.code);
    assertThat(String.valueOf(reply.enhanced())).as("enhanced status code").isEqualTo(c.enhanced);
  }

  @Test
  void tableIsLargeAndCoversAcceptsAndRejects() {
    List<Case> all = cases().map(a -> (Case) ((Named<?>) a.get()[0]).getPayload()).toList();
    assertThat(all).hasSizeGreaterThanOrEqualTo(130);
    assertThat(all.stream().filter(c -> c.command != null).count()).isGreaterThanOrEqualTo(60);
    assertThat(all.stream().filter(c -> c.command == null).count()).isGreaterThanOrEqualTo(60);
    // Every command kind is accepted at least once.
    EnumSet<SmtpCommand.Kind> kinds = EnumSet.noneOf(SmtpCommand.Kind.class);
    all.stream().filter(c -> c.command != null).forEach(c -> kinds.add(c.command.kind()));
    assertThat(kinds).containsExactlyInAnyOrder(SmtpCommand.Kind.values());
  }

  /** Invalid UTF-8 under SMTPUTF8 is refused as such, not as some other bad character. */
  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("invalidUtf8")
  void refusesInvalidUtf8(byte[] line) {
    ParseResult r = new CommandParser().parse(Buffer.buffer(line), true);
    assertThat(r).isInstanceOf(Malformed.class);
    assertThat(((Malformed) r).reason()).isEqualTo(Rejection.INVALID_CHARACTER);
    assertThat(((Malformed) r).detail()).isEqualTo("invalid UTF-8");
  }

  static Stream<Arguments> invalidUtf8() {
    return Stream.of(
        cat("NOOP ", 0xc3),
        cat("NOOP ", 0xff),
        cat("NOOP ", 0xc0, 0xaf),
        cat("NOOP ", 0xed, 0xa0, 0x80)).map(line -> Arguments.of(Named.of(show(line), line)));
  }

  // ------------------------------------------------------------------ builders

  private static final CodecLimits DEFAULT = CodecLimits.DEFAULT;
  private static final int MAX_LINE = CodecLimits.DEFAULT.commandLine() - 2; // without CRLF

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] cat(Object... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Object p : parts) {
      if (p instanceof byte[] b) {
        out.writeBytes(b);
      } else if (p instanceof Integer i) {
        out.write(i);
      } else if (p instanceof Character ch) {
        out.write(ch);
      } else {
        out.writeBytes(utf8((String) p));
      }
    }
    return out.toByteArray();
  }

  private static String show(byte[] line) {
    StringBuilder sb = new StringBuilder();
    String s = new String(line, StandardCharsets.ISO_8859_1);
    for (int i = 0; i < s.length() && sb.length() < 90; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x7f) {
        sb.append(c);
      } else {
        sb.append(String.format("\\x%02X", (int) c));
      }
    }
    return line.length > 90 ? sb + "...(" + line.length + " octets)" : sb.toString();
  }

  private static Arguments row(String ref, Case c) {
    String verdict = c.command != null ? "accept" : c.rejection + " " + c.code + " " + c.enhanced;
    return Arguments.of(Named.of(ref + " | " + show(c.line) + (c.smtpUtf8 ? " [smtpUtf8]" : "") + " => " + verdict, c));
  }

  static Arguments ok(String ref, String line, SmtpCommand expected) {
    return row(ref, new Case(utf8(line), false, DEFAULT, expected, null, 0, null));
  }

  static Arguments okUtf8(String ref, String line, SmtpCommand expected) {
    return row(ref, new Case(utf8(line), true, DEFAULT, expected, null, 0, null));
  }

  static Arguments okLimits(String ref, CodecLimits limits, String line, SmtpCommand expected) {
    return row(ref, new Case(utf8(line), false, limits, expected, null, 0, null));
  }

  static Arguments okBytes(String ref, byte[] line, SmtpCommand expected) {
    return row(ref, new Case(line, false, DEFAULT, expected, null, 0, null));
  }

  static Arguments no(String ref, String line, Rejection r, int code, String enhanced) {
    return row(ref, new Case(utf8(line), false, DEFAULT, null, r, code, enhanced));
  }

  static Arguments noUtf8(String ref, String line, Rejection r, int code, String enhanced) {
    return row(ref, new Case(utf8(line), true, DEFAULT, null, r, code, enhanced));
  }

  static Arguments noLimits(String ref, CodecLimits limits, String line, Rejection r, int code, String enhanced) {
    return row(ref, new Case(utf8(line), false, limits, null, r, code, enhanced));
  }

  static Arguments noBytes(String ref, byte[] line, boolean smtpUtf8, Rejection r, int code, String enhanced) {
    return row(ref, new Case(line, smtpUtf8, DEFAULT, null, r, code, enhanced));
  }

  private static Mailbox mb(String local, String domain) {
    return new Mailbox(local, domain);
  }

  private static MailFrom mail(String local, String domain, EsmtpParam... params) {
    return new MailFrom(new ReversePath(mb(local, domain)), List.of(params));
  }

  private static MailFrom nullSender(EsmtpParam... params) {
    return new MailFrom(ReversePath.NULL, List.of(params));
  }

  private static RcptTo rcpt(String local, String domain, EsmtpParam... params) {
    return new RcptTo(new ForwardPath(mb(local, domain)), List.of(params));
  }

  private static RcptTo postmaster(EsmtpParam... params) {
    return new RcptTo(ForwardPath.POSTMASTER, List.of(params));
  }

  private static EsmtpParam size(long n) {
    return new EsmtpParam.Size(n);
  }

  private static EsmtpParam body(BodyType t) {
    return new EsmtpParam.Body(t);
  }

  private static EsmtpParam notify(NotifyType... t) {
    return new EsmtpParam.Notify(EnumSet.copyOf(List.of(t)));
  }

  private static EsmtpParam orcpt(String type, String address) {
    return new EsmtpParam.OriginalRecipient(type, address);
  }

  private static EsmtpParam unknown(String keyword, String value) {
    return new EsmtpParam.Unknown(keyword, value);
  }

  private static final EsmtpParam SMTPUTF8 = new EsmtpParam.SmtpUtf8();
  private static final EsmtpParam REQUIRETLS = new EsmtpParam.RequireTls();

  /** A domain of exactly {@code n} octets, made of labels of at most 63 letters. */
  static String domainOfLength(int n) {
    StringBuilder sb = new StringBuilder();
    char label = 'a';
    while (sb.length() < n) {
      int room = n - sb.length();
      if (sb.length() > 0) {
        sb.append('.');
        room--;
      }
      // Never leave a single octet for a trailing ".": it would make an empty label.
      int len = room > 64 ? 63 : room == 64 ? 62 : room;
      sb.append(String.valueOf(label++).repeat(len));
    }
    return sb.toString();
  }

  // Error replies: address problems are x.1.7 on MAIL and x.1.3 on RCPT (RFC 3463 §3.2).
  private static final String E_MAIL_ADDR = "5.1.7";
  private static final String E_RCPT_ADDR = "5.1.3";
  private static final String E_SYNTAX = "5.5.4";
  private static final String E_UNRECOGNIZED = "5.5.2";
  private static final String E_UTF8 = "5.6.7";

  // ------------------------------------------------------------------ the table

  static Stream<Arguments> cases() {
    String local64 = "l".repeat(64);
    String quoted64 = "\"" + "q".repeat(62) + "\"";
    String d255 = domainOfLength(255);
    String d256 = domainOfLength(256);
    // Path <local@domain> of exactly 256 and 257 octets (RFC 5321 §4.5.3.1.3): 3 + 64 + 189 = 256.
    String d189 = domainOfLength(189);
    String d190 = domainOfLength(190);
    String label63 = "x".repeat(63);
    String label64 = "x".repeat(64);
    CodecLimits roomyPath = new CodecLimits(512, 64, 255, 300, 4096, 512);
    CodecLimits shortLine = DEFAULT.withCommandLine(64);
    CodecLimits shortLocal = new CodecLimits(512, 8, 255, 256, 4096, 512);
    // Three hops of 61 octets: the mailbox alone is 78 octets, the whole path 264.
    String route = "@" + domainOfLength(60) + ",@" + domainOfLength(60) + ",@" + domainOfLength(60) + ":";

    return Stream.of(
        // ================================================================ EHLO / HELO (5321 §4.1.1.1)
        ok("5321 4.1.1.1 EHLO", "EHLO bar.com", new Ehlo("bar.com")),
        ok("5321 4.1.1.1 EHLO", "EHLO client.example.com", new Ehlo("client.example.com")),
        ok("5321 4.1.1.1 HELO", "HELO bar.com", new Helo("bar.com")),
        ok("5321 4.1.1.1 HELO", "HELO relay.example.org", new Helo("relay.example.org")),
        ok("5321 2.4 verbs case-insensitive, domain kept as sent", "ehlo Bar.COM", new Ehlo("Bar.COM")),
        ok("5321 2.4 lower-case verb", "ehlo client.example.com", new Ehlo("client.example.com")),
        ok("5321 2.4 mixed-case verb", "hElO relay.example.org", new Helo("relay.example.org")),
        ok("5321 2.4 mixed-case verb, single-label domain", "EhLo client", new Ehlo("client")),
        ok("5321 4.1.3 EHLO address literal", "EHLO [192.0.2.1]", new Ehlo("[192.0.2.1]")),
        ok("5321 4.1.3 EHLO IPv6 literal", "EHLO [IPv6:2001:db8::1]", new Ehlo("[IPv6:2001:db8::1]")),
        ok("leniency: trailing spaces", "EHLO bar.com   ", new Ehlo("bar.com")),
        ok("leniency: one trailing space", "EHLO client.example.com ", new Ehlo("client.example.com")),
        ok("leniency: extra spaces before the domain", "EHLO   bar.com", new Ehlo("bar.com")),
        no("5321 4.1.1.1 EHLO needs a domain", "EHLO", Rejection.MISSING_ARGUMENT, 501, E_SYNTAX),
        no("5321 4.1.1.1 EHLO needs a domain, not just SP", "EHLO ", Rejection.MISSING_ARGUMENT, 501, E_SYNTAX),
        no("5321 4.1.1.1 bare HELO", "HELO", Rejection.MISSING_ARGUMENT, 501, E_SYNTAX),
        no("5321 4.1.1.1 HELO needs a domain", "HELO   ", Rejection.MISSING_ARGUMENT, 501, E_SYNTAX),
        no("5321 4.1.1.1 one domain only", "EHLO bar.com extra", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("5321 4.1.1.1 one domain only", "EHLO a b", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),

        // ================================================================ MAIL FROM (5321 §4.1.1.2, §4.1.2)
        ok("5321 D.1 example", "MAIL FROM:<Smith@bar.com>", mail("Smith", "bar.com")),
        ok("5321 4.5.5 null reverse path", "MAIL FROM:<>", nullSender()),
        ok("5321 4.5.5 null reverse path with params", "MAIL FROM:<> BODY=8BITMIME",
            nullSender(body(BodyType.EIGHT_BIT_MIME))),
        ok("5321 2.4 lower-case verb and FROM:", "mail from:<smith@bar.com>", mail("smith", "bar.com")),
        ok("5321 2.4 mixed case, local part case kept", "Mail From:<JQP@Bar.COM>", mail("JQP", "Bar.COM")),
        ok("leniency: space after FROM:", "MAIL FROM: <Smith@bar.com>", mail("Smith", "bar.com")),
        ok("leniency: space after FROM:", "MAIL FROM: <a@b.example>", mail("a", "b.example")),
        ok("leniency: spaces after FROM:", "MAIL FROM:   <Smith@bar.com>", mail("Smith", "bar.com")),
        ok("leniency: trailing spaces", "MAIL FROM:<Smith@bar.com>   ", mail("Smith", "bar.com")),
        ok("leniency: extra spaces between params", "MAIL FROM:<Smith@bar.com>   SIZE=1000   BODY=8BITMIME  ",
            mail("Smith", "bar.com", size(1000), body(BodyType.EIGHT_BIT_MIME))),
        ok("leniency: two spaces before a param", "MAIL FROM:<a@b.example>  SIZE=10", mail("a", "b.example", size(10))),
        no("5321 4.1.1.2 exactly one SP after MAIL", "MAIL  FROM:<a@b.example>", Rejection.SYNTAX_ERROR, 501,
            E_SYNTAX),
        no("5321 4.1.1.2 MAIL needs FROM:", "MAIL", Rejection.MISSING_ARGUMENT, 501, E_SYNTAX),
        no("5321 4.1.1.2 not TO:", "MAIL TO:<a@b.example>", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("5321 4.1.1.2 colon required", "MAIL FROM <a@b.example>", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("5321 4.1.2 path missing", "MAIL FROM:", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 path missing after spaces", "MAIL FROM:   ", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 path needs <>", "MAIL FROM:Smith@bar.com", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 path needs <>", "MAIL FROM:a@b.example", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 path needs >", "MAIL FROM:<Smith@bar.com", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 path needs >", "MAIL FROM:<a@b.example", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 stray <", "MAIL FROM:<a<b@c.example>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 SP before params", "MAIL FROM:<a@b.example>SIZE=1", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("5321 4.1.2 junk after path", "MAIL FROM:<a@b.example>>", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("5321 4.1.2 Postmaster is for RCPT only", "MAIL FROM:<Postmaster>", Rejection.ADDRESS_SYNTAX, 501,
            E_MAIL_ADDR),
        no("5321 4.1.2 mailbox needs @", "MAIL FROM:<Smith>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 mailbox needs @", "MAIL FROM:<a>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),

        // ================================================================ RCPT TO (5321 §4.1.1.3)
        ok("5321 D.1 example", "RCPT TO:<Jones@foo.com>", rcpt("Jones", "foo.com")),
        ok("5321 4.1.1.3 domain case kept", "RCPT TO:<Jones@XYZ.COM>", rcpt("Jones", "XYZ.COM")),
        ok("5321 2.4 lower case", "rcpt to:<green@foo.com>", rcpt("green", "foo.com")),
        ok("5321 2.4 lower case", "rcpt to:<a@b.example>", rcpt("a", "b.example")),
        ok("leniency: space after TO:", "RCPT TO: <Brown@foo.com>", rcpt("Brown", "foo.com")),
        ok("5321 4.5.1 <Postmaster>", "RCPT TO:<Postmaster>", postmaster()),
        ok("5321 4.5.1 <Postmaster> any case", "RCPT TO:<postmaster>", postmaster()),
        ok("5321 4.5.1 <POSTMASTER> with params", "RCPT TO:<POSTMASTER> NOTIFY=NEVER",
            postmaster(notify(NotifyType.NEVER))),
        ok("5321 4.1.1.3 Postmaster@domain is a mailbox", "RCPT TO:<Postmaster@example.com>",
            rcpt("Postmaster", "example.com")),
        ok("5321 4.1.1.3 postmaster@domain is a mailbox, case kept", "RCPT TO:<postmaster@example.com>",
            rcpt("postmaster", "example.com")),
        no("5321 4.1.1.3 RCPT needs TO:", "RCPT", Rejection.MISSING_ARGUMENT, 501, E_SYNTAX),
        no("5321 4.1.1.3 not FROM:", "RCPT FROM:<a@b.example>", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("5321 4.1.1.3 path missing", "RCPT TO:", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.1.3 no null forward path", "RCPT TO:<>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.2 path needs <>", "RCPT TO:Jones@XYZ.COM", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.2 path needs <>", "RCPT TO:a@b.example", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),

        // ================================================================ source routes (5321 §4.1.1.3, C)
        ok("5321 3.3 route accepted and dropped", "RCPT TO:<@hosta.int,@jkl.org:userc@d.bar.org>",
            rcpt("userc", "d.bar.org")),
        ok("5321 C route on MAIL", "MAIL FROM:<@hosta.int,@jkl.org:userc@d.bar.org>",
            mail("userc", "d.bar.org")),
        ok("5321 4.1.2 single-hop route", "MAIL FROM:<@a.example:u@b.example>", mail("u", "b.example")),
        no("5321 4.1.2 route hop must be a Domain", "MAIL FROM:<@a_b.example:u@c.example>",
            Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 route hop needs @", "RCPT TO:<@a.example,b.example:u@c.example>",
            Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.2 route hop needs @", "MAIL FROM:<@a.example,b.example:u@c.example>",
            Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 route needs :", "RCPT TO:<@a.example u@c.example>", Rejection.ADDRESS_SYNTAX, 501,
            E_RCPT_ADDR),
        no("5321 4.1.2 route needs :", "MAIL FROM:<@a.example u@c.example>", Rejection.ADDRESS_SYNTAX, 501,
            E_MAIL_ADDR),
        no("5321 4.1.2 route without mailbox", "MAIL FROM:<@a.example:>", Rejection.ADDRESS_SYNTAX, 501,
            E_MAIL_ADDR),
        // Found by CodecFuzzingTest: a source route followed by no local part used to throw.
        no("5321 4.1.2 route, then no local part", "MAIL FROM:<@r.example:@[192.0.2.1]>", Rejection.ADDRESS_SYNTAX,
            501, E_MAIL_ADDR),
        no("5321 4.1.2 empty route", "MAIL FROM:<@:u@c.example>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),

        // ================================================================ Local-part: Dot-string (5321 §4.1.2)
        ok("5321 4.1.2 dot-string", "MAIL FROM:<first.last@example.com>", mail("first.last", "example.com")),
        ok("5321 4.1.2 dot-string of three atoms", "MAIL FROM:<a.b.c@d.example>", mail("a.b.c", "d.example")),
        ok("5322 3.2.3 every atext special", "RCPT TO:<!#$%&'*+-/=?^_`{|}~@example.com>",
            rcpt("!#$%&'*+-/=?^_`{|}~", "example.com")),
        ok("5322 3.2.3 every atext special (MAIL)", "MAIL FROM:<!#$%&'*+-/=?^_`{|}~@x.example>",
            mail("!#$%&'*+-/=?^_`{|}~", "x.example")),
        ok("5321 4.1.2 digits and plus addressing", "RCPT TO:<user+tag.2024@example.com>",
            rcpt("user+tag.2024", "example.com")),
        no("5321 4.1.2 leading dot", "RCPT TO:<.a@example.com>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.2 leading dot", "MAIL FROM:<.a@b.example>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 trailing dot", "RCPT TO:<a.@example.com>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.2 trailing dot", "MAIL FROM:<a.@b.example>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 double dot", "RCPT TO:<a..b@example.com>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.2 double dot", "MAIL FROM:<a..b@c.example>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 space in dot-string", "RCPT TO:<a b@example.com>", Rejection.ADDRESS_SYNTAX, 501,
            E_RCPT_ADDR),
        no("5321 4.1.2 space in dot-string", "MAIL FROM:<a b@c.example>", Rejection.ADDRESS_SYNTAX, 501,
            E_MAIL_ADDR),
        no("5321 4.1.2 '(' is not atext", "RCPT TO:<a(b)@example.com>", Rejection.ADDRESS_SYNTAX, 501,
            E_RCPT_ADDR),
        no("5321 4.1.2 '(' is not atext", "MAIL FROM:<a(b)@c.example>", Rejection.ADDRESS_SYNTAX, 501,
            E_MAIL_ADDR),
        no("5321 4.1.2 ',' is not atext", "MAIL FROM:<a,b@example.com>", Rejection.ADDRESS_SYNTAX, 501,
            E_MAIL_ADDR),
        no("5321 4.1.2 ',' is not atext", "MAIL FROM:<a,b@c.example>", Rejection.ADDRESS_SYNTAX, 501,
            E_MAIL_ADDR),
        no("5321 4.1.2 '\\' outside quotes", "RCPT TO:<a\\b@example.com>", Rejection.ADDRESS_SYNTAX, 501,
            E_RCPT_ADDR),
        no("5321 4.1.2 empty local part", "RCPT TO:<@example.com>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.2 empty local part", "MAIL FROM:<@b.example>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 two @", "MAIL FROM:<a@b@example.com>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 two @", "MAIL FROM:<a@b@c.example>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),

        // ================================================================ Local-part: Quoted-string
        ok("5321 4.1.2 quoted-string with SP", "RCPT TO:<\"John Doe\"@example.com>",
            rcpt("\"John Doe\"", "example.com")),
        ok("5321 4.1.2 quoted-string with SP (MAIL)", "MAIL FROM:<\"John Doe\"@example.com>",
            mail("\"John Doe\"", "example.com")),
        ok("5321 4.1.2 quoted-pair \\\"", "RCPT TO:<\"a\\\"b\"@example.com>", rcpt("\"a\\\"b\"", "example.com")),
        ok("5321 4.1.2 quoted-pair \\\" (MAIL)", "MAIL FROM:<\"a\\\"b\"@example.com>",
            mail("\"a\\\"b\"", "example.com")),
        ok("5321 4.1.2 quoted-pair \\\\", "RCPT TO:<\"a\\\\b\"@example.com>", rcpt("\"a\\\\b\"", "example.com")),
        ok("5321 4.1.2 empty quoted-string", "MAIL FROM:<\"\"@example.com>", mail("\"\"", "example.com")),
        ok("5321 4.1.2 '>' inside quotes", "RCPT TO:<\"a>b\"@example.com>", rcpt("\"a>b\"", "example.com")),
        ok("5321 4.1.2 '@' inside quotes", "RCPT TO:<\"a@b\"@example.com>", rcpt("\"a@b\"", "example.com")),
        ok("5321 4.1.2 only '@' inside quotes", "MAIL FROM:<\"@\"@example.com>", mail("\"@\"", "example.com")),
        ok("5321 4.1.2 dots free inside quotes", "MAIL FROM:<\"john..doe.\"@example.com>",
            mail("\"john..doe.\"", "example.com")),
        no("5321 4.1.2 unterminated quoted-string", "RCPT TO:<\"unterminated@example.com>",
            Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.2 unterminated quoted-string", "MAIL FROM:<\"unterminated@c.example>",
            Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 text after quoted-string", "RCPT TO:<\"a\"b@example.com>", Rejection.ADDRESS_SYNTAX, 501,
            E_RCPT_ADDR),
        no("5321 4.1.2 no mixed quoted/dot local part", "MAIL FROM:<\"a\".\"b\"@example.com>",
            Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 escaped closing quote leaves it open", "RCPT TO:<\"a\\\"@example.com>",
            Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),

        // ================================================================ Domain (5321 §4.1.2)
        ok("5321 4.1.2 multi-label domain", "RCPT TO:<a@sub.example.co.uk>", rcpt("a", "sub.example.co.uk")),
        ok("5321 4.1.2 single label", "RCPT TO:<a@localhost>", rcpt("a", "localhost")),
        ok("5321 4.1.2 single label", "MAIL FROM:<u@localhost>", mail("u", "localhost")),
        ok("5321 4.1.2 label starting with a digit", "RCPT TO:<a@3com.com>", rcpt("a", "3com.com")),
        ok("5321 4.1.2 all-digit label", "MAIL FROM:<u@123.example>", mail("u", "123.example")),
        ok("5321 4.1.2 inner hyphens", "RCPT TO:<a@a--b.x-y.example>", rcpt("a", "a--b.x-y.example")),
        ok("5321 4.1.2 inner hyphens", "MAIL FROM:<u@a-b.c-d.example>", mail("u", "a-b.c-d.example")),
        ok("1035 label of 63", "RCPT TO:<a@" + label63 + ".example>", rcpt("a", label63 + ".example")),
        no("1035 label of 64", "RCPT TO:<a@" + label64 + ".example>", Rejection.ADDRESS_SYNTAX, 501,
            E_RCPT_ADDR),
        no("1035 label of 64 (MAIL)", "MAIL FROM:<a@" + "d".repeat(64) + ".com>", Rejection.ADDRESS_SYNTAX, 501,
            E_MAIL_ADDR),
        no("5321 4.1.2 label starts with -", "RCPT TO:<a@-ab.example>", Rejection.ADDRESS_SYNTAX, 501,
            E_RCPT_ADDR),
        no("5321 4.1.2 label starts with -", "MAIL FROM:<a@-example.com>", Rejection.ADDRESS_SYNTAX, 501,
            E_MAIL_ADDR),
        no("5321 4.1.2 label ends with -", "MAIL FROM:<a@ab-.example>", Rejection.ADDRESS_SYNTAX, 501,
            E_MAIL_ADDR),
        no("5321 4.1.2 label ends with -", "MAIL FROM:<a@example-.com>", Rejection.ADDRESS_SYNTAX, 501,
            E_MAIL_ADDR),
        no("5321 4.1.2 empty label", "RCPT TO:<a@example..com>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.2 empty label", "RCPT TO:<a@b..example>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.2 empty label (MAIL)", "MAIL FROM:<a@b..example>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 trailing dot", "RCPT TO:<a@example.com.>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.2 trailing dot", "MAIL FROM:<a@example.>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 leading dot", "RCPT TO:<a@.example.com>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.2 leading dot", "MAIL FROM:<a@.example>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 underscore", "MAIL FROM:<a@exa_mple.com>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.2 empty domain", "RCPT TO:<a@>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.2 empty domain", "MAIL FROM:<a@>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),

        // ================================================================ address literals (5321 §4.1.3)
        ok("5321 4.1.3 IPv4", "RCPT TO:<a@[192.0.2.1]>", rcpt("a", "[192.0.2.1]")),
        ok("5321 4.1.3 IPv4 (MAIL)", "MAIL FROM:<u@[192.0.2.1]>", mail("u", "[192.0.2.1]")),
        ok("5321 4.1.3 IPv4 0.0.0.0", "MAIL FROM:<a@[0.0.0.0]>", mail("a", "[0.0.0.0]")),
        ok("5321 4.1.3 IPv4 255.255.255.255", "MAIL FROM:<a@[255.255.255.255]>", mail("a", "[255.255.255.255]")),
        ok("5321 4.1.3 IPv4 255.255.255.255", "MAIL FROM:<u@[255.255.255.255]>", mail("u", "[255.255.255.255]")),
        ok("5321 4.1.3 Snum 1*3DIGIT", "RCPT TO:<a@[010.000.002.001]>", rcpt("a", "[010.000.002.001]")),
        no("5321 4.1.3 Snum > 255", "RCPT TO:<a@[256.1.1.1]>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.3 Snum > 255", "MAIL FROM:<a@[256.1.1.1]>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.3 three Snums", "MAIL FROM:<a@[1.2.3]>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.3 five Snums", "RCPT TO:<a@[1.2.3.4.5]>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.3 four-digit Snum", "RCPT TO:<a@[1.2.3.1234]>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.3 missing ]", "RCPT TO:<a@[192.0.2.1>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.3 missing ]", "MAIL FROM:<a@[192.0.2.1>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.3 junk after ]", "RCPT TO:<a@[192.0.2.1]x>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.3 empty literal", "RCPT TO:<a@[]>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        ok("5321 4.1.3 IPv6-full", "RCPT TO:<a@[IPv6:2001:db8:0:0:0:0:0:1]>",
            rcpt("a", "[IPv6:2001:db8:0:0:0:0:0:1]")),
        ok("5321 4.1.3 IPv6-full (MAIL)", "MAIL FROM:<u@[IPv6:2001:db8:0:0:0:0:0:1]>",
            mail("u", "[IPv6:2001:db8:0:0:0:0:0:1]")),
        ok("5321 4.1.3 IPv6-full upper-case hex", "RCPT TO:<a@[IPv6:2001:DB8:AB:CDEF:0:0:FFFF:1]>",
            rcpt("a", "[IPv6:2001:DB8:AB:CDEF:0:0:FFFF:1]")),
        ok("5321 4.1.3 IPv6-comp", "RCPT TO:<a@[IPv6:2001:db8::1]>", rcpt("a", "[IPv6:2001:db8::1]")),
        ok("5321 4.1.3 IPv6-comp loopback", "MAIL FROM:<a@[IPv6:::1]>", mail("a", "[IPv6:::1]")),
        ok("5321 4.1.3 IPv6-comp loopback", "MAIL FROM:<u@[IPv6:::1]>", mail("u", "[IPv6:::1]")),
        ok("5321 4.1.3 IPv6-comp unspecified", "MAIL FROM:<a@[IPv6:::]>", mail("a", "[IPv6:::]")),
        ok("5321 4.1.3 IPv6-comp trailing ::", "RCPT TO:<a@[IPv6:fe80::]>", rcpt("a", "[IPv6:fe80::]")),
        ok("5321 4.1.3 IPv6-comp with 6 groups", "RCPT TO:<a@[IPv6:1:2:3::4:5:6]>",
            rcpt("a", "[IPv6:1:2:3::4:5:6]")),
        ok("5234 2.3 ABNF strings are case-insensitive", "RCPT TO:<a@[ipv6:::1]>", rcpt("a", "[ipv6:::1]")),
        no("5321 4.1.3 :: stands for >= 2 groups (7 + ::)", "RCPT TO:<a@[IPv6:1:2:3:4:5:6::7]>",
            Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.3 two ::", "RCPT TO:<a@[IPv6:1::2::3]>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.3 two ::", "MAIL FROM:<a@[IPv6:1::2::3]>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.3 full needs 8 groups", "MAIL FROM:<a@[IPv6:1:2:3:4:5:6:7]>", Rejection.ADDRESS_SYNTAX, 501,
            E_MAIL_ADDR),
        no("5321 4.1.3 9 groups", "RCPT TO:<a@[IPv6:1:2:3:4:5:6:7:8:9]>", Rejection.ADDRESS_SYNTAX, 501,
            E_RCPT_ADDR),
        no("5321 4.1.3 group of 5 hex digits", "RCPT TO:<a@[IPv6:12345::1]>", Rejection.ADDRESS_SYNTAX, 501,
            E_RCPT_ADDR),
        no("5321 4.1.3 group of 5 hex digits", "MAIL FROM:<a@[IPv6:12345::1]>", Rejection.ADDRESS_SYNTAX, 501,
            E_MAIL_ADDR),
        no("5321 4.1.3 non-hex digit", "RCPT TO:<a@[IPv6:g::1]>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.3 non-hex digit", "MAIL FROM:<a@[IPv6:g::1]>", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),
        no("5321 4.1.3 single leading colon", "RCPT TO:<a@[IPv6::1:2:3:4:5:6:7]>", Rejection.ADDRESS_SYNTAX,
            501, E_RCPT_ADDR),
        no("5321 4.1.3 empty IPv6", "RCPT TO:<a@[IPv6:]>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        ok("5321 4.1.3 IPv6v4-full", "RCPT TO:<a@[IPv6:0:0:0:0:0:ffff:192.0.2.1]>",
            rcpt("a", "[IPv6:0:0:0:0:0:ffff:192.0.2.1]")),
        ok("5321 4.1.3 IPv6v4-full (MAIL)", "MAIL FROM:<u@[IPv6:1:2:3:4:5:6:192.0.2.1]>",
            mail("u", "[IPv6:1:2:3:4:5:6:192.0.2.1]")),
        ok("5321 4.1.3 IPv6v4-comp", "RCPT TO:<a@[IPv6:::ffff:192.0.2.1]>", rcpt("a", "[IPv6:::ffff:192.0.2.1]")),
        ok("5321 4.1.3 IPv6v4-comp (MAIL)", "MAIL FROM:<u@[IPv6:::ffff:192.0.2.1]>",
            mail("u", "[IPv6:::ffff:192.0.2.1]")),
        ok("5321 4.1.3 IPv6v4-comp bare ::", "MAIL FROM:<a@[IPv6:::192.0.2.1]>", mail("a", "[IPv6:::192.0.2.1]")),
        ok("5321 4.1.3 IPv6v4-comp with 4 groups", "RCPT TO:<a@[IPv6:1:2:3:4::192.0.2.1]>",
            rcpt("a", "[IPv6:1:2:3:4::192.0.2.1]")),
        no("5321 4.1.3 IPv6v4-comp with 5 groups", "RCPT TO:<a@[IPv6:1:2:3:4:5::192.0.2.1]>",
            Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.3 IPv6v4-full with 7 groups", "RCPT TO:<a@[IPv6:1:2:3:4:5:6:7:192.0.2.1]>",
            Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.3 IPv6v4 with a bad IPv4", "RCPT TO:<a@[IPv6:::ffff:300.0.2.1]>", Rejection.ADDRESS_SYNTAX,
            501, E_RCPT_ADDR),
        ok("5321 4.1.3 General-address-literal", "RCPT TO:<a@[x-tag:some.content!~]>",
            rcpt("a", "[x-tag:some.content!~]")),
        ok("5321 4.1.3 General-address-literal (MAIL)", "MAIL FROM:<u@[x-tag:some.thing]>",
            mail("u", "[x-tag:some.thing]")),
        no("5321 4.1.3 tag must be Ldh-str", "RCPT TO:<a@[x_tag:abc]>", Rejection.ADDRESS_SYNTAX, 501,
            E_RCPT_ADDR),
        no("5321 4.1.3 1*dcontent", "RCPT TO:<a@[tag:]>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.3 empty tag", "RCPT TO:<a@[:abc]>", Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("5321 4.1.3 '[' is not dcontent", "MAIL FROM:<a@[tag:a[b]>", Rejection.ADDRESS_SYNTAX, 501,
            E_MAIL_ADDR),

        // ================================================================ limits (5321 §4.5.3.1)
        ok("5321 4.5.3.1.1 local part of 64", "MAIL FROM:<" + local64 + "@example.com>",
            mail(local64, "example.com")),
        no("5321 4.5.3.1.1 local part of 65 (MAIL)", "MAIL FROM:<" + local64 + "x@example.com>",
            Rejection.LOCAL_PART_TOO_LONG, 501, E_MAIL_ADDR),
        no("5321 4.5.3.1.1 local part of 65 (MAIL)", "MAIL FROM:<" + "l".repeat(65) + "@example.com>",
            Rejection.LOCAL_PART_TOO_LONG, 501, E_MAIL_ADDR),
        no("5321 4.5.3.1.1 local part of 65 (RCPT)", "RCPT TO:<" + local64 + "x@example.com>",
            Rejection.LOCAL_PART_TOO_LONG, 501, E_RCPT_ADDR),
        no("5321 4.5.3.1.1 local part of 65 (RCPT)", "RCPT TO:<" + "l".repeat(65) + "@example.com>",
            Rejection.LOCAL_PART_TOO_LONG, 501, E_RCPT_ADDR),
        ok("5321 4.5.3.1.1 quoted local part of 64 incl. quotes", "RCPT TO:<" + quoted64 + "@example.com>",
            rcpt(quoted64, "example.com")),
        no("5321 4.5.3.1.1 quoted local part of 65 incl. quotes",
            "RCPT TO:<\"" + "q".repeat(63) + "\"@example.com>", Rejection.LOCAL_PART_TOO_LONG, 501, E_RCPT_ADDR),
        ok("6531 + 5321 4.5.3.1.1 64 octets of UTF-8 (32 chars)",
            "MAIL FROM:<" + "é".repeat(32) + "@example.com> SMTPUTF8", mail("é".repeat(32), "example.com", SMTPUTF8)),
        no("6531 + 5321 4.5.3.1.1 66 octets of UTF-8 (33 chars)",
            "MAIL FROM:<" + "é".repeat(33) + "@example.com> SMTPUTF8", Rejection.LOCAL_PART_TOO_LONG, 501,
            E_MAIL_ADDR),
        okLimits("CodecLimits.localPart honoured (8)", shortLocal, "RCPT TO:<abcdefgh@example.com>",
            rcpt("abcdefgh", "example.com")),
        noLimits("CodecLimits.localPart honoured (9)", shortLocal, "RCPT TO:<abcdefghi@example.com>",
            Rejection.LOCAL_PART_TOO_LONG, 501, E_RCPT_ADDR),
        okLimits("5321 4.5.3.1.2 domain of 255 (path limit raised)", roomyPath, "RCPT TO:<a@" + d255 + ">",
            rcpt("a", d255)),
        no("5321 4.5.3.1.2 domain of 256", "RCPT TO:<a@" + d256 + ">", Rejection.DOMAIN_TOO_LONG, 501,
            E_RCPT_ADDR),
        no("5321 4.5.3.1.2 domain of 256 (MAIL)", "MAIL FROM:<a@" + d256 + ">", Rejection.DOMAIN_TOO_LONG, 501,
            E_MAIL_ADDR),
        no("5321 4.5.3.1.2 domain of 259 (MAIL)",
            "MAIL FROM:<a@" + "d".repeat(63) + "." + "d".repeat(63) + "." + "d".repeat(63) + "." + "d".repeat(63)
                + ".com>",
            Rejection.DOMAIN_TOO_LONG, 501, E_MAIL_ADDR),
        no("5321 4.5.3.1.3 a 255-octet domain makes a 259-octet path", "RCPT TO:<a@" + d255 + ">",
            Rejection.PATH_TOO_LONG, 501, E_RCPT_ADDR),
        ok("5321 4.5.3.1.3 path of 256", "RCPT TO:<" + local64 + "@" + d189 + ">", rcpt(local64, d189)),
        no("5321 4.5.3.1.3 path of 257 (RCPT)", "RCPT TO:<" + local64 + "@" + d190 + ">", Rejection.PATH_TOO_LONG,
            501, E_RCPT_ADDR),
        no("5321 4.5.3.1.3 path of 257 (MAIL)", "MAIL FROM:<" + local64 + "@" + d190 + ">",
            Rejection.PATH_TOO_LONG, 501, E_MAIL_ADDR),
        no("5321 4.5.3.1.3 path of 263 (MAIL)",
            "MAIL FROM:<" + "l".repeat(60) + "@" + ("d".repeat(62) + ".").repeat(3) + "d".repeat(7) + ".com>",
            Rejection.PATH_TOO_LONG, 501, E_MAIL_ADDR),
        no("5321 4.5.3.1.3 a source route counts in the path", "RCPT TO:<" + route + local64 + "@example.com>",
            Rejection.PATH_TOO_LONG, 501, E_RCPT_ADDR),
        ok("5321 4.5.3.1.4 line of 512 incl. CRLF", "NOOP " + "x".repeat(MAX_LINE - 5),
            new Noop("x".repeat(MAX_LINE - 5))),
        no("5321 4.5.3.1.4 line of 513 incl. CRLF", "NOOP " + "x".repeat(MAX_LINE - 4), Rejection.LINE_TOO_LONG,
            500, E_UNRECOGNIZED),
        no("5321 4.5.3.1.4 MAIL line too long", "MAIL FROM:<a@b.example> X-PAD=" + "p".repeat(MAX_LINE),
            Rejection.LINE_TOO_LONG, 500, E_UNRECOGNIZED),
        no("5321 4.5.3.1.4 limit in octets, not chars", "NOOP " + "é".repeat(253), Rejection.LINE_TOO_LONG, 500,
            E_UNRECOGNIZED),
        okLimits("CodecLimits.commandLine honoured (64)", shortLine, "NOOP " + "y".repeat(57),
            new Noop("y".repeat(57))),
        noLimits("CodecLimits.commandLine honoured (65)", shortLine, "NOOP " + "y".repeat(58),
            Rejection.LINE_TOO_LONG, 500, E_UNRECOGNIZED),

        // ================================================================ RFC 6531 SMTPUTF8
        ok("6531 3.4 UTF-8 mailbox with SMTPUTF8", "MAIL FROM:<用户@例子.广告> SMTPUTF8",
            mail("用户", "例子.广告", SMTPUTF8)),
        ok("6531 3.4 Latin UTF-8 local part with SMTPUTF8", "MAIL FROM:<josé@example.com> SMTPUTF8",
            mail("josé", "example.com", SMTPUTF8)),
        ok("6531 3.4 keyword case-insensitive", "MAIL FROM:<δοκιμή@παράδειγμα.δοκιμή> smtputf8",
            mail("δοκιμή", "παράδειγμα.δοκιμή", SMTPUTF8)),
        ok("6531 3.3 U-label domain, ASCII local part", "MAIL FROM:<info@bücher.example> SMTPUTF8 SIZE=10",
            mail("info", "bücher.example", SMTPUTF8, size(10))),
        ok("6531 3.3 UTF-8 in quoted-string", "MAIL FROM:<\"Jörg Müller\"@example.com> SMTPUTF8",
            mail("\"Jörg Müller\"", "example.com", SMTPUTF8)),
        ok("6531 3.3 4-octet UTF-8 in atext", "MAIL FROM:<😀@example.com> SMTPUTF8",
            mail("😀", "example.com", SMTPUTF8)),
        ok("6531 SMTPUTF8 with ASCII addresses", "MAIL FROM:<a@b.example> SMTPUTF8", mail("a", "b.example",
            SMTPUTF8)),
        okUtf8("6531 RCPT in an SMTPUTF8 transaction", "RCPT TO:<用户@例子.广告>", rcpt("用户", "例子.广告")),
        okUtf8("6531 RCPT in an SMTPUTF8 transaction", "RCPT TO:<ünïcode@example.com>", rcpt("ünïcode", "example.com")),
        okUtf8("6531 RCPT quoted UTF-8 in an SMTPUTF8 transaction", "RCPT TO:<\"ü\"@example.com>",
            rcpt("\"ü\"", "example.com")),
        no("6531 3.5 UTF-8 MAIL without SMTPUTF8", "MAIL FROM:<用户@例子.广告>", Rejection.NON_ASCII_ADDRESS, 553,
            E_UTF8),
        no("6531 3.5 UTF-8 MAIL without SMTPUTF8", "MAIL FROM:<josé@example.com>", Rejection.NON_ASCII_ADDRESS, 553,
            E_UTF8),
        no("6531 3.5 UTF-8 domain without SMTPUTF8", "MAIL FROM:<info@bücher.example> SIZE=10",
            Rejection.NON_ASCII_ADDRESS, 553, E_UTF8),
        no("6531 3.5 UTF-8 domain without SMTPUTF8", "MAIL FROM:<a@exämple.com>", Rejection.NON_ASCII_ADDRESS, 553,
            E_UTF8),
        no("6531 3.5 UTF-8 RCPT outside an SMTPUTF8 transaction", "RCPT TO:<用户@例子.广告>",
            Rejection.NON_ASCII_ADDRESS, 553, E_UTF8),
        no("6531 3.5 UTF-8 RCPT outside an SMTPUTF8 transaction", "RCPT TO:<ünïcode@example.com>",
            Rejection.NON_ASCII_ADDRESS, 553, E_UTF8),
        no("6531 3.5 quoted UTF-8 RCPT outside SMTPUTF8", "RCPT TO:<\"ü\"@example.com>",
            Rejection.NON_ASCII_ADDRESS, 553, E_UTF8),
        no("6531 SMTPUTF8 on RCPT is not a transaction flag", "RCPT TO:<ü@example.com> SMTPUTF8",
            Rejection.NON_ASCII_ADDRESS, 553, E_UTF8),
        no("6531 SMTPUTF8 takes no value", "MAIL FROM:<a@b.example> SMTPUTF8=yes", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        noUtf8("6531 UTF-8 domain still follows Domain syntax", "RCPT TO:<ü@-例子.example>",
            Rejection.ADDRESS_SYNTAX, 501, E_RCPT_ADDR),
        no("6531 syntax error before the SMTPUTF8 check", "MAIL FROM:<ü..x@example.com>", Rejection.ADDRESS_SYNTAX,
            501, E_MAIL_ADDR),

        // ================================================================ RFC 1870 SIZE
        ok("1870 6 SIZE", "MAIL FROM:<a@b.example> SIZE=500000", mail("a", "b.example", size(500000))),
        ok("1870 6 SIZE", "MAIL FROM:<a@b.example> SIZE=1000000", mail("a", "b.example", size(1_000_000))),
        ok("1870 6 SIZE=0", "MAIL FROM:<a@b.example> SIZE=0", mail("a", "b.example", size(0))),
        ok("1870 keyword case-insensitive", "MAIL FROM:<a@b.example> size=123", mail("a", "b.example", size(123))),
        ok("1870 keyword case-insensitive", "MAIL FROM:<a@b.example> size=0", mail("a", "b.example", size(0))),
        ok("1870 leading zeros", "MAIL FROM:<a@b.example> SIZE=000042", mail("a", "b.example", size(42))),
        ok("1870 largest long", "MAIL FROM:<a@b.example> SIZE=9223372036854775807",
            mail("a", "b.example", size(Long.MAX_VALUE))),
        no("1870 6 SIZE is digits", "MAIL FROM:<a@b.example> SIZE=abc", Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("1870 6 SIZE is digits only", "MAIL FROM:<a@b.example> SIZE=12x", Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("1870 6 SIZE needs a value", "MAIL FROM:<a@b.example> SIZE", Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("5321 4.1.2 esmtp-value is 1*char", "MAIL FROM:<a@b.example> SIZE=", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        no("1870 6 no sign", "MAIL FROM:<a@b.example> SIZE=-1", Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("1870 6 size-value is 1*20DIGIT", "MAIL FROM:<a@b.example> SIZE=123456789012345678901",
            Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("duplicate SIZE", "MAIL FROM:<a@b.example> SIZE=1 SIZE=2", Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        ok("1870 SIZE is a MAIL parameter: on RCPT it is unknown", "RCPT TO:<a@b.example> SIZE=10",
            rcpt("a", "b.example", unknown("SIZE", "10"))),
        ok("1870 SIZE is a MAIL parameter: on RCPT it is unknown", "RCPT TO:<a@b.example> SIZE=1",
            rcpt("a", "b.example", unknown("SIZE", "1"))),

        // ================================================================ RFC 6152 / RFC 3030 BODY
        ok("6152 2 BODY=8BITMIME", "MAIL FROM:<a@b.example> BODY=8BITMIME",
            mail("a", "b.example", body(BodyType.EIGHT_BIT_MIME))),
        ok("6152 2 BODY=7BIT", "MAIL FROM:<a@b.example> BODY=7BIT", mail("a", "b.example", body(BodyType.SEVEN_BIT))),
        ok("6152 value case-insensitive", "MAIL FROM:<a@b.example> body=8bitmime",
            mail("a", "b.example", body(BodyType.EIGHT_BIT_MIME))),
        ok("6152 value case-insensitive", "MAIL FROM:<a@b.example> BODY=7bit", mail("a", "b.example",
            body(BodyType.SEVEN_BIT))),
        ok("3030 3 BODY=BINARYMIME", "MAIL FROM:<a@b.example> BODY=BINARYMIME",
            mail("a", "b.example", body(BodyType.BINARY_MIME))),
        no("6152 2 unknown body type", "MAIL FROM:<a@b.example> BODY=9BIT", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        no("6152 2 BODY needs a value", "MAIL FROM:<a@b.example> BODY", Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("duplicate BODY", "MAIL FROM:<a@b.example> BODY=7BIT BODY=8BITMIME", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),

        // ================================================================ RFC 3030 BDAT
        ok("3030 4 example", "BDAT 86 LAST", new Bdat(86, true)),
        ok("3030 4 example", "BDAT 100000", new Bdat(100000, false)),
        ok("3030 2 chunk without LAST", "BDAT 1000", new Bdat(1000, false)),
        ok("3030 2 empty last chunk", "BDAT 0 LAST", new Bdat(0, true)),
        ok("3030 case-insensitive", "bdat 10 last", new Bdat(10, true)),
        ok("3030 case-insensitive", "bdat 5 last", new Bdat(5, true)),
        ok("3030 largest long", "BDAT 9223372036854775807", new Bdat(Long.MAX_VALUE, false)),
        ok("leniency: extra spaces", "BDAT  10  LAST ", new Bdat(10, true)),
        no("3030 2 chunk size required", "BDAT", Rejection.MISSING_ARGUMENT, 501, E_SYNTAX),
        no("3030 2 LAST alone", "BDAT LAST", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("3030 2 chunk-size is a number", "BDAT x", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("3030 2 only LAST", "BDAT 10 FIRST", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("3030 2 nothing after LAST", "BDAT 10 LAST x", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("3030 2 nothing after LAST", "BDAT 10 LAST X", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("3030 2 chunk-size is 1*DIGIT", "BDAT -5", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("3030 2 chunk-size is 1*DIGIT", "BDAT -1", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("3030 2 digits only", "BDAT 1x", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("BDAT size beyond a long", "BDAT 92233720368547758070", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),

        // ================================================================ RFC 3461 DSN
        ok("3461 4.1 NOTIFY=SUCCESS,FAILURE", "RCPT TO:<a@b.example> NOTIFY=SUCCESS,FAILURE",
            rcpt("a", "b.example", notify(NotifyType.SUCCESS, NotifyType.FAILURE))),
        ok("3461 4.1 NOTIFY=NEVER", "RCPT TO:<a@b.example> NOTIFY=NEVER", rcpt("a", "b.example",
            notify(NotifyType.NEVER))),
        ok("3461 value case-insensitive", "RCPT TO:<a@b.example> NOTIFY=never", rcpt("a", "b.example",
            notify(NotifyType.NEVER))),
        ok("3461 4.1 any order", "RCPT TO:<a@b.example> NOTIFY=DELAY,FAILURE,SUCCESS",
            rcpt("a", "b.example", notify(NotifyType.SUCCESS, NotifyType.FAILURE, NotifyType.DELAY))),
        ok("3461 case-insensitive", "RCPT TO:<a@b.example> notify=success,delay",
            rcpt("a", "b.example", notify(NotifyType.SUCCESS, NotifyType.DELAY))),
        no("3461 4.1 NEVER stands alone", "RCPT TO:<a@b.example> NOTIFY=NEVER,SUCCESS", Rejection.PARAMETER_SYNTAX,
            501, E_SYNTAX),
        no("3461 4.1 repeated value", "RCPT TO:<a@b.example> NOTIFY=SUCCESS,SUCCESS", Rejection.PARAMETER_SYNTAX,
            501, E_SYNTAX),
        no("3461 4.1 unknown value", "RCPT TO:<a@b.example> NOTIFY=SOMETIMES", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        no("3461 4.1 empty list element", "RCPT TO:<a@b.example> NOTIFY=SUCCESS,", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        no("3461 4.1 NOTIFY needs a value", "RCPT TO:<a@b.example> NOTIFY", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        no("duplicate NOTIFY", "RCPT TO:<a@b.example> NOTIFY=NEVER NOTIFY=NEVER", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        ok("3461 4.2 ORCPT", "RCPT TO:<Bob@Example.COM> ORCPT=rfc822;Bob@Example.COM",
            rcpt("Bob", "Example.COM", orcpt("rfc822", "Bob@Example.COM"))),
        ok("3461 example with NOTIFY and ORCPT",
            "RCPT TO:<Bob@Example.COM> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@Example.COM",
            rcpt("Bob", "Example.COM", notify(NotifyType.SUCCESS, NotifyType.FAILURE),
                orcpt("rfc822", "Bob@Example.COM"))),
        ok("3461 4 xtext +2B is '+'", "RCPT TO:<a@b.example> ORCPT=rfc822;a+2Bb@b.example",
            rcpt("a", "b.example", orcpt("rfc822", "a+b@b.example"))),
        ok("3461 4 xtext +3D is '='", "RCPT TO:<a@b.example> ORCPT=rfc822;a+3Db@b.example",
            rcpt("a", "b.example", orcpt("rfc822", "a=b@b.example"))),
        ok("3461 4 xtext +20 is SP", "RCPT TO:<a@b.example> ORCPT=rfc822;+22John+20Doe+22@b.example",
            rcpt("a", "b.example", orcpt("rfc822", "\"John Doe\"@b.example"))),
        ok("6533 3 utf-8 address type, UTF-8 as xtext", "RCPT TO:<a@b.example> ORCPT=utf-8;+C3+BC@b.example",
            rcpt("a", "b.example", orcpt("utf-8", "ü@b.example"))),
        no("3461 4 '+' needs two hex digits", "RCPT TO:<a@b.example> ORCPT=rfc822;a+2", Rejection.PARAMETER_SYNTAX,
            501, E_SYNTAX),
        no("3461 4 '+' needs hex", "RCPT TO:<a@b.example> ORCPT=rfc822;a+ZZb", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        no("3461 4.2 addr-type ';' required", "RCPT TO:<a@b.example> ORCPT=rfc822", Rejection.PARAMETER_SYNTAX,
            501, E_SYNTAX),
        no("3461 4.2 addr-type ';' required", "RCPT TO:<a@b.example> ORCPT=a@b.example",
            Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("3461 4.2 addr-type required", "RCPT TO:<a@b.example> ORCPT=;a@b.example", Rejection.PARAMETER_SYNTAX,
            501, E_SYNTAX),
        no("3461 4.2 address required", "RCPT TO:<a@b.example> ORCPT=rfc822;", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        no("3461 4.2 addr-type is an atom", "RCPT TO:<a@b.example> ORCPT=rf(c;a@b.example",
            Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        ok("3461 4.3 RET=FULL", "MAIL FROM:<a@b.example> RET=FULL",
            mail("a", "b.example", new EsmtpParam.Ret(ReturnType.FULL))),
        ok("3461 4.3 value case-insensitive", "MAIL FROM:<a@b.example> RET=full",
            mail("a", "b.example", new EsmtpParam.Ret(ReturnType.FULL))),
        ok("3461 4.3 RET=HDRS, case-insensitive", "MAIL FROM:<a@b.example> ret=hdrs",
            mail("a", "b.example", new EsmtpParam.Ret(ReturnType.HDRS))),
        no("3461 4.3 RET is FULL or HDRS", "MAIL FROM:<a@b.example> RET=BODY", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        no("3461 4.3 RET is FULL or HDRS", "MAIL FROM:<a@b.example> RET=ALL", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        no("3461 4.3 RET needs a value", "MAIL FROM:<a@b.example> RET", Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        ok("3461 example ENVID", "MAIL FROM:<Alice@Example.ORG> RET=HDRS ENVID=QQ314159",
            mail("Alice", "Example.ORG", new EsmtpParam.Ret(ReturnType.HDRS), new EsmtpParam.EnvId("QQ314159"))),
        ok("3461 RET and ENVID", "MAIL FROM:<a@b.example> RET=HDRS ENVID=QQ314159",
            mail("a", "b.example", new EsmtpParam.Ret(ReturnType.HDRS), new EsmtpParam.EnvId("QQ314159"))),
        ok("3461 4 ENVID xtext decoded", "MAIL FROM:<a@b.example> ENVID=a+2Bb+3Dc+20d",
            mail("a", "b.example", new EsmtpParam.EnvId("a+b=c d"))),
        ok("3461 4 ENVID xtext decoded", "MAIL FROM:<a@b.example> ENVID=a+2Bb+3Dc",
            mail("a", "b.example", new EsmtpParam.EnvId("a+b=c"))),
        ok("3461 4 ENVID xtext lower-case hex", "MAIL FROM:<a@b.example> ENVID=a+2bb",
            mail("a", "b.example", new EsmtpParam.EnvId("a+b"))),
        ok("6533 ENVID non-ASCII as xtext", "MAIL FROM:<a@b.example> ENVID=+E2+82+AC1",
            mail("a", "b.example", new EsmtpParam.EnvId("€1"))),
        ok("3461 4.4 ENVID of 100", "MAIL FROM:<a@b.example> ENVID=" + "e".repeat(100),
            mail("a", "b.example", new EsmtpParam.EnvId("e".repeat(100)))),
        no("3461 4.4 ENVID of 101", "MAIL FROM:<a@b.example> ENVID=" + "e".repeat(101), Rejection.PARAMETER_SYNTAX,
            501, E_SYNTAX),
        no("3461 4 '=' must be encoded", "MAIL FROM:<a@b.example> ENVID=a=b", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        no("3461 4 truncated hexchar", "MAIL FROM:<a@b.example> ENVID=abc+", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        no("3461 4 '+' needs hex (ENVID)", "MAIL FROM:<a@b.example> ENVID=a+ZZ", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        ok("3461 NOTIFY is an RCPT parameter: on MAIL it is unknown", "MAIL FROM:<a@b.example> NOTIFY=NEVER",
            mail("a", "b.example", unknown("NOTIFY", "NEVER"))),
        ok("3461 RET is a MAIL parameter: on RCPT it is unknown", "RCPT TO:<a@b.example> RET=FULL",
            rcpt("a", "b.example", unknown("RET", "FULL"))),

        // ================================================================ RFC 4954 AUTH
        ok("4954 4 AUTH mechanism", "AUTH PLAIN", new Auth("PLAIN", null)),
        ok("4954 4 example with initial response", "AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=",
            new Auth("PLAIN", "dGVzdAB0ZXN0ADEyMzQ=")),
        ok("4422 3.1 mechanism upper-cased, initial response kept", "auth plain AGFsaWNlAHMzY3JldA==",
            new Auth("PLAIN", "AGFsaWNlAHMzY3JldA==")),
        ok("4954 4 empty initial response '='", "AUTH PLAIN =", new Auth("PLAIN", "=")),
        ok("4954 4 base64 with ==", "AUTH PLAIN AGFAYg==", new Auth("PLAIN", "AGFAYg==")),
        ok("4954 4 LOGIN with initial response", "AUTH LOGIN dXNlcg==", new Auth("LOGIN", "dXNlcg==")),
        ok("4954 4 '+' and '/' in base64", "AUTH XOAUTH2 ab+/", new Auth("XOAUTH2", "ab+/")),
        ok("4422 3.1 mechanism upper-cased", "auth login", new Auth("LOGIN", null)),
        ok("4422 3.1 '-' in mechanism", "AUTH SCRAM-SHA-256", new Auth("SCRAM-SHA-256", null)),
        ok("4422 3.1 digits in mechanism", "AUTH XOAUTH2", new Auth("XOAUTH2", null)),
        ok("4422 3.1 '_' in mechanism", "AUTH ABCDEFGHIJ_LMNOPQR", new Auth("ABCDEFGHIJ_LMNOPQR", null)),
        ok("4422 3.1 mechanism of 20", "AUTH " + "M".repeat(20), new Auth("M".repeat(20), null)),
        no("4422 3.1 mechanism of 21", "AUTH " + "M".repeat(21), Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("4954 4 mechanism required", "AUTH", Rejection.MISSING_ARGUMENT, 501, E_SYNTAX),
        no("4422 3.1 invalid mechanism character", "AUTH PL@IN", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("4422 3.1 invalid mechanism character", "AUTH P!AIN", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("4954 4 initial response not base64 (length)", "AUTH PLAIN abc", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("4954 4 '=' only as padding", "AUTH PLAIN ab=c", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("4954 4 three '='", "AUTH PLAIN a===", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("4954 4 non-base64 character", "AUTH PLAIN ab*d", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("4954 4 one initial response", "AUTH PLAIN dGVzdA== extra", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("4954 4 one initial response", "AUTH PLAIN a b", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        ok("4954 5 AUTH= example", "MAIL FROM:<e=mc2@example.com> AUTH=e+3Dmc2@example.com",
            mail("e=mc2", "example.com", new EsmtpParam.Auth("e=mc2@example.com"))),
        ok("4954 5 AUTH= xtext decoded", "MAIL FROM:<a@b.example> AUTH=e+3Dmc2@example.com",
            mail("a", "b.example", new EsmtpParam.Auth("e=mc2@example.com"))),
        ok("4954 5 AUTH=<>", "MAIL FROM:<a@b.example> AUTH=<>", mail("a", "b.example", new EsmtpParam.Auth("<>"))),
        no("4954 5 AUTH= needs a value", "MAIL FROM:<a@b.example> AUTH=", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        no("4954 5 AUTH= is xtext", "MAIL FROM:<a@b.example> AUTH=a+zzb@c.example", Rejection.PARAMETER_SYNTAX,
            501, E_SYNTAX),

        // ================================================================ RFC 8689 REQUIRETLS
        ok("8689 3 REQUIRETLS", "MAIL FROM:<a@b.example> REQUIRETLS", mail("a", "b.example", REQUIRETLS)),
        ok("8689 3 case-insensitive", "MAIL FROM:<a@b.example> requiretls BODY=8BITMIME",
            mail("a", "b.example", REQUIRETLS, body(BodyType.EIGHT_BIT_MIME))),
        no("8689 3 REQUIRETLS takes no value", "MAIL FROM:<a@b.example> REQUIRETLS=YES",
            Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("duplicate REQUIRETLS", "MAIL FROM:<a@b.example> REQUIRETLS REQUIRETLS", Rejection.PARAMETER_SYNTAX,
            501, E_SYNTAX),
        ok("8689 REQUIRETLS on RCPT is unknown", "RCPT TO:<a@b.example> REQUIRETLS",
            rcpt("a", "b.example", unknown("REQUIRETLS", null))),

        // ================================================================ all MAIL params, in order
        ok("every MAIL parameter, order kept",
            "MAIL FROM:<a@b.example> BODY=8BITMIME SIZE=10 SMTPUTF8 REQUIRETLS RET=HDRS ENVID=x+2By AUTH=<>",
            mail("a", "b.example", body(BodyType.EIGHT_BIT_MIME), size(10), SMTPUTF8, REQUIRETLS,
                new EsmtpParam.Ret(ReturnType.HDRS), new EsmtpParam.EnvId("x+y"), new EsmtpParam.Auth("<>"))),

        // ================================================================ unknown params (5321 §4.1.2)
        ok("5321 4.1.2 unknown esmtp-param kept", "MAIL FROM:<a@b.example> X-FOO=bar",
            mail("a", "b.example", unknown("X-FOO", "bar"))),
        ok("5321 4.1.2 keyword without value, upper-cased", "MAIL FROM:<a@b.example> x-foo",
            mail("a", "b.example", unknown("X-FOO", null))),
        ok("5321 4.1.2 unknown params with and without value", "MAIL FROM:<a@b.example> X-FOO=bar XYZ",
            mail("a", "b.example", unknown("X-FOO", "bar"), unknown("XYZ", null))),
        ok("6710 MT-PRIORITY is not implemented", "MAIL FROM:<a@b.example> MT-PRIORITY=3",
            mail("a", "b.example", unknown("MT-PRIORITY", "3"))),
        ok("5321 4.1.2 value keeps its case and specials", "RCPT TO:<a@b.example> XRCPT=Ab<c>!~",
            rcpt("a", "b.example", unknown("XRCPT", "Ab<c>!~"))),
        ok("5321 4.1.2 keyword may start with a digit", "RCPT TO:<a@b.example> 9X=1",
            rcpt("a", "b.example", unknown("9X", "1"))),
        ok("6531 3.3 esmtp-value may carry UTF-8", "MAIL FROM:<a@b.example> X-NAME=Jörg",
            mail("a", "b.example", unknown("X-NAME", "Jörg"))),
        ok("unknown and typed params mixed", "MAIL FROM:<a@b.example> SIZE=5 X-A=1 x-b BODY=7BIT",
            mail("a", "b.example", size(5), unknown("X-A", "1"), unknown("X-B", null), body(BodyType.SEVEN_BIT))),
        no("5321 4.1.2 '=' not allowed in esmtp-value", "MAIL FROM:<a@b.example> X-FOO=a=b",
            Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("5321 4.1.2 keyword cannot start with '-'", "MAIL FROM:<a@b.example> -X=1", Rejection.PARAMETER_SYNTAX,
            501, E_SYNTAX),
        no("5321 4.1.2 '_' not allowed in keyword", "RCPT TO:<a@b.example> X_Y=1", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        no("5321 4.1.2 '_' not allowed in keyword", "MAIL FROM:<a@b.example> X_Y=1", Rejection.PARAMETER_SYNTAX,
            501, E_SYNTAX),
        no("5321 4.1.2 keyword required", "MAIL FROM:<a@b.example> =1", Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("5321 4.1.2 keyword required", "MAIL FROM:<a@b.example> =x", Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("duplicate unknown params, case-insensitive", "MAIL FROM:<a@b.example> X-A=1 x-a=2",
            Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("duplicate ORCPT", "RCPT TO:<a@b.example> ORCPT=rfc822;a@b.example ORCPT=rfc822;c@d.example",
            Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),

        // ================================================================ commands without arguments
        ok("5321 4.1.1.4 DATA", "DATA", new Data()),
        ok("5321 2.4 data", "data", new Data()),
        ok("leniency: trailing space", "DATA ", new Data()),
        no("5321 4.1.1.4 DATA takes no argument", "DATA x", Rejection.UNEXPECTED_ARGUMENT, 501, E_SYNTAX),
        no("5321 4.1.1.4 DATA takes no argument", "DATA now", Rejection.UNEXPECTED_ARGUMENT, 501, E_SYNTAX),
        ok("5321 4.1.1.5 RSET", "RSET", new Rset()),
        no("5321 4.1.1.5 RSET takes no argument", "RSET now", Rejection.UNEXPECTED_ARGUMENT, 501, E_SYNTAX),
        no("5321 4.1.1.5 RSET takes no argument", "RSET x", Rejection.UNEXPECTED_ARGUMENT, 501, E_SYNTAX),
        ok("5321 4.1.1.10 QUIT", "QUIT", new Quit()),
        ok("5321 2.4 QuIt", "QuIt", new Quit()),
        no("5321 4.1.1.10 QUIT takes no argument", "QUIT please", Rejection.UNEXPECTED_ARGUMENT, 501, E_SYNTAX),
        no("5321 4.1.1.10 QUIT takes no argument", "QUIT now", Rejection.UNEXPECTED_ARGUMENT, 501, E_SYNTAX),
        ok("3207 4 STARTTLS", "STARTTLS", new StartTls()),
        ok("3207 4 starttls", "starttls", new StartTls()),
        no("3207 4 STARTTLS takes no argument", "STARTTLS x", Rejection.UNEXPECTED_ARGUMENT, 501, E_SYNTAX),
        no("3207 4 STARTTLS takes no argument", "STARTTLS now", Rejection.UNEXPECTED_ARGUMENT, 501, E_SYNTAX),

        // ================================================================ NOOP / HELP / VRFY / EXPN
        ok("5321 4.1.1.9 NOOP", "NOOP", new Noop("")),
        ok("5321 4.1.1.9 NOOP with a string", "NOOP hello world", new Noop("hello world")),
        ok("5321 4.1.1.9 NOOP with a string", "NOOP anything goes", new Noop("anything goes")),
        ok("leniency: NOOP argument stripped", "NOOP   x  ", new Noop("x")),
        ok("5321 4.1.1.8 HELP", "HELP", new Help("")),
        ok("5321 4.1.1.8 HELP topic", "HELP MAIL", new Help("MAIL")),
        ok("5321 3.5 VRFY", "VRFY Smith", new Vrfy("Smith")),
        ok("5321 3.5.3 VRFY full name", "VRFY John Smith", new Vrfy("John Smith")),
        ok("5321 3.5.3 VRFY mailbox", "VRFY <Smith@bar.com>", new Vrfy("<Smith@bar.com>")),
        ok("5321 3.5.3 VRFY mailbox", "VRFY <smith@example.com>", new Vrfy("<smith@example.com>")),
        ok("5321 3.5 EXPN", "EXPN Example-People", new Expn("Example-People")),
        no("5321 4.1.1.6 VRFY needs a string", "VRFY", Rejection.MISSING_ARGUMENT, 501, E_SYNTAX),
        no("5321 4.1.1.6 VRFY blank", "VRFY   ", Rejection.MISSING_ARGUMENT, 501, E_SYNTAX),
        no("5321 4.1.1.7 EXPN needs a string", "EXPN", Rejection.MISSING_ARGUMENT, 501, E_SYNTAX),

        // ================================================================ unknown verbs (5321 §4.2.4)
        ok("unknown verb kept", "XCLIENT NAME=spike.porcupine.org ADDR=168.100.189.2",
            new Unknown("XCLIENT", "NAME=spike.porcupine.org ADDR=168.100.189.2")),
        ok("unknown verb kept", "XCLIENT NAME=spike", new Unknown("XCLIENT", "NAME=spike")),
        ok("5321 4.2.4 unimplemented verb", "ETRN example.com", new Unknown("ETRN", "example.com")),
        ok("unknown verb upper-cased, arguments kept", "xforward proto=SMTP", new Unknown("XFORWARD", "proto=SMTP")),
        ok("unknown verb without arguments", "TURN", new Unknown("TURN", "")),
        ok("obsolete verb", "SEND FROM:<a@b.example>", new Unknown("SEND", "FROM:<a@b.example>")),
        ok("not SMTP: an HTTP request line", "GET / HTTP/1.1", new Unknown("GET", "/ HTTP/1.1")),
        ok("verb with '-', '_' and digits", "X-VERB_1 a", new Unknown("X-VERB_1", "a")),
        ok("verb of 16", "ABCDEFGHIJKLMNOP", new Unknown("ABCDEFGHIJKLMNOP", "")),
        no("verb of 17", "ABCDEFGHIJKLMNOPQ", Rejection.UNRECOGNIZED_COMMAND, 500, E_UNRECOGNIZED),
        no("verb not a token", "M@IL FROM:<a@b.example>", Rejection.UNRECOGNIZED_COMMAND, 500, E_UNRECOGNIZED),
        no("verb not a token", "MA:L FROM:<a@b>", Rejection.UNRECOGNIZED_COMMAND, 500, E_UNRECOGNIZED),
        no("colon glued to the verb", "MAIL:FROM:<a@b.example>", Rejection.UNRECOGNIZED_COMMAND, 500,
            E_UNRECOGNIZED),
        no("5321 4.1.1 TAB is not SP", "EHLO\tbar.com", Rejection.UNRECOGNIZED_COMMAND, 500, E_UNRECOGNIZED),
        no("non-ASCII verb", "ÉHLO bar.com", Rejection.UNRECOGNIZED_COMMAND, 500, E_UNRECOGNIZED),
        no("line starts with SP", " EHLO bar.com", Rejection.UNRECOGNIZED_COMMAND, 500, E_UNRECOGNIZED),
        no("line starts with SP", " EHLO x", Rejection.UNRECOGNIZED_COMMAND, 500, E_UNRECOGNIZED),
        no("empty line", "", Rejection.UNRECOGNIZED_COMMAND, 500, E_UNRECOGNIZED),

        // ================================================================ byte-level refusals (5321 §4.1.1, 2.3.8)
        noBytes("NUL in an address", cat("MAIL FROM:<a", 0, "@b.example>"), false, Rejection.INVALID_CHARACTER,
            500, E_UNRECOGNIZED),
        noBytes("NUL alone", new byte[] {0}, false, Rejection.INVALID_CHARACTER, 500, E_UNRECOGNIZED),
        noBytes("NUL after DATA", cat("DATA", 0), false, Rejection.INVALID_CHARACTER, 500, E_UNRECOGNIZED),
        noBytes("NUL in an argument", cat("NOOP a", 0, "b"), false, Rejection.INVALID_CHARACTER, 500,
            E_UNRECOGNIZED),
        noBytes("5321 2.3.8 bare CR", cat("EHLO a", '\r', "b"), false, Rejection.INVALID_CHARACTER, 500,
            E_UNRECOGNIZED),
        noBytes("5321 2.3.8 bare CR", cat("NOOP a", '\r', "b"), false, Rejection.INVALID_CHARACTER, 500,
            E_UNRECOGNIZED),
        noBytes("5321 2.3.8 trailing bare CR", cat("QUIT", '\r'), false, Rejection.INVALID_CHARACTER, 500,
            E_UNRECOGNIZED),
        noBytes("5321 2.3.8 bare LF", cat("RCPT TO:<a@b.example>", '\n', "DATA"), false,
            Rejection.INVALID_CHARACTER, 500, E_UNRECOGNIZED),
        noBytes("5321 2.3.8 bare LF", cat("NOOP a", '\n', "b"), false, Rejection.INVALID_CHARACTER, 500,
            E_UNRECOGNIZED),
        noBytes("control character 0x01", cat("NOOP ", 1), false, Rejection.INVALID_CHARACTER, 500,
            E_UNRECOGNIZED),
        noBytes("ESC", cat("HELO ", 0x1b, "[31m"), false, Rejection.INVALID_CHARACTER, 500, E_UNRECOGNIZED),
        noBytes("ESC", cat("NOOP ", 0x1b, "[31m"), false, Rejection.INVALID_CHARACTER, 500, E_UNRECOGNIZED),
        noBytes("DEL", cat("VRFY a", 0x7f), false, Rejection.INVALID_CHARACTER, 500, E_UNRECOGNIZED),
        noBytes("invalid UTF-8: 0xFF", cat("NOOP ", 0xff), true, Rejection.INVALID_CHARACTER, 500, E_UNRECOGNIZED),
        noBytes("invalid UTF-8: truncated sequence", cat("NOOP ", 0xc3), true, Rejection.INVALID_CHARACTER, 500,
            E_UNRECOGNIZED),
        noBytes("invalid UTF-8: overlong NUL", cat("NOOP ", 0xc0, 0x80), true, Rejection.INVALID_CHARACTER, 500,
            E_UNRECOGNIZED),
        noBytes("invalid UTF-8: surrogate", cat("NOOP ", 0xed, 0xa0, 0x80), true, Rejection.INVALID_CHARACTER, 500,
            E_UNRECOGNIZED),
        noBytes("invalid UTF-8: beyond U+10FFFF", cat("NOOP ", 0xf4, 0x90, 0x80, 0x80), true,
            Rejection.INVALID_CHARACTER, 500, E_UNRECOGNIZED),
        noBytes("Latin-1 octet in an address, even with SMTPUTF8", cat("RCPT TO:<caf", 0xe9, "@b.example>"), true,
            Rejection.INVALID_CHARACTER, 500, E_UNRECOGNIZED),
        okBytes("6531 well-formed UTF-8 octets", cat("MAIL FROM:<caf", 0xc3, 0xa9, "@b.example> SMTPUTF8"),
            mail("café", "b.example", SMTPUTF8)));
  }

  // ------------------------------------------------------------------ parser bugs found by this table

  /**
   * Cases where {@link CommandParser} disagreed with the RFCs when this table was written ("today" in the
   * names means then); the parser was fixed and they run with the rest as regression cases.
   */
  static Stream<Arguments> knownParserBugs() {
    return Stream.of(
        // BUG 1: verbs, keywords and enumerated values are matched with Java's Unicode case mapping
        // (toUpperCase / equalsIgnoreCase / regionMatches(true,..)), under which U+017F LATIN SMALL LETTER LONG S
        // maps to 'S' and U+0131 LATIN SMALL LETTER DOTLESS I maps to 'I'. RFC 5321 §2.4 makes verbs and
        // keywords case-insensitive in ASCII only (RFC 5234 §2.3: ABNF strings are US-ASCII); a non-ASCII
        // octet can never be part of a verb or esmtp-keyword (§4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA /
        // DIGIT / "-")). Today these lines are silently taken for other commands/parameters.
        no("BUG1 5321 2.4 U+017F is not 'S': today Parsed(StartTls)", "\u017FTARTTLS", Rejection.UNRECOGNIZED_COMMAND,
            500, E_UNRECOGNIZED),
        no("BUG1 5321 2.4 U+0131 is not 'I': today Parsed(Quit)", "QU\u0131T", Rejection.UNRECOGNIZED_COMMAND, 500,
            E_UNRECOGNIZED),
        no("BUG1 5321 2.4 today Parsed(MailFrom a@b.example)", "MA\u0131L FROM:<a@b.example>",
            Rejection.UNRECOGNIZED_COMMAND, 500, E_UNRECOGNIZED),
        no("BUG1 5321 4.2.4 today Parsed(Unknown(\"SOMETHING\", \"x\"))", "\u017FOMETHING x",
            Rejection.UNRECOGNIZED_COMMAND, 500, E_UNRECOGNIZED),
        no("BUG1 5321 4.1.2 esmtp-keyword is ASCII: today Size(10)", "MAIL FROM:<a@b.example> \u017FIZE=10",
            Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("BUG1 6531 today a non-ASCII keyword switches SMTPUTF8 on and the UTF-8 MAIL is accepted",
            "MAIL FROM:<ü@b.example> \u017FMTPUTF8", Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("BUG1 8689 today RequireTls()", "MAIL FROM:<a@b.example> REQU\u0131RETLS", Rejection.PARAMETER_SYNTAX,
            501, E_SYNTAX),
        no("BUG1 3461 today Notify(NEVER)", "RCPT TO:<a@b.example> NOT\u0131FY=NEVER", Rejection.PARAMETER_SYNTAX,
            501, E_SYNTAX),
        no("BUG1 5321 4.1.2 today Unknown(\"XS\", \"1\")", "MAIL FROM:<a@b.example> X\u017F=1",
            Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("BUG1 6152 today Body(EIGHT_BIT_MIME)", "MAIL FROM:<a@b.example> BODY=8B\u0131TMIME",
            Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("BUG1 3461 4.3 today Ret(HDRS)", "MAIL FROM:<a@b.example> RET=HDR\u017F", Rejection.PARAMETER_SYNTAX, 501,
            E_SYNTAX),
        no("BUG1 3461 4.1 today Notify(SUCCESS)", "RCPT TO:<a@b.example> NOTIFY=\u017FUCCESS",
            Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("BUG1 3030 2 today Bdat(1, true)", "BDAT 1 LA\u017FT", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),
        no("BUG1 5321 4.5.1 today ForwardPath.POSTMASTER", "RCPT TO:<Po\u017Ftmaster>", Rejection.ADDRESS_SYNTAX,
            501, E_RCPT_ADDR),
        no("BUG1 5321 4.1.3 tag 'ıPv6' is no Ldh-str: today accepted as an IPv6 literal",
            "MAIL FROM:<a@[\u0131Pv6:::1]> SMTPUTF8", Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),

        // BUG 2: arguments are trimmed with String.strip()/isBlank(), which treat Unicode white space
        // (U+2003 EM SPACE, U+3000 IDEOGRAPHIC SPACE, ...) as blank. RFC 5321 §4.1.1.4/.5/.10 and RFC 3207 §4:
        // "DATA" CRLF etc.; the documented leniency is trailing SP only. Today these are Parsed(Data/Quit/
        // StartTls/Rset), and "AUTH PLAIN <U+2003>" silently loses its (invalid) initial response.
        no("BUG2 5321 4.1.1.4 today Parsed(Data)", "DATA \u2003", Rejection.UNEXPECTED_ARGUMENT, 501, E_SYNTAX),
        no("BUG2 5321 4.1.1.10 today Parsed(Quit)", "QUIT \u2003", Rejection.UNEXPECTED_ARGUMENT, 501, E_SYNTAX),
        no("BUG2 3207 4 today Parsed(StartTls)", "STARTTLS \u3000", Rejection.UNEXPECTED_ARGUMENT, 501, E_SYNTAX),
        no("BUG2 5321 4.1.1.5 today Parsed(Rset)", "RSET \u3000", Rejection.UNEXPECTED_ARGUMENT, 501, E_SYNTAX),
        no("BUG2 4954 4 today Auth(PLAIN, null)", "AUTH PLAIN \u2003", Rejection.SYNTAX_ERROR, 501, E_SYNTAX),

        // BUG 3: xtext values are decoded without checking the decoded text. RFC 3461 §4.2 (ORCPT) and §4.4
        // (ENVID): the value prior to encoding as xtext MUST consist of printable (graphic and white space)
        // characters. Today "+00", "+0D+0A" decode to NUL / CR LF, which end up in DSN header fields
        // (Original-Recipient:, Original-Envelope-Id:) - a header injection.
        no("BUG3 3461 4.2 today OriginalRecipient(rfc822, \"a\\r\\nX: y\")",
            "RCPT TO:<a@b.example> ORCPT=rfc822;a+0D+0AX:+20y", Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),
        no("BUG3 3461 4.4 today EnvId(\"\\0\")", "MAIL FROM:<a@b.example> ENVID=+00", Rejection.PARAMETER_SYNTAX,
            501, E_SYNTAX),
        no("BUG3 4954 5 AUTH= is an xtext addr-spec: today Auth(\"a\\r\\n\")", "MAIL FROM:<a@b.example> AUTH=a+0D+0A",
            Rejection.PARAMETER_SYNTAX, 501, E_SYNTAX),

        // BUG 4: the end of the path is found by scanning for '>' skipping only quoted strings, not address
        // literals. RFC 5321 §4.1.3: General-address-literal = Standardized-tag ":" 1*dcontent, dcontent =
        // %d33-90 / %d94-126, which includes '"' (34), '<' (60) and '>' (62). Today such literals are refused
        // (and CommandEncoder writes mailboxes that CommandParser cannot read back).
        ok("BUG4 5321 4.1.3 '>' in dcontent: today SYNTAX_ERROR 501 5.5.4", "MAIL FROM:<a@[x-tag:a>b]>",
            mail("a", "[x-tag:a>b]")),
        ok("BUG4 5321 4.1.3 '<' in dcontent: today ADDRESS_SYNTAX 501 5.1.3", "RCPT TO:<a@[x-tag:a<b]>",
            rcpt("a", "[x-tag:a<b]")),
        ok("BUG4 5321 4.1.3 '\"' in dcontent: today ADDRESS_SYNTAX 501 5.1.3", "RCPT TO:<a@[x-tag:a\"b]>",
            rcpt("a", "[x-tag:a\"b]")),

        // BUG 5 (minor): RFC 6531 §3.3 extends qtextSMTP with UTF8-non-ascii but not quoted-pairSMTP
        // (%d92 %d32-126). Today "\ü" inside a quoted local part is accepted.
        no("BUG5 6531 3.3 quoted-pair is ASCII only: today accepted", "MAIL FROM:<\"\\ü\"@b.example> SMTPUTF8",
            Rejection.ADDRESS_SYNTAX, 501, E_MAIL_ADDR),

        // BUG 6 (minor, possibly a deliberate but undocumented leniency): RFC 5321 §4.1.1.1
        // ehlo = "EHLO" SP ( Domain / address-literal ); the argument is not checked at all today.
        // BUG6 (EHLO/HELO argument not checked against Domain / address-literal) is kept on purpose: like Postfix's
        // default, the server takes the name as given; a policy may refuse it (handler.helo).
        ok("6 kept: EHLO argument as given", "EHLO a_b!", new SmtpCommand.Ehlo("a_b!")),

        // BUG 7 (minor): RFC 1870 §6 size-value = 1*20DIGIT, so a 20-digit SIZE above Long.MAX_VALUE is
        // well-formed and deserves 552 5.3.4 from the server (§6.1), not 501 "syntax error". One fix: saturate.
        ok("BUG7 1870 6 today PARAMETER_SYNTAX 501 5.5.4", "MAIL FROM:<a@b.example> SIZE=99999999999999999999",
            mail("a", "b.example", size(Long.MAX_VALUE))));
  }
}
