package dev.peregrine.protocol;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** parse(encode(c)) == c over 30,000 generated commands of every kind (fixed seed). */
class CommandRoundTripPropertyTest {

  private static final String ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~";
  private static final String[] UTF8 = {"é", "ü", "用户", "ß", "Ω", "😀"};

  private final Random r = new Random(20261124);

  private String atom(int max, boolean utf8) {
    StringBuilder sb = new StringBuilder();
    int n = 1 + r.nextInt(max);
    for (int i = 0; i < n; i++) {
      sb.append(utf8 && r.nextInt(6) == 0 ? UTF8[r.nextInt(UTF8.length)] : String.valueOf(ATEXT.charAt(r.nextInt(ATEXT.length()))));
    }
    return sb.toString();
  }

  private String label() {
    String chars = "abcdefghijklmnopqrstuvwxyz0123456789";
    StringBuilder sb = new StringBuilder();
    int n = 1 + r.nextInt(12);
    for (int i = 0; i < n; i++) {
      char c = chars.charAt(r.nextInt(chars.length()));
      sb.append(i > 0 && i < n - 1 && r.nextInt(8) == 0 ? '-' : c);
    }
    return sb.toString();
  }

  private String domain(boolean utf8) {
    switch (r.nextInt(8)) {
      case 0:
        return "[" + r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256) + "]";
      case 1:
        return "[IPv6:2001:db8::" + Integer.toHexString(r.nextInt(65536)) + "]";
      default:
        StringBuilder sb = new StringBuilder(label());
        int n = r.nextInt(3);
        for (int i = 0; i <= n; i++) {
          sb.append('.').append(utf8 && r.nextInt(4) == 0 ? "例子" : label());
        }
        return sb.toString();
    }
  }

  private Mailbox mailbox(boolean utf8) {
    String local;
    if (r.nextInt(5) == 0) {
      StringBuilder q = new StringBuilder("\"");
      int n = r.nextInt(10);
      for (int i = 0; i < n; i++) {
        char c = (char) (32 + r.nextInt(95));
        if (c == '"' || c == '\\') {
          q.append('\\');
        }
        q.append(c);
      }
      local = q.append('"').toString();
    } else {
      StringBuilder sb = new StringBuilder(atom(8, utf8));
      int n = r.nextInt(3);
      for (int i = 0; i < n; i++) {
        sb.append('.').append(atom(6, utf8));
      }
      local = sb.toString();
    }
    return new Mailbox(local, domain(utf8));
  }

  private String xtextValue() {
    StringBuilder sb = new StringBuilder();
    int n = 1 + r.nextInt(20);
    for (int i = 0; i < n; i++) {
      int k = r.nextInt(10);
      sb.append(k == 0 ? "+" : k == 1 ? "=" : k == 2 ? " " : k == 3 ? "é" : String.valueOf((char) (33 + r.nextInt(94))));
    }
    return sb.toString();
  }

  private List<EsmtpParam> mailParams(boolean utf8) {
    List<EsmtpParam> p = new ArrayList<>();
    if (utf8) {
      p.add(new EsmtpParam.SmtpUtf8());
    }
    if (r.nextBoolean()) {
      p.add(new EsmtpParam.Size(Math.abs(r.nextLong() % 1_000_000_000_000L)));
    }
    if (r.nextBoolean()) {
      p.add(new EsmtpParam.Body(EsmtpParam.BodyType.values()[r.nextInt(3)]));
    }
    if (r.nextInt(4) == 0) {
      p.add(new EsmtpParam.Ret(EsmtpParam.ReturnType.values()[r.nextInt(2)]));
    }
    if (r.nextInt(4) == 0) {
      p.add(new EsmtpParam.EnvId(xtextValue()));
    }
    if (r.nextInt(4) == 0) {
      p.add(new EsmtpParam.Auth(r.nextBoolean() ? "<>" : xtextValue()));
    }
    if (r.nextInt(6) == 0) {
      p.add(new EsmtpParam.RequireTls());
    }
    if (r.nextInt(6) == 0) {
      p.add(new EsmtpParam.Unknown("X-" + label().toUpperCase().replace("-", "") + "Z", r.nextBoolean() ? null : "v" + r.nextInt(1000)));
    }
    return p;
  }

  private List<EsmtpParam> rcptParams() {
    List<EsmtpParam> p = new ArrayList<>();
    if (r.nextBoolean()) {
      Set<EsmtpParam.NotifyType> t = EnumSet.noneOf(EsmtpParam.NotifyType.class);
      if (r.nextInt(4) == 0) {
        t.add(EsmtpParam.NotifyType.NEVER);
      } else {
        for (EsmtpParam.NotifyType nt : List.of(EsmtpParam.NotifyType.SUCCESS, EsmtpParam.NotifyType.FAILURE, EsmtpParam.NotifyType.DELAY)) {
          if (r.nextBoolean()) {
            t.add(nt);
          }
        }
        if (t.isEmpty()) {
          t.add(EsmtpParam.NotifyType.FAILURE);
        }
      }
      p.add(new EsmtpParam.Notify(t));
    }
    if (r.nextBoolean()) {
      p.add(new EsmtpParam.OriginalRecipient(r.nextBoolean() ? "rfc822" : "utf-8", xtextValue()));
    }
    return p;
  }

  private SmtpCommand command(SmtpCommand.Kind kind) {
    boolean utf8 = r.nextInt(5) == 0;
    return switch (kind) {
      case EHLO -> new SmtpCommand.Ehlo(domain(false));
      case HELO -> new SmtpCommand.Helo(domain(false));
      case MAIL -> new SmtpCommand.MailFrom(r.nextInt(10) == 0 ? ReversePath.NULL : new ReversePath(mailbox(utf8)), mailParams(utf8));
      case RCPT -> new SmtpCommand.RcptTo(r.nextInt(20) == 0 ? ForwardPath.POSTMASTER : new ForwardPath(mailbox(utf8)), rcptParams());
      case DATA -> new SmtpCommand.Data();
      case BDAT -> new SmtpCommand.Bdat(Math.abs(r.nextLong() % 10_000_000_000L), r.nextBoolean());
      case RSET -> new SmtpCommand.Rset();
      case NOOP -> new SmtpCommand.Noop(r.nextBoolean() ? "" : label() + " " + label());
      case QUIT -> new SmtpCommand.Quit();
      case VRFY -> new SmtpCommand.Vrfy(label());
      case EXPN -> new SmtpCommand.Expn(label());
      case HELP -> new SmtpCommand.Help(r.nextBoolean() ? "" : "MAIL");
      case STARTTLS -> new SmtpCommand.StartTls();
      case AUTH -> new SmtpCommand.Auth(r.nextBoolean() ? "PLAIN" : "XOAUTH2",
          r.nextBoolean() ? null : r.nextInt(5) == 0 ? "=" : java.util.Base64.getEncoder().encodeToString(atom(20, false).getBytes(StandardCharsets.UTF_8)));
      case UNKNOWN -> new SmtpCommand.Unknown("X" + label().toUpperCase().replace("-", ""), r.nextBoolean() ? "" : label());
    };
  }

  @Test
  void everyGeneratedCommandSurvivesEncodeThenParse() {
    CommandParser parser = new CommandParser(CodecLimits.DEFAULT.withCommandLine(4096));
    int n = 0;
    for (int i = 0; i < 30_000; i++) {
      SmtpCommand.Kind kind = SmtpCommand.Kind.values()[i % SmtpCommand.Kind.values().length];
      SmtpCommand c = command(kind);
      String wire = CommandEncoder.encode(c);
      assertThat(wire).endsWith("\r\n");
      byte[] line = wire.substring(0, wire.length() - 2).getBytes(StandardCharsets.UTF_8);
      boolean utf8Rcpt = c instanceof SmtpCommand.RcptTo rc && !rc.path().isPostmaster() && rc.path().mailbox().needsSmtpUtf8();
      ParseResult back = parser.parse(Buffer.buffer(line), utf8Rcpt);
      assertThat(back).as(wire).isEqualTo(new ParseResult.Parsed(c));
      n++;
    }
    assertThat(n).isEqualTo(30_000);
  }

  @Test
  void canonicalLinesAreStable() {
    CommandParser parser = new CommandParser();
    for (String line : List.of("EHLO mx.example.com", "MAIL FROM:<a@b.example> SIZE=10 BODY=8BITMIME",
        "RCPT TO:<x@y.example> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;x@y.example", "BDAT 10 LAST", "AUTH PLAIN =",
        "MAIL FROM:<> ENVID=a+2Bb", "RCPT TO:<Postmaster>", "NOOP", "HELP MAIL", "XFOO bar")) {
      SmtpCommand c = ((ParseResult.Parsed) parser.parse(line)).command();
      assertThat(CommandEncoder.encode(c)).isEqualTo(line + "\r\n");
    }
  }
}
