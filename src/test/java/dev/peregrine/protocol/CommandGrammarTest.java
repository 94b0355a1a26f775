package dev.peregrine.protocol;

import dev.peregrine.protocol.EsmtpParam.BodyType;
import dev.peregrine.protocol.EsmtpParam.NotifyType;
import dev.peregrine.protocol.EsmtpParam.ReturnType;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command grammar, table-driven: RFC 5321 §4.1 (commands, paths, address literals), §4.5.3.1 (limits),
 * RFC 6531 (SMTPUTF8), RFC 1870 (SIZE), RFC 6152 (8BITMIME), RFC 3030 (BDAT, BINARYMIME), RFC 3461 (DSN),
 * RFC 4954 (AUTH), RFC 8689 (REQUIRETLS). Lines go in as bytes, so byte-level checks run too.
 */
class CommandGrammarTest {

  private static Mailbox mb(String local, String domain) {
    return new Mailbox(local, domain);
  }

  private static MailFrom mail(String local, String domain, EsmtpParam... params) {
    return new MailFrom(new ReversePath(mb(local, domain)), List.of(params));
  }

  private static RcptTo rcpt(String local, String domain, EsmtpParam... params) {
    return new RcptTo(new ForwardPath(mb(local, domain)), List.of(params));
  }

  private static Arguments ok(String line, SmtpCommand expected) {
    return Arguments.of(line, false, expected, null, null);
  }

  private static Arguments okUtf8(String line, SmtpCommand expected) {
    return Arguments.of(line, true, expected, null, null);
  }

  private static Arguments no(String line, Rejection reason, String reply) {
    return Arguments.of(line, false, null, reason, reply);
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        // ---- EHLO / HELO (§4.1.1.1)
        ok("EHLO client.example.com", new Ehlo("client.example.com")),
        ok("ehlo client.example.com", new Ehlo("client.example.com")),
        ok("EhLo client", new Ehlo("client")),
        ok("EHLO [192.0.2.1]", new Ehlo("[192.0.2.1]")),
        ok("EHLO [IPv6:2001:db8::1]", new Ehlo("[IPv6:2001:db8::1]")),
        ok("EHLO client.example.com ", new Ehlo("client.example.com")),
        ok("HELO relay.example.org", new Helo("relay.example.org")),
        no("EHLO", Rejection.MISSING_ARGUMENT, "501 5.5.4"),
        no("EHLO ", Rejection.MISSING_ARGUMENT, "501 5.5.4"),
        no("HELO", Rejection.MISSING_ARGUMENT, "501 5.5.4"),
        no("EHLO a b", Rejection.SYNTAX_ERROR, "501 5.5.4"),
        // ---- MAIL FROM (§4.1.1.2) and reverse paths (§4.1.2)
        ok("MAIL FROM:<Smith@bar.com>", mail("Smith", "bar.com")),
        ok("mail from:<smith@bar.com>", mail("smith", "bar.com")),
        ok("MAIL FROM:<>", new MailFrom(ReversePath.NULL)),
        ok("MAIL FROM: <a@b.example>", mail("a", "b.example")),
        ok("MAIL FROM:<a@b.example>  SIZE=10", mail("a", "b.example", new EsmtpParam.Size(10))),
        ok("MAIL FROM:<a.b.c@d.example>", mail("a.b.c", "d.example")),
        ok("MAIL FROM:<!#$%&'*+-/=?^_`{|}~@x.example>", mail("!#$%&'*+-/=?^_`{|}~", "x.example")),
        ok("MAIL FROM:<\"John Doe\"@example.com>", mail("\"John Doe\"", "example.com")),
        ok("MAIL FROM:<\"a\\\"b\"@example.com>", mail("\"a\\\"b\"", "example.com")),
        ok("MAIL FROM:<\"@\"@example.com>", mail("\"@\"", "example.com")),
        ok("MAIL FROM:<\"\"@example.com>", mail("\"\"", "example.com")),
        ok("MAIL FROM:<@hosta.int,@jkl.org:userc@d.bar.org>", mail("userc", "d.bar.org")),
        ok("MAIL FROM:<@a.example:u@b.example>", mail("u", "b.example")),
        ok("MAIL FROM:<u@[192.0.2.1]>", mail("u", "[192.0.2.1]")),
        ok("MAIL FROM:<u@[255.255.255.255]>", mail("u", "[255.255.255.255]")),
        ok("MAIL FROM:<u@[IPv6:2001:db8:0:0:0:0:0:1]>", mail("u", "[IPv6:2001:db8:0:0:0:0:0:1]")),
        ok("MAIL FROM:<u@[IPv6:::1]>", mail("u", "[IPv6:::1]")),
        ok("MAIL FROM:<u@[IPv6:::ffff:192.0.2.1]>", mail("u", "[IPv6:::ffff:192.0.2.1]")),
        ok("MAIL FROM:<u@[IPv6:1:2:3:4:5:6:192.0.2.1]>", mail("u", "[IPv6:1:2:3:4:5:6:192.0.2.1]")),
        ok("MAIL FROM:<u@[x-tag:some.thing]>", mail("u", "[x-tag:some.thing]")),
        ok("MAIL FROM:<u@a-b.c-d.example>", mail("u", "a-b.c-d.example")),
        ok("MAIL FROM:<u@123.example>", mail("u", "123.example")),
        ok("MAIL FROM:<u@localhost>", mail("u", "localhost")),
        no("MAIL FROM:a@b.example", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a@b.example", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL", Rejection.MISSING_ARGUMENT, "501 5.5.4"),
        no("MAIL TO:<a@b.example>", Rejection.SYNTAX_ERROR, "501 5.5.4"),
        no("MAIL FROM <a@b.example>", Rejection.SYNTAX_ERROR, "501 5.5.4"),
        no("MAIL FROM:<a@b.example>SIZE=1", Rejection.SYNTAX_ERROR, "501 5.5.4"),
        no("MAIL FROM:<a>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<@b.example>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a@>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<.a@b.example>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a.@b.example>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a..b@c.example>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a b@c.example>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a(b)@c.example>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a,b@c.example>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<\"unterminated@c.example>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a@b..example>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a@.example>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a@example.>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a@-example.com>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a@example-.com>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a@exa_mple.com>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a@b@c.example>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a@[256.1.1.1]>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a@[1.2.3]>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a@[IPv6:1:2:3:4:5:6:7]>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a@[IPv6:1::2::3]>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a@[IPv6:12345::1]>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a@[IPv6:g::1]>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a@[192.0.2.1>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<@a.example,b.example:u@c.example>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<@a.example u@c.example>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        // Found by CodecFuzzingTest: a source route followed by no local part used to throw.
        no("MAIL FROM:<@r.example:@[192.0.2.1]>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<a<b@c.example>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<" + "l".repeat(65) + "@example.com>", Rejection.LOCAL_PART_TOO_LONG, "501 5.1.7"),
        ok("MAIL FROM:<" + "l".repeat(64) + "@example.com>", mail("l".repeat(64), "example.com")),
        no("MAIL FROM:<a@" + "d".repeat(63) + "." + "d".repeat(63) + "." + "d".repeat(63) + "." + "d".repeat(63) + ".com>",
            Rejection.DOMAIN_TOO_LONG, "501 5.1.7"),
        no("MAIL FROM:<a@" + "d".repeat(64) + ".com>", Rejection.ADDRESS_SYNTAX, "501 5.1.7"),
        no("MAIL FROM:<" + "l".repeat(60) + "@" + ("d".repeat(62) + ".").repeat(3) + "d".repeat(7) + ".com>",
            Rejection.PATH_TOO_LONG, "501 5.1.7"),
        // ---- MAIL parameters
        ok("MAIL FROM:<a@b.example> SIZE=1000000", mail("a", "b.example", new EsmtpParam.Size(1_000_000))),
        ok("MAIL FROM:<a@b.example> size=0", mail("a", "b.example", new EsmtpParam.Size(0))),
        ok("MAIL FROM:<a@b.example> BODY=8BITMIME", mail("a", "b.example", new EsmtpParam.Body(BodyType.EIGHT_BIT_MIME))),
        ok("MAIL FROM:<a@b.example> BODY=7bit", mail("a", "b.example", new EsmtpParam.Body(BodyType.SEVEN_BIT))),
        ok("MAIL FROM:<a@b.example> BODY=BINARYMIME", mail("a", "b.example", new EsmtpParam.Body(BodyType.BINARY_MIME))),
        ok("MAIL FROM:<a@b.example> SMTPUTF8", mail("a", "b.example", new EsmtpParam.SmtpUtf8())),
        ok("MAIL FROM:<a@b.example> REQUIRETLS", mail("a", "b.example", new EsmtpParam.RequireTls())),
        ok("MAIL FROM:<a@b.example> RET=HDRS ENVID=QQ314159", mail("a", "b.example", new EsmtpParam.Ret(ReturnType.HDRS),
            new EsmtpParam.EnvId("QQ314159"))),
        ok("MAIL FROM:<a@b.example> RET=full", mail("a", "b.example", new EsmtpParam.Ret(ReturnType.FULL))),
        ok("MAIL FROM:<a@b.example> ENVID=a+2Bb+3Dc", mail("a", "b.example", new EsmtpParam.EnvId("a+b=c"))),
        ok("MAIL FROM:<a@b.example> AUTH=<>", mail("a", "b.example", new EsmtpParam.Auth("<>"))),
        ok("MAIL FROM:<a@b.example> AUTH=e+3Dmc2@example.com", mail("a", "b.example", new EsmtpParam.Auth("e=mc2@example.com"))),
        ok("MAIL FROM:<a@b.example> X-FOO=bar XYZ", mail("a", "b.example", new EsmtpParam.Unknown("X-FOO", "bar"),
            new EsmtpParam.Unknown("XYZ", null))),
        ok("MAIL FROM:<a@b.example> NOTIFY=NEVER", mail("a", "b.example", new EsmtpParam.Unknown("NOTIFY", "NEVER"))),
        no("MAIL FROM:<a@b.example> SIZE=", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        no("MAIL FROM:<a@b.example> SIZE", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        no("MAIL FROM:<a@b.example> SIZE=12x", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        no("MAIL FROM:<a@b.example> SIZE=-1", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        // RFC 1870 allows 20 digits: a size beyond a long is just too large (552 from the server).
        ok("MAIL FROM:<a@b.example> SIZE=99999999999999999999", mail("a", "b.example", new EsmtpParam.Size(Long.MAX_VALUE))),
        no("MAIL FROM:<a@b.example> SIZE=1 SIZE=2", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        no("MAIL FROM:<a@b.example> BODY=9BIT", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        no("MAIL FROM:<a@b.example> SMTPUTF8=yes", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        no("MAIL FROM:<a@b.example> RET=ALL", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        no("MAIL FROM:<a@b.example> ENVID=a+ZZ", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        no("MAIL FROM:<a@b.example> ENVID=" + "e".repeat(101), Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        no("MAIL FROM:<a@b.example> =x", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        no("MAIL FROM:<a@b.example> -X=1", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        no("MAIL FROM:<a@b.example> X_Y=1", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        // ---- SMTPUTF8 (RFC 6531)
        ok("MAIL FROM:<josé@example.com> SMTPUTF8", mail("josé", "example.com", new EsmtpParam.SmtpUtf8())),
        ok("MAIL FROM:<用户@例子.广告> SMTPUTF8", mail("用户", "例子.广告", new EsmtpParam.SmtpUtf8())),
        no("MAIL FROM:<josé@example.com>", Rejection.NON_ASCII_ADDRESS, "553 5.6.7"),
        no("MAIL FROM:<a@exämple.com>", Rejection.NON_ASCII_ADDRESS, "553 5.6.7"),
        okUtf8("RCPT TO:<ünïcode@example.com>", rcpt("ünïcode", "example.com")),
        no("RCPT TO:<ünïcode@example.com>", Rejection.NON_ASCII_ADDRESS, "553 5.6.7"),
        // ---- RCPT TO (§4.1.1.3)
        ok("RCPT TO:<Jones@XYZ.COM>", rcpt("Jones", "XYZ.COM")),
        ok("rcpt to:<a@b.example>", rcpt("a", "b.example")),
        ok("RCPT TO:<Postmaster>", new RcptTo(ForwardPath.POSTMASTER, List.of())),
        ok("RCPT TO:<postmaster>", new RcptTo(ForwardPath.POSTMASTER, List.of())),
        ok("RCPT TO:<postmaster@example.com>", rcpt("postmaster", "example.com")),
        ok("RCPT TO:<@hosta.int,@jkl.org:userc@d.bar.org>", rcpt("userc", "d.bar.org")),
        ok("RCPT TO:<a@b.example> NOTIFY=SUCCESS,FAILURE", rcpt("a", "b.example",
            new EsmtpParam.Notify(EnumSet.of(NotifyType.SUCCESS, NotifyType.FAILURE)))),
        ok("RCPT TO:<a@b.example> NOTIFY=never", rcpt("a", "b.example", new EsmtpParam.Notify(EnumSet.of(NotifyType.NEVER)))),
        ok("RCPT TO:<a@b.example> ORCPT=rfc822;a+2Bb@b.example", rcpt("a", "b.example",
            new EsmtpParam.OriginalRecipient("rfc822", "a+b@b.example"))),
        ok("RCPT TO:<a@b.example> SIZE=1", rcpt("a", "b.example", new EsmtpParam.Unknown("SIZE", "1"))),
        no("RCPT TO:<>", Rejection.ADDRESS_SYNTAX, "501 5.1.3"),
        no("RCPT TO:a@b.example", Rejection.ADDRESS_SYNTAX, "501 5.1.3"),
        no("RCPT TO:<a@b..example>", Rejection.ADDRESS_SYNTAX, "501 5.1.3"),
        no("RCPT FROM:<a@b.example>", Rejection.SYNTAX_ERROR, "501 5.5.4"),
        no("RCPT", Rejection.MISSING_ARGUMENT, "501 5.5.4"),
        no("RCPT TO:<a@b.example> NOTIFY=NEVER,SUCCESS", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        no("RCPT TO:<a@b.example> NOTIFY=SOMETIMES", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        no("RCPT TO:<a@b.example> NOTIFY=SUCCESS,SUCCESS", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        no("RCPT TO:<a@b.example> ORCPT=a@b.example", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        no("RCPT TO:<a@b.example> ORCPT=rfc822;", Rejection.PARAMETER_SYNTAX, "501 5.5.4"),
        no("RCPT TO:<" + "l".repeat(65) + "@example.com>", Rejection.LOCAL_PART_TOO_LONG, "501 5.1.3"),
        // ---- DATA, BDAT, RSET, NOOP, QUIT, VRFY, EXPN, HELP, STARTTLS
        ok("DATA", new Data()),
        ok("data", new Data()),
        ok("DATA ", new Data()),
        no("DATA now", Rejection.UNEXPECTED_ARGUMENT, "501 5.5.4"),
        ok("BDAT 1000", new Bdat(1000, false)),
        ok("BDAT 0 LAST", new Bdat(0, true)),
        ok("bdat 5 last", new Bdat(5, true)),
        no("BDAT", Rejection.MISSING_ARGUMENT, "501 5.5.4"),
        no("BDAT x", Rejection.SYNTAX_ERROR, "501 5.5.4"),
        no("BDAT 10 FIRST", Rejection.SYNTAX_ERROR, "501 5.5.4"),
        no("BDAT 10 LAST X", Rejection.SYNTAX_ERROR, "501 5.5.4"),
        no("BDAT -1", Rejection.SYNTAX_ERROR, "501 5.5.4"),
        ok("RSET", new Rset()),
        no("RSET x", Rejection.UNEXPECTED_ARGUMENT, "501 5.5.4"),
        ok("NOOP", new Noop("")),
        ok("NOOP anything goes", new Noop("anything goes")),
        ok("QUIT", new Quit()),
        no("QUIT now", Rejection.UNEXPECTED_ARGUMENT, "501 5.5.4"),
        ok("VRFY Smith", new Vrfy("Smith")),
        ok("VRFY <smith@example.com>", new Vrfy("<smith@example.com>")),
        no("VRFY", Rejection.MISSING_ARGUMENT, "501 5.5.4"),
        ok("EXPN Example-People", new Expn("Example-People")),
        no("EXPN", Rejection.MISSING_ARGUMENT, "501 5.5.4"),
        ok("HELP", new Help("")),
        ok("HELP MAIL", new Help("MAIL")),
        ok("STARTTLS", new StartTls()),
        ok("starttls", new StartTls()),
        no("STARTTLS now", Rejection.UNEXPECTED_ARGUMENT, "501 5.5.4"),
        // ---- AUTH (RFC 4954)
        ok("AUTH PLAIN", new Auth("PLAIN", null)),
        ok("auth plain AGFsaWNlAHMzY3JldA==", new Auth("PLAIN", "AGFsaWNlAHMzY3JldA==")),
        ok("AUTH PLAIN =", new Auth("PLAIN", "=")),
        ok("AUTH LOGIN dXNlcg==", new Auth("LOGIN", "dXNlcg==")),
        ok("AUTH XOAUTH2", new Auth("XOAUTH2", null)),
        ok("AUTH SCRAM-SHA-256", new Auth("SCRAM-SHA-256", null)),
        no("AUTH", Rejection.MISSING_ARGUMENT, "501 5.5.4"),
        no("AUTH PLAIN abc", Rejection.SYNTAX_ERROR, "501 5.5.4"),
        no("AUTH PLAIN ab=c", Rejection.SYNTAX_ERROR, "501 5.5.4"),
        no("AUTH PLAIN a b", Rejection.SYNTAX_ERROR, "501 5.5.4"),
        no("AUTH P!AIN", Rejection.SYNTAX_ERROR, "501 5.5.4"),
        no("AUTH " + "M".repeat(21), Rejection.SYNTAX_ERROR, "501 5.5.4"),
        // ---- unknown verbs and bytes that are never a command
        ok("XCLIENT NAME=spike", new Unknown("XCLIENT", "NAME=spike")),
        ok("ETRN example.com", new Unknown("ETRN", "example.com")),
        ok("TURN", new Unknown("TURN", "")),
        no("", Rejection.UNRECOGNIZED_COMMAND, "500 5.5.2"),
        no(" EHLO x", Rejection.UNRECOGNIZED_COMMAND, "500 5.5.2"),
        no("MA:L FROM:<a@b>", Rejection.UNRECOGNIZED_COMMAND, "500 5.5.2"),
        ok("GET / HTTP/1.1", new Unknown("GET", "/ HTTP/1.1")),
        no("NOOP a\u0000b", Rejection.INVALID_CHARACTER, "500 5.5.2"),
        no("NOOP a\rb", Rejection.INVALID_CHARACTER, "500 5.5.2"),
        no("NOOP a\nb", Rejection.INVALID_CHARACTER, "500 5.5.2"),
        no("NOOP \u001b[31m", Rejection.INVALID_CHARACTER, "500 5.5.2"),
        no("NOOP " + "x".repeat(506), Rejection.LINE_TOO_LONG, "500 5.5.2"),
        ok("NOOP " + "x".repeat(505), new Noop("x".repeat(505))));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("cases")
  void parses(String line, boolean smtpUtf8, SmtpCommand expected, Rejection reason, String reply) {
    ParseResult r = new CommandParser().parse(Buffer.buffer(line.getBytes(StandardCharsets.UTF_8)), smtpUtf8);
    if (expected != null) {
      assertThat(r).isEqualTo(new ParseResult.Parsed(expected));
      return;
    }
    assertThat(r).isInstanceOf(ParseResult.Malformed.class);
    ParseResult.Malformed m = (ParseResult.Malformed) r;
    assertThat(m.reason()).as(m.detail()).isEqualTo(reason);
    Reply rep = m.reply();
    assertThat(rep.code() + " " + rep.enhanced()).isEqualTo(reply);
    assertThat(m.detail()).as("a specific reason").isNotBlank();
  }

  @ParameterizedTest
  @MethodSource("invalidUtf8")
  void refusesInvalidUtf8(byte[] line) {
    ParseResult r = new CommandParser().parse(Buffer.buffer(line), true);
    assertThat(r).isInstanceOf(ParseResult.Malformed.class);
    assertThat(((ParseResult.Malformed) r).reason()).isEqualTo(Rejection.INVALID_CHARACTER);
    assertThat(((ParseResult.Malformed) r).detail()).isEqualTo("invalid UTF-8");
  }

  static Stream<byte[]> invalidUtf8() {
    return Stream.of(
        new byte[] {'N', 'O', 'O', 'P', ' ', (byte) 0xC3},
        new byte[] {'N', 'O', 'O', 'P', ' ', (byte) 0xFF},
        new byte[] {'N', 'O', 'O', 'P', ' ', (byte) 0xC0, (byte) 0xAF},
        new byte[] {'N', 'O', 'O', 'P', ' ', (byte) 0xED, (byte) 0xA0, (byte) 0x80});
  }
}
