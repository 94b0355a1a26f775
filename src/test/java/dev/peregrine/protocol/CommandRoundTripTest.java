package dev.peregrine.protocol;

import dev.peregrine.protocol.EsmtpParam.BodyType;
import dev.peregrine.protocol.EsmtpParam.NotifyType;
import dev.peregrine.protocol.EsmtpParam.ReturnType;
import dev.peregrine.protocol.ParseResult.Parsed;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link CommandEncoder} and {@link CommandParser} are inverses: {@code parse(encode(c)) == Parsed(c)} for
 * randomly generated valid commands of every kind (fixed seeds, 24,000 commands), and {@code
 * encode(parse(line))} is stable for canonical lines and canonicalises the rest idempotently.
 */
class CommandRoundTripTest {

  private static final CommandParser PARSER = new CommandParser();
  /** Longest command line without its CRLF (RFC 5321 §4.5.3.1.4). */
  private static final int MAX_LINE = CodecLimits.DEFAULT.commandLine() - 2;
  private static final int PER_SEED = 6_000;

  // ------------------------------------------------------------------ parse(encode(c)) == c

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1L, 5321L, 6531L, 0x5EED_CAFE_F00DL})
  void parseInvertsEncode(long seed) {
    Gen g = new Gen(new Random(seed));
    Map<SmtpCommand.Kind, Integer> perKind = new EnumMap<>(SmtpCommand.Kind.class);
    Set<String> features = new TreeSet<>();
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < PER_SEED; i++) {
      Gen.Generated x = g.next();
      SmtpCommand c = x.command();
      String wire = CommandEncoder.encode(c);
      byte[] bytes = wire.getBytes(StandardCharsets.UTF_8);
      // Both encoder entry points write the same octets.
      Buffer appended = CommandEncoder.appendTo(Buffer.buffer("junk"), c);
      if (!appended.getBuffer(4, appended.length()).equals(Buffer.buffer(bytes))) {
        failures.add("appendTo(Buffer) differs from encode() for " + c);
      }
      if (!wire.endsWith("\r\n") || bytes.length - 2 > MAX_LINE) {
        failures.add("bad wire form " + wire.length() + " " + wire);
        continue;
      }
      ParseResult r = PARSER.parse(Buffer.buffer(bytes).getBuffer(0, bytes.length - 2), x.smtpUtf8());
      if (!r.equals(new Parsed(c))) {
        failures.add("seed " + seed + " #" + i + ": " + wire.trim() + "\n   expected " + c + "\n   got      " + r);
      }
      perKind.merge(c.kind(), 1, Integer::sum);
      features.addAll(Gen.features(c));
    }
    assertThat(failures).as("round-trip failures").isEmpty();
    assertThat(perKind.keySet()).containsExactlyInAnyOrder(SmtpCommand.Kind.values());
    assertThat(perKind.values()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(150));
    assertThat(features).containsAll(Gen.EXPECTED_FEATURES);
  }

  @Test
  void generatorIsDeterministic() {
    Gen a = new Gen(new Random(42));
    Gen b = new Gen(new Random(42));
    for (int i = 0; i < 500; i++) {
      assertThat(a.next()).isEqualTo(b.next());
    }
  }

  // ------------------------------------------------------------------ encode(parse(line)) stable

  static Stream<Arguments> canonicalLines() {
    return Stream.of(
        Arguments.of("EHLO client.example.com", false),
        Arguments.of("HELO [192.0.2.1]", false),
        Arguments.of("EHLO [IPv6:2001:db8::1]", false),
        Arguments.of("MAIL FROM:<Smith@bar.com>", false),
        Arguments.of("MAIL FROM:<>", false),
        Arguments.of("MAIL FROM:<> BODY=8BITMIME", false),
        Arguments.of("MAIL FROM:<\"John Doe\"@example.com> SIZE=12345 BODY=BINARYMIME", false),
        Arguments.of("MAIL FROM:<\"a\\\"b\\\\c\"@example.com>", false),
        Arguments.of("MAIL FROM:<a@[IPv6:::ffff:192.0.2.1]> REQUIRETLS", false),
        Arguments.of("MAIL FROM:<a@[x-tag:content!~]>", false),
        Arguments.of("MAIL FROM:<用户@例子.广告> SMTPUTF8", false),
        Arguments.of("MAIL FROM:<Alice@Example.ORG> RET=HDRS ENVID=QQ314159", false),
        Arguments.of("MAIL FROM:<a@b.example> ENVID=a+2Bb+3Dc+20d+C3+BC", false),
        Arguments.of("MAIL FROM:<e=mc2@example.com> AUTH=e+3Dmc2@example.com", false),
        Arguments.of("MAIL FROM:<a@b.example> AUTH=<>", false),
        Arguments.of("MAIL FROM:<a@b.example> BODY=7BIT SIZE=0 SMTPUTF8 REQUIRETLS RET=FULL ENVID=x AUTH=<> X-A=1 X-B",
            false),
        Arguments.of("RCPT TO:<Jones@XYZ.COM>", false),
        Arguments.of("RCPT TO:<Postmaster>", false),
        Arguments.of("RCPT TO:<Postmaster> NOTIFY=NEVER", false),
        Arguments.of("RCPT TO:<Bob@Example.COM> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;Bob@Example.COM", false),
        Arguments.of("RCPT TO:<a@b.example> ORCPT=utf-8;+C3+BC+2B1@b.example", false),
        Arguments.of("RCPT TO:<a@b.example> SIZE=10 XRCPT", false),
        Arguments.of("RCPT TO:<δοκιμή@παράδειγμα.δοκιμή>", true),
        Arguments.of("DATA", false),
        Arguments.of("BDAT 86 LAST", false),
        Arguments.of("BDAT 100000", false),
        Arguments.of("RSET", false),
        Arguments.of("NOOP", false),
        Arguments.of("NOOP hello world", false),
        Arguments.of("QUIT", false),
        Arguments.of("VRFY Smith", false),
        Arguments.of("EXPN Example-People", false),
        Arguments.of("HELP", false),
        Arguments.of("HELP MAIL", false),
        Arguments.of("STARTTLS", false),
        Arguments.of("AUTH PLAIN", false),
        Arguments.of("AUTH PLAIN =", false),
        Arguments.of("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=", false),
        Arguments.of("XCLIENT NAME=spike.porcupine.org ADDR=168.100.189.2", false),
        Arguments.of("TURN", false),
        Arguments.of("X-VERB  two  spaces kept ", false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("canonicalLines")
  void canonicalLineIsStable(String line, boolean smtpUtf8) {
    ParseResult first = PARSER.parse(Buffer.buffer(line.getBytes(StandardCharsets.UTF_8)), smtpUtf8);
    assertThat(first).isInstanceOf(Parsed.class);
    SmtpCommand c = ((Parsed) first).command();
    String wire = CommandEncoder.encode(c);
    assertThat(wire).isEqualTo(line + "\r\n");
    assertThat(PARSER.parse(Buffer.buffer(strip(wire)), smtpUtf8)).isEqualTo(first);
  }

  static Stream<Arguments> nonCanonicalLines() {
    return Stream.of(
        Arguments.of("ehlo  client.example.com ", "EHLO client.example.com"),
        Arguments.of("mail from: <a@b.example>  size=007 body=8bitmime ",
            "MAIL FROM:<a@b.example> SIZE=7 BODY=8BITMIME"),
        Arguments.of("MAIL FROM:<@hosta.int,@jkl.org:userc@d.bar.org>", "MAIL FROM:<userc@d.bar.org>"),
        Arguments.of("MAIL FROM:<a@b.example> smtputf8 requiretls ret=hdrs", "MAIL FROM:<a@b.example> SMTPUTF8 REQUIRETLS RET=HDRS"),
        Arguments.of("MAIL FROM:<a@b.example> ENVID=a+7e+41", "MAIL FROM:<a@b.example> ENVID=a~A"),
        Arguments.of("MAIL FROM:<a@b.example> ENVID=ü", "MAIL FROM:<a@b.example> ENVID=+C3+BC"),
        Arguments.of("MAIL FROM:<a@b.example> AUTH=a+2bb", "MAIL FROM:<a@b.example> AUTH=a+2Bb"),
        Arguments.of("MAIL FROM:<a@b.example> x-foo=Bar x-baz", "MAIL FROM:<a@b.example> X-FOO=Bar X-BAZ"),
        Arguments.of("rcpt to:<postmaster>", "RCPT TO:<Postmaster>"),
        Arguments.of("RCPT TO: <a@b.example> notify=delay,failure,success orcpt=rfc822;a+2bb@b.example",
            "RCPT TO:<a@b.example> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;a+2Bb@b.example"),
        Arguments.of("bdat 007 last", "BDAT 7 LAST"),
        Arguments.of("BDAT  5 ", "BDAT 5"),
        Arguments.of("auth plain =", "AUTH PLAIN ="),
        Arguments.of("Auth scram-sha-1  biwsbj11c2VyLHI9", "AUTH SCRAM-SHA-1 biwsbj11c2VyLHI9"),
        Arguments.of("noop   hi  ", "NOOP hi"),
        Arguments.of("help ", "HELP"),
        Arguments.of("vrfy   Smith ", "VRFY Smith"),
        Arguments.of("data ", "DATA"),
        Arguments.of("quit", "QUIT"),
        Arguments.of("StartTLS", "STARTTLS"),
        Arguments.of("x-verb  args ", "X-VERB  args "));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nonCanonicalLines")
  void encodeCanonicalisesIdempotently(String line, String canonical) {
    ParseResult first = PARSER.parse(Buffer.buffer(line.getBytes(StandardCharsets.UTF_8)));
    assertThat(first).isInstanceOf(Parsed.class);
    String wire = CommandEncoder.encode(((Parsed) first).command());
    assertThat(wire).isEqualTo(canonical + "\r\n");
    ParseResult second = PARSER.parse(Buffer.buffer(strip(wire)));
    assertThat(second).isEqualTo(first);
    assertThat(CommandEncoder.encode(((Parsed) second).command())).isEqualTo(wire);
  }

  private static byte[] strip(String wire) {
    return wire.substring(0, wire.length() - 2).getBytes(StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------ the generator

  /** Random valid commands; every value within the RFC grammars and the default {@link CodecLimits}. */
  static final class Gen {

    record Generated(SmtpCommand command, boolean smtpUtf8) {
    }

    static final String UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    static final String ALNUM = UPPER + "abcdefghijklmnopqrstuvwxyz0123456789";
    static final String ATEXT = ALNUM + "!#$%&'*+-/=?^_`{|}~";
    static final String HEX = "0123456789abcdefABCDEF";
    static final String[] UTF8 = {"é", "ü", "ß", "Ω", "д", "用", "户", "例", "€", "ñ", "ø", "😀", "𝄞", "ح"};
    static final String[] U_LABELS = {"bücher", "例子", "пример", "δοκιμή", "münchen", "广告", "xn--bcher-kva"};
    static final Set<String> KNOWN_VERBS = Set.of("EHLO", "HELO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP",
        "QUIT", "VRFY", "EXPN", "HELP", "STARTTLS", "AUTH");
    static final Set<String> MAIL_KEYWORDS = Set.of("SIZE", "BODY", "SMTPUTF8", "REQUIRETLS", "RET", "ENVID", "AUTH");
    static final Set<String> RCPT_KEYWORDS = Set.of("NOTIFY", "ORCPT");
    static final String[] MECHANISMS = {"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256", "XOAUTH2", "GSSAPI",
        "EXTERNAL", "ANONYMOUS"};
    static final SmtpCommand.Kind[] OTHER_KINDS = {SmtpCommand.Kind.EHLO, SmtpCommand.Kind.HELO,
        SmtpCommand.Kind.DATA, SmtpCommand.Kind.BDAT, SmtpCommand.Kind.RSET, SmtpCommand.Kind.NOOP,
        SmtpCommand.Kind.QUIT, SmtpCommand.Kind.VRFY, SmtpCommand.Kind.EXPN, SmtpCommand.Kind.HELP,
        SmtpCommand.Kind.STARTTLS, SmtpCommand.Kind.AUTH, SmtpCommand.Kind.UNKNOWN};

    /** What the generated commands must have exercised. */
    static final Set<String> EXPECTED_FEATURES = Set.of(
        "local:dot-string", "local:quoted", "local:quoted-pair", "local:utf8", "local:64-octets",
        "domain:name", "domain:u-label", "domain:ipv4", "domain:ipv6-full", "domain:ipv6-comp",
        "domain:ipv6v4-full", "domain:ipv6v4-comp", "domain:general",
        "path:null", "path:postmaster", "mail:utf8+SMTPUTF8", "rcpt:utf8",
        "param:SIZE", "param:BODY", "param:SMTPUTF8", "param:REQUIRETLS", "param:RET", "param:ENVID", "param:AUTH",
        "param:NOTIFY", "param:ORCPT", "param:UNKNOWN", "param:UNKNOWN-no-value", "param:UNKNOWN-utf8",
        "xtext:+", "xtext:=", "xtext:space", "xtext:non-ascii",
        "auth:none", "auth:empty", "auth:base64", "bdat:last", "bdat:chunk",
        "noop:empty", "noop:arg", "help:empty", "help:arg", "unknown:no-args", "unknown:args");

    private final Random r;

    Gen(Random r) {
      this.r = r;
    }

    /** MAIL and RCPT a quarter each, the other 13 kinds share the rest. Retries until the line fits. */
    Generated next() {
      int pick = r.nextInt(4);
      SmtpCommand.Kind kind = pick == 0 ? SmtpCommand.Kind.MAIL
          : pick == 1 ? SmtpCommand.Kind.RCPT
          : OTHER_KINDS[r.nextInt(OTHER_KINDS.length)];
      while (true) {
        Generated g = of(kind);
        if (CommandEncoder.encode(g.command()).getBytes(StandardCharsets.UTF_8).length - 2 <= MAX_LINE) {
          return g;
        }
      }
    }

    private Generated of(SmtpCommand.Kind kind) {
      return switch (kind) {
        case EHLO -> plain(new SmtpCommand.Ehlo(r.nextInt(3) == 0 ? literal() : hostname(false)));
        case HELO -> plain(new SmtpCommand.Helo(r.nextInt(3) == 0 ? literal() : hostname(false)));
        case MAIL -> mail();
        case RCPT -> rcpt();
        case DATA -> plain(new SmtpCommand.Data());
        case BDAT -> plain(new SmtpCommand.Bdat(bdatSize(), r.nextBoolean()));
        case RSET -> plain(new SmtpCommand.Rset());
        case NOOP -> plain(new SmtpCommand.Noop(r.nextInt(3) == 0 ? "" : text(60)));
        case QUIT -> plain(new SmtpCommand.Quit());
        case VRFY -> plain(new SmtpCommand.Vrfy(r.nextBoolean() ? text(40) : "<" + mailbox(r.nextInt(4) == 0) + ">"));
        case EXPN -> plain(new SmtpCommand.Expn(text(40)));
        case HELP -> plain(new SmtpCommand.Help(r.nextInt(3) == 0 ? "" : text(20)));
        case STARTTLS -> plain(new SmtpCommand.StartTls());
        case AUTH -> plain(new SmtpCommand.Auth(mechanism(), initialResponse()));
        case UNKNOWN -> plain(new SmtpCommand.Unknown(verb(), r.nextInt(3) == 0 ? "" : unknownArgs()));
      };
    }

    private static Generated plain(SmtpCommand c) {
      return new Generated(c, false);
    }

    // ---------------------------------------------------------------- MAIL / RCPT

    private Generated mail() {
      ReversePath path;
      boolean utf8 = false;
      if (r.nextInt(10) == 0) {
        path = ReversePath.NULL;
      } else {
        Mailbox m = mailbox(r.nextInt(4) == 0);
        utf8 = m.needsSmtpUtf8();
        path = new ReversePath(m);
      }
      List<EsmtpParam> params = new ArrayList<>();
      if (utf8 || r.nextInt(6) == 0) {
        params.add(new EsmtpParam.SmtpUtf8());
      }
      if (r.nextInt(3) == 0) {
        params.add(new EsmtpParam.Size(r.nextBoolean() ? r.nextInt(50_000_000) : r.nextLong() & Long.MAX_VALUE));
      }
      if (r.nextInt(3) == 0) {
        params.add(new EsmtpParam.Body(BodyType.values()[r.nextInt(BodyType.values().length)]));
      }
      if (r.nextInt(5) == 0) {
        params.add(new EsmtpParam.RequireTls());
      }
      if (r.nextInt(4) == 0) {
        params.add(new EsmtpParam.Ret(r.nextBoolean() ? ReturnType.FULL : ReturnType.HDRS));
      }
      if (r.nextInt(4) == 0) {
        params.add(new EsmtpParam.EnvId(xtextValue(1 + r.nextInt(100))));
      }
      if (r.nextInt(5) == 0) {
        params.add(new EsmtpParam.Auth(r.nextInt(3) == 0 ? "<>" : authMailbox()));
      }
      addUnknown(params, MAIL_KEYWORDS);
      Collections.shuffle(params, r);
      // The parser honours SMTPUTF8 on the MAIL line itself: no transaction flag for MAIL.
      return new Generated(new SmtpCommand.MailFrom(path, params), false);
    }

    private Generated rcpt() {
      ForwardPath path;
      boolean utf8 = false;
      if (r.nextInt(10) == 0) {
        path = ForwardPath.POSTMASTER;
      } else {
        Mailbox m = mailbox(r.nextInt(4) == 0);
        utf8 = m.needsSmtpUtf8();
        path = new ForwardPath(m);
      }
      List<EsmtpParam> params = new ArrayList<>();
      if (r.nextInt(3) == 0) {
        params.add(new EsmtpParam.Notify(notifyTypes()));
      }
      if (r.nextInt(3) == 0) {
        String[] types = {"rfc822", "RFC822", "utf-8", "x-local"};
        params.add(new EsmtpParam.OriginalRecipient(types[r.nextInt(types.length)], xtextValue(1 + r.nextInt(60))));
      }
      addUnknown(params, RCPT_KEYWORDS);
      Collections.shuffle(params, r);
      // A UTF-8 RCPT needs a transaction opened with SMTPUTF8; sometimes the flag is on for ASCII too.
      return new Generated(new SmtpCommand.RcptTo(path, params), utf8 || r.nextInt(5) == 0);
    }

    private Set<NotifyType> notifyTypes() {
      if (r.nextInt(4) == 0) {
        return EnumSet.of(NotifyType.NEVER);
      }
      EnumSet<NotifyType> s = EnumSet.noneOf(NotifyType.class);
      while (s.isEmpty()) {
        for (NotifyType t : List.of(NotifyType.SUCCESS, NotifyType.FAILURE, NotifyType.DELAY)) {
          if (r.nextBoolean()) {
            s.add(t);
          }
        }
      }
      return s;
    }

    private void addUnknown(List<EsmtpParam> params, Set<String> reserved) {
      int n = r.nextInt(4) == 0 ? 1 + r.nextInt(2) : 0;
      Set<String> used = new HashSet<>();
      for (EsmtpParam p : params) {
        used.add(p.keyword());
      }
      // On RCPT, MAIL's keywords are just unknown parameters.
      String[] borrowed = reserved == RCPT_KEYWORDS ? MAIL_KEYWORDS.toArray(new String[0]) : new String[] {"NOTIFY"};
      for (int i = 0; i < n; i++) {
        String kw = r.nextInt(5) == 0 ? borrowed[r.nextInt(borrowed.length)] : keyword();
        if (reserved.contains(kw) || !used.add(kw)) {
          continue;
        }
        String value = r.nextInt(3) == 0 ? null : esmtpValue();
        params.add(new EsmtpParam.Unknown(r.nextBoolean() ? kw : kw.toLowerCase(Locale.ROOT), value));
      }
    }

    private String keyword() {
      StringBuilder sb = new StringBuilder();
      sb.append((UPPER + "0123456789").charAt(r.nextInt(36)));
      int n = r.nextInt(12);
      for (int i = 0; i < n; i++) {
        sb.append(r.nextInt(8) == 0 ? '-' : ALNUM.toUpperCase(Locale.ROOT).charAt(r.nextInt(62)));
      }
      return sb.toString();
    }

    /** esmtp-value = 1*(%d33-60 / %d62-126), plus UTF8-non-ascii (RFC 6531 §3.3). */
    private String esmtpValue() {
      StringBuilder sb = new StringBuilder();
      int n = 1 + r.nextInt(20);
      for (int i = 0; i < n; i++) {
        if (r.nextInt(15) == 0) {
          sb.append(UTF8[r.nextInt(UTF8.length)]);
        } else {
          char c;
          do {
            c = (char) (33 + r.nextInt(94));
          } while (c == '=');
          sb.append(c);
        }
      }
      return sb.toString();
    }

    /** A decoded xtext value: printable ASCII, SP, '+', '=' and non-ASCII; {@code max} UTF-16 units at most. */
    private String xtextValue(int max) {
      StringBuilder sb = new StringBuilder();
      while (sb.length() < max) {
        String piece = switch (r.nextInt(10)) {
          case 0 -> "+";
          case 1 -> "=";
          case 2 -> " ";
          case 3 -> UTF8[r.nextInt(UTF8.length)];
          default -> String.valueOf((char) (33 + r.nextInt(94)));
        };
        if (sb.length() + piece.length() > max) {
          break;
        }
        sb.append(piece);
      }
      return sb.isEmpty() ? "x" : sb.toString();
    }

    private String authMailbox() {
      return mailbox(r.nextInt(5) == 0).toString();
    }

    // ---------------------------------------------------------------- mailboxes

    /** A valid mailbox within the local-part, domain and path limits; UTF-8 allowed if {@code utf8}. */
    Mailbox mailbox(boolean utf8) {
      while (true) {
        String local = r.nextInt(40) == 0 ? local64() : r.nextInt(10) < 7 ? dotString(utf8) : quotedString(utf8);
        String domain = switch (r.nextInt(10)) {
          case 0, 1 -> literal();
          default -> hostname(utf8);
        };
        int localOctets = octets(local);
        if (localOctets > 64 || octets(domain) > 255 || localOctets + octets(domain) + 3 > 256) {
          continue;
        }
        return new Mailbox(local, domain);
      }
    }

    /** A dot-string of exactly 64 octets, the RFC 5321 §4.5.3.1.1 maximum. */
    private String local64() {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 64; i++) {
        sb.append(ATEXT.charAt(r.nextInt(ATEXT.length())));
      }
      sb.setCharAt(1 + r.nextInt(30), '.');
      sb.setCharAt(33 + r.nextInt(29), '.');
      return sb.toString();
    }

    private String dotString(boolean utf8) {
      StringBuilder sb = new StringBuilder();
      int atoms = 1 + r.nextInt(r.nextInt(8) == 0 ? 8 : 3);
      int maxAtom = r.nextInt(10) == 0 ? 30 : 10;
      for (int a = 0; a < atoms; a++) {
        if (a > 0) {
          sb.append('.');
        }
        int n = 1 + r.nextInt(maxAtom);
        for (int i = 0; i < n; i++) {
          if (utf8 && r.nextInt(4) == 0) {
            sb.append(UTF8[r.nextInt(UTF8.length)]);
          } else {
            sb.append(ATEXT.charAt(r.nextInt(ATEXT.length())));
          }
        }
      }
      return sb.toString();
    }

    /** Quoted-string: qtextSMTP (%d32-33 / %d35-91 / %d93-126, UTF-8 with SMTPUTF8) and quoted-pairSMTP. */
    private String quotedString(boolean utf8) {
      StringBuilder sb = new StringBuilder("\"");
      int n = r.nextInt(r.nextInt(6) == 0 ? 60 : 15);
      for (int i = 0; i < n; i++) {
        int k = r.nextInt(10);
        if (k == 0) {
          sb.append('\\').append((char) (32 + r.nextInt(95)));
        } else if (k == 1 && utf8) {
          sb.append(UTF8[r.nextInt(UTF8.length)]);
        } else {
          char c;
          do {
            c = (char) (32 + r.nextInt(95));
          } while (c == '"' || c == '\\');
          sb.append(c);
        }
      }
      return sb.append('"').toString();
    }

    String hostname(boolean utf8) {
      StringBuilder sb = new StringBuilder();
      int labels = 1 + r.nextInt(4);
      for (int l = 0; l < labels; l++) {
        if (l > 0) {
          sb.append('.');
        }
        if (utf8 && r.nextInt(3) == 0) {
          sb.append(U_LABELS[r.nextInt(U_LABELS.length)]);
          continue;
        }
        int n = r.nextInt(20) == 0 ? 63 : 1 + r.nextInt(15);
        for (int i = 0; i < n; i++) {
          boolean edge = i == 0 || i == n - 1;
          sb.append(!edge && r.nextInt(6) == 0 ? '-' : ALNUM.charAt(r.nextInt(ALNUM.length())));
        }
      }
      return sb.toString();
    }

    /** An address literal of RFC 5321 §4.1.3, any of its forms. */
    String literal() {
      return switch (r.nextInt(6)) {
        case 0 -> "[" + ipv4() + "]";
        case 1 -> "[" + tag6() + groups(8) + "]";
        case 2 -> {
          int k = r.nextInt(7); // at most 6 groups besides "::"
          int left = r.nextInt(k + 1);
          yield "[" + tag6() + groups(left) + "::" + groups(k - left) + "]";
        }
        case 3 -> "[" + tag6() + groups(6) + ":" + ipv4() + "]";
        case 4 -> {
          int k = r.nextInt(5); // at most 4 groups besides "::" and the IPv4 address
          int left = r.nextInt(k + 1);
          String right = groups(k - left);
          yield "[" + tag6() + groups(left) + "::" + (right.isEmpty() ? "" : right + ":") + ipv4() + "]";
        }
        default -> "[" + generalTag() + ":" + dcontent() + "]";
      };
    }

    private String tag6() {
      return r.nextInt(5) == 0 ? "ipv6:" : "IPv6:";
    }

    private String ipv4() {
      return r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256);
    }

    private String groups(int n) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          sb.append(':');
        }
        int digits = 1 + r.nextInt(4);
        for (int d = 0; d < digits; d++) {
          sb.append(HEX.charAt(r.nextInt(HEX.length())));
        }
      }
      return sb.toString();
    }

    private String generalTag() {
      while (true) {
        StringBuilder sb = new StringBuilder();
        int n = 1 + r.nextInt(8);
        for (int i = 0; i < n; i++) {
          boolean edge = i == 0 || i == n - 1;
          sb.append(!edge && r.nextInt(5) == 0 ? '-' : ALNUM.charAt(r.nextInt(ALNUM.length())));
        }
        if (!sb.toString().equalsIgnoreCase("IPv6")) {
          return sb.toString();
        }
      }
    }

    /**
     * 1*dcontent, dcontent = %d33-90 / %d94-126 - minus '"', '<' and '>', which the parser cannot read back
     * inside a path today (CommandParserTest#knownParserBugs, BUG 4).
     */
    private String dcontent() {
      StringBuilder sb = new StringBuilder();
      int n = 1 + r.nextInt(20);
      for (int i = 0; i < n; i++) {
        char c;
        do {
          c = (char) (33 + r.nextInt(94));
        } while (c == '[' || c == '\\' || c == ']' || c == '"' || c == '<' || c == '>');
        sb.append(c);
      }
      return sb.toString();
    }

    // ---------------------------------------------------------------- other arguments

    /** Words of printable ASCII (and sometimes UTF-8) joined by single spaces: no leading or trailing SP. */
    private String text(int max) {
      StringBuilder sb = new StringBuilder();
      int words = 1 + r.nextInt(5);
      for (int w = 0; w < words; w++) {
        if (w > 0) {
          sb.append(r.nextInt(6) == 0 ? "  " : " ");
        }
        int n = 1 + r.nextInt(Math.max(1, max / words));
        for (int i = 0; i < n; i++) {
          sb.append(r.nextInt(12) == 0 ? UTF8[r.nextInt(UTF8.length)] : String.valueOf((char) (33 + r.nextInt(94))));
        }
      }
      return sb.toString();
    }

    private long bdatSize() {
      return switch (r.nextInt(4)) {
        case 0 -> 0;
        case 1 -> r.nextInt(100_000);
        case 2 -> Long.MAX_VALUE;
        default -> r.nextLong() & Long.MAX_VALUE;
      };
    }

    private String mechanism() {
      if (r.nextBoolean()) {
        return MECHANISMS[r.nextInt(MECHANISMS.length)];
      }
      String chars = UPPER + "0123456789-_";
      StringBuilder sb = new StringBuilder();
      int n = 1 + r.nextInt(20);
      for (int i = 0; i < n; i++) {
        sb.append(chars.charAt(r.nextInt(chars.length())));
      }
      return sb.toString();
    }

    private String initialResponse() {
      return switch (r.nextInt(3)) {
        case 0 -> null;
        case 1 -> "=";
        default -> {
          byte[] b = new byte[1 + r.nextInt(r.nextInt(5) == 0 ? 300 : 40)];
          r.nextBytes(b);
          yield Base64.getEncoder().encodeToString(b);
        }
      };
    }

    private String verb() {
      String chars = UPPER + "0123456789-_";
      while (true) {
        StringBuilder sb = new StringBuilder();
        sb.append(UPPER.charAt(r.nextInt(UPPER.length())));
        int n = r.nextInt(r.nextInt(4) == 0 ? 16 : 8);
        for (int i = 0; i < n; i++) {
          sb.append(chars.charAt(r.nextInt(chars.length())));
        }
        String v = sb.toString();
        if (!KNOWN_VERBS.contains(v)) {
          return v;
        }
      }
    }

    /** The rest of an unknown command's line is kept verbatim, spaces included. */
    private String unknownArgs() {
      String t = text(50);
      return switch (r.nextInt(5)) {
        case 0 -> " " + t;
        case 1 -> t + "  ";
        default -> t;
      };
    }

    private static int octets(String s) {
      return s.getBytes(StandardCharsets.UTF_8).length;
    }

    // ---------------------------------------------------------------- coverage

    static Set<String> features(SmtpCommand c) {
      Set<String> f = new HashSet<>();
      switch (c.kind()) {
        case MAIL -> {
          SmtpCommand.MailFrom m = (SmtpCommand.MailFrom) c;
          if (m.path().isNull()) {
            f.add("path:null");
          } else {
            mailboxFeatures(m.path().mailbox(), f);
            if (m.path().mailbox().needsSmtpUtf8() && m.param(EsmtpParam.SmtpUtf8.class) != null) {
              f.add("mail:utf8+SMTPUTF8");
            }
          }
          m.params().forEach(p -> paramFeatures(p, f));
        }
        case RCPT -> {
          SmtpCommand.RcptTo t = (SmtpCommand.RcptTo) c;
          if (t.path().isPostmaster()) {
            f.add("path:postmaster");
          } else {
            mailboxFeatures(t.path().mailbox(), f);
            if (t.path().mailbox().needsSmtpUtf8()) {
              f.add("rcpt:utf8");
            }
          }
          t.params().forEach(p -> paramFeatures(p, f));
        }
        case AUTH -> {
          String ir = ((SmtpCommand.Auth) c).initialResponse();
          f.add(ir == null ? "auth:none" : ir.equals("=") ? "auth:empty" : "auth:base64");
        }
        case BDAT -> f.add(((SmtpCommand.Bdat) c).last() ? "bdat:last" : "bdat:chunk");
        case NOOP -> f.add(((SmtpCommand.Noop) c).argument().isEmpty() ? "noop:empty" : "noop:arg");
        case HELP -> f.add(((SmtpCommand.Help) c).topic().isEmpty() ? "help:empty" : "help:arg");
        case UNKNOWN -> f.add(((SmtpCommand.Unknown) c).arguments().isEmpty() ? "unknown:no-args" : "unknown:args");
        default -> {
        }
      }
      return f;
    }

    private static void mailboxFeatures(Mailbox m, Set<String> f) {
      String l = m.localPart();
      f.add(m.isQuoted() ? "local:quoted" : "local:dot-string");
      if (m.isQuoted() && l.contains("\\")) {
        f.add("local:quoted-pair");
      }
      if (!Mailbox.isAscii(l)) {
        f.add("local:utf8");
      }
      if (octets(l) == 64) {
        f.add("local:64-octets");
      }
      String d = m.domain();
      if (!m.isAddressLiteral()) {
        f.add(Mailbox.isAscii(d) ? "domain:name" : "domain:u-label");
      } else if (d.regionMatches(true, 1, "IPv6:", 0, 5)) {
        boolean v4 = d.indexOf('.') >= 0;
        boolean comp = d.contains("::");
        f.add("domain:ipv6" + (v4 ? "v4" : "") + (comp ? "-comp" : "-full"));
      } else {
        f.add(d.indexOf(':') >= 0 ? "domain:general" : "domain:ipv4");
      }
    }

    private static void paramFeatures(EsmtpParam p, Set<String> f) {
      f.add("param:" + p.kind());
      String decoded = switch (p.kind()) {
        case ENVID -> ((EsmtpParam.EnvId) p).envelopeId();
        case ORCPT -> ((EsmtpParam.OriginalRecipient) p).address();
        case AUTH -> ((EsmtpParam.Auth) p).mailbox();
        default -> null;
      };
      if (decoded != null) {
        if (decoded.contains("+")) {
          f.add("xtext:+");
        }
        if (decoded.contains("=")) {
          f.add("xtext:=");
        }
        if (decoded.contains(" ")) {
          f.add("xtext:space");
        }
        if (!Mailbox.isAscii(decoded)) {
          f.add("xtext:non-ascii");
        }
      }
      if (p instanceof EsmtpParam.Unknown u) {
        if (u.value() == null) {
          f.add("param:UNKNOWN-no-value");
        } else if (!Mailbox.isAscii(u.value())) {
          f.add("param:UNKNOWN-utf8");
        }
      }
    }
  }
}
