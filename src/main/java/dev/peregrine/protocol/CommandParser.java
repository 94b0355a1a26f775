package dev.peregrine.protocol;

import dev.peregrine.protocol.ParseResult.Malformed;
import dev.peregrine.protocol.ParseResult.Parsed;
import dev.peregrine.protocol.impl.Xtext;
import io.vertx.core.buffer.Buffer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Parses one command line (without its CRLF) into a {@link SmtpCommand}, or says precisely why not.
 *
 * <p>Grammar: RFC 5321 §4.1 (commands, paths, address literals), RFC 6531 (UTF-8 mailboxes, only when
 * SMTPUTF8 is in force), RFC 1870/6152/3030/3461/4954/8689 (MAIL and RCPT parameters). Deliberate
 * leniencies, as in Postfix: spaces after {@code FROM:}/{@code TO:}, extra spaces between parameters and at
 * the end of the line; source routes are accepted and dropped (RFC 5321 §4.1.1.3).
 *
 * <p>Stateless apart from its limits: thread-safe and reusable. Never throws on peer input.
 */
public final class CommandParser {

  private final CodecLimits limits;

  public CommandParser() {
    this(CodecLimits.DEFAULT);
  }

  public CommandParser(CodecLimits limits) {
    this.limits = limits;
  }

  public CodecLimits limits() {
    return limits;
  }

  /** Parses a line of bytes; UTF-8 in addresses only with SMTPUTF8 on the MAIL itself. */
  public ParseResult parse(Buffer line) {
    return parse(line, false);
  }

  /**
   * Parses a line of bytes.
   *
   * @param smtpUtf8 whether the current transaction was opened with SMTPUTF8 (lets RCPT carry UTF-8)
   */
  public ParseResult parse(Buffer line, boolean smtpUtf8) {
    int len = line.length();
    if (len > limits.commandLine() - 2) {
      return new Malformed("", Rejection.LINE_TOO_LONG, "more than " + limits.commandLine() + " octets");
    }
    boolean ascii = true;
    for (int i = 0; i < len; i++) {
      byte b = line.getByte(i);
      if (b < 0) {
        ascii = false;
      } else if (b < 0x20 && b != '\t' || b == 0x7f) {
        return new Malformed(verbOf(line.getString(0, i, "ISO-8859-1")), Rejection.INVALID_CHARACTER,
            describe(b) + " at offset " + i);
      }
    }
    String text;
    if (ascii) {
      text = line.toString(StandardCharsets.ISO_8859_1);
    } else {
      try {
        text = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(line.getBytes()))
            .toString();
      } catch (CharacterCodingException e) {
        return new Malformed(verbOf(line.toString(StandardCharsets.ISO_8859_1)), Rejection.INVALID_CHARACTER,
            "invalid UTF-8");
      }
    }
    return parseText(text, smtpUtf8);
  }

  /** Parses a line already decoded; UTF-8 in addresses only with SMTPUTF8 on the MAIL itself. */
  public ParseResult parse(String line) {
    return parse(line, false);
  }

  /** Parses a line already decoded; see {@link #parse(Buffer, boolean)}. */
  public ParseResult parse(String line, boolean smtpUtf8) {
    return parse(Buffer.buffer(line.getBytes(StandardCharsets.UTF_8)), smtpUtf8);
  }

  private static String describe(byte b) {
    return switch (b) {
      case 0 -> "NUL";
      case '\r' -> "bare CR";
      case '\n' -> "bare LF";
      default -> String.format("control character 0x%02X", b);
    };
  }

  private static String verbOf(String prefix) {
    int sp = prefix.indexOf(' ');
    String v = sp < 0 ? prefix : prefix.substring(0, sp);
    return v.length() <= 16 ? upper(v) : "";
  }

  private ParseResult parseText(String line, boolean smtpUtf8) {
    int sp = line.indexOf(' ');
    String verbToken = sp < 0 ? line : line.substring(0, sp);
    String args = sp < 0 ? "" : line.substring(sp + 1);
    if (verbToken.isEmpty()) {
      return new Malformed("", Rejection.UNRECOGNIZED_COMMAND, line.isEmpty() ? "empty line" : "line starts with a space");
    }
    String verb = upper(verbToken);
    try {
      return new Parsed(switch (verb) {
        case "EHLO" -> new SmtpCommand.Ehlo(greetingDomain(args));
        case "HELO" -> new SmtpCommand.Helo(greetingDomain(args));
        case "MAIL" -> mail(args, smtpUtf8);
        case "RCPT" -> rcpt(args, smtpUtf8);
        case "DATA" -> noArgs(args, new SmtpCommand.Data());
        case "RSET" -> noArgs(args, new SmtpCommand.Rset());
        case "QUIT" -> noArgs(args, new SmtpCommand.Quit());
        case "STARTTLS" -> noArgs(args, new SmtpCommand.StartTls());
        case "NOOP" -> new SmtpCommand.Noop(strip(args));
        case "HELP" -> new SmtpCommand.Help(strip(args));
        case "VRFY" -> new SmtpCommand.Vrfy(required(args));
        case "EXPN" -> new SmtpCommand.Expn(required(args));
        case "BDAT" -> bdat(args);
        case "AUTH" -> auth(args);
        default -> unknown(verb, args);
      });
    } catch (Fail f) {
      return new Malformed(verb.length() <= 16 ? verb : "", f.reason, f.detail);
    }
  }

  // ---------------------------------------------------------------- simple commands

  private static String greetingDomain(String args) {
    String d = strip(args);
    if (d.isEmpty()) {
      throw new Fail(Rejection.MISSING_ARGUMENT, "a domain or address literal is required");
    }
    for (int i = 0; i < d.length(); i++) {
      char c = d.charAt(i);
      if (c == ' ' || c == '\t') {
        throw new Fail(Rejection.SYNTAX_ERROR, "one domain or address literal expected");
      }
    }
    return d;
  }

  private static SmtpCommand noArgs(String args, SmtpCommand command) {
    if (!strip(args).isEmpty()) {
      throw new Fail(Rejection.UNEXPECTED_ARGUMENT, command.verb() + " takes no argument");
    }
    return command;
  }

  private static String required(String args) {
    String a = strip(args);
    if (a.isEmpty()) {
      throw new Fail(Rejection.MISSING_ARGUMENT, "an argument is required");
    }
    return a;
  }

  private static SmtpCommand bdat(String args) {
    String[] t = strip(args).split(" +");
    if (t.length == 0 || t[0].isEmpty()) {
      throw new Fail(Rejection.MISSING_ARGUMENT, "BDAT needs a chunk size");
    }
    if (t.length > 2 || t.length == 2 && !equalsIgnoreCase(t[1], "LAST")) {
      throw new Fail(Rejection.SYNTAX_ERROR, "expected BDAT <size> [LAST]");
    }
    long size = digits(t[0], 19, Rejection.SYNTAX_ERROR, "BDAT size");
    return new SmtpCommand.Bdat(size, t.length == 2);
  }

  private static SmtpCommand auth(String args) {
    String[] t = strip(args).split(" +");
    if (t.length == 0 || t[0].isEmpty()) {
      throw new Fail(Rejection.MISSING_ARGUMENT, "AUTH needs a mechanism");
    }
    if (t.length > 2) {
      throw new Fail(Rejection.SYNTAX_ERROR, "expected AUTH <mechanism> [initial-response]");
    }
    String mech = t[0];
    if (mech.length() > 20) {
      throw new Fail(Rejection.SYNTAX_ERROR, "SASL mechanism name longer than 20 characters");
    }
    for (int i = 0; i < mech.length(); i++) {
      char c = mech.charAt(i);
      if (!(isAlpha(c) || isDigit(c) || c == '-' || c == '_')) {
        throw new Fail(Rejection.SYNTAX_ERROR, "invalid SASL mechanism name");
      }
    }
    String initial = null;
    if (t.length == 2) {
      initial = t[1];
      if (!initial.equals("=") && !isBase64(initial)) {
        throw new Fail(Rejection.SYNTAX_ERROR, "initial response is not base64");
      }
    }
    return new SmtpCommand.Auth(upper(mech), initial);
  }

  static boolean isBase64(String s) {
    int n = s.length();
    if (n == 0 || n % 4 != 0) {
      return false;
    }
    int pad = 0;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == '=') {
        pad++;
        if (i < n - 2) {
          return false;
        }
      } else if (pad > 0 || !(isAlpha(c) || isDigit(c) || c == '+' || c == '/')) {
        return false;
      }
    }
    return pad <= 2;
  }

  private static SmtpCommand unknown(String verb, String args) {
    for (int i = 0; i < verb.length(); i++) {
      char c = verb.charAt(i);
      if (!isAlpha(c) && !isDigit(c) && c != '-' && c != '_') {
        throw new Fail(Rejection.UNRECOGNIZED_COMMAND, "not a command verb");
      }
    }
    if (verb.length() > 16) {
      throw new Fail(Rejection.UNRECOGNIZED_COMMAND, "verb too long");
    }
    return new SmtpCommand.Unknown(verb, args);
  }

  // ---------------------------------------------------------------- MAIL and RCPT

  private SmtpCommand mail(String args, boolean smtpUtf8) {
    int i = prefix(args, "FROM:", "expected MAIL FROM:<address>");
    int close = pathEnd(args, i);
    String path = args.substring(i + 1, close);
    List<EsmtpParam> params = params(args, close + 1, true);
    boolean utf8 = smtpUtf8 || params.stream().anyMatch(p -> p instanceof EsmtpParam.SmtpUtf8);
    if (path.isEmpty()) {
      return new SmtpCommand.MailFrom(ReversePath.NULL, params);
    }
    // The parts first: "local part too long" says more than "path too long".
    Mailbox mailbox = mailbox(path, utf8);
    checkPathLength(args, i, close);
    return new SmtpCommand.MailFrom(new ReversePath(mailbox), params);
  }

  private SmtpCommand rcpt(String args, boolean smtpUtf8) {
    int i = prefix(args, "TO:", "expected RCPT TO:<address>");
    int close = pathEnd(args, i);
    String path = args.substring(i + 1, close);
    List<EsmtpParam> params = params(args, close + 1, false);
    if (path.isEmpty()) {
      throw new Fail(Rejection.ADDRESS_SYNTAX, "empty forward path");
    }
    if (equalsIgnoreCase(path, "postmaster")) {
      return new SmtpCommand.RcptTo(ForwardPath.POSTMASTER, params);
    }
    Mailbox mailbox = mailbox(path, smtpUtf8);
    checkPathLength(args, i, close);
    return new SmtpCommand.RcptTo(new ForwardPath(mailbox), params);
  }

  /** Index of the '<' that opens the path after the "FROM:"/"TO:" keyword. */
  private static int prefix(String args, String keyword, String expected) {
    if (strip(args).isEmpty()) {
      throw new Fail(Rejection.MISSING_ARGUMENT, expected);
    }
    if (!startsWithIgnoreCase(args, keyword)) {
      throw new Fail(Rejection.SYNTAX_ERROR, expected);
    }
    int i = keyword.length();
    while (i < args.length() && args.charAt(i) == ' ') {
      i++;
    }
    if (i >= args.length()) {
      throw new Fail(Rejection.ADDRESS_SYNTAX, "missing address");
    }
    if (args.charAt(i) != '<') {
      throw new Fail(Rejection.ADDRESS_SYNTAX, "address must be enclosed in <>");
    }
    return i;
  }

  /** Index of the '>' closing the path opened at {@code open}, skipping quoted strings. */
  private static int pathEnd(String s, int open) {
    boolean quoted = false;
    for (int i = open + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quoted) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          quoted = false;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == '[') {
        // An address literal may hold '<', '>' and '"' (RFC 5321 §4.1.3 dcontent): skip to its ']'.
        int close = s.indexOf(']', i);
        if (close < 0) {
          throw new Fail(Rejection.ADDRESS_SYNTAX, "address literal without ']'");
        }
        i = close;
      } else if (c == '>') {
        return i;
      } else if (c == '<') {
        throw new Fail(Rejection.ADDRESS_SYNTAX, "unexpected '<' in address");
      }
    }
    throw new Fail(Rejection.ADDRESS_SYNTAX, quoted ? "unterminated quoted string" : "missing '>'");
  }

  private void checkPathLength(String s, int open, int close) {
    if (utf8Length(s, open, close + 1) > limits.path()) {
      throw new Fail(Rejection.PATH_TOO_LONG, "more than " + limits.path() + " octets");
    }
  }

  private List<EsmtpParam> params(String s, int from, boolean mail) {
    if (from >= s.length()) {
      return List.of();
    }
    if (s.charAt(from) != ' ') {
      throw new Fail(Rejection.SYNTAX_ERROR, "space expected after the address");
    }
    List<EsmtpParam> out = new ArrayList<>(4);
    int i = from;
    int n = s.length();
    while (i < n) {
      while (i < n && s.charAt(i) == ' ') {
        i++;
      }
      if (i >= n) {
        break;
      }
      int end = s.indexOf(' ', i);
      if (end < 0) {
        end = n;
      }
      EsmtpParam p = param(s.substring(i, end), mail);
      for (EsmtpParam q : out) {
        if (q.keyword().equals(p.keyword())) {
          throw new Fail(Rejection.PARAMETER_SYNTAX, "duplicate parameter " + p.keyword());
        }
      }
      out.add(p);
      i = end;
    }
    return out;
  }

  private static EsmtpParam param(String token, boolean mail) {
    int eq = token.indexOf('=');
    String keyword = upper(eq < 0 ? token : token.substring(0, eq));
    String value = eq < 0 ? null : token.substring(eq + 1);
    if (keyword.isEmpty() || !(isAlpha(keyword.charAt(0)) || isDigit(keyword.charAt(0)))) {
      throw new Fail(Rejection.PARAMETER_SYNTAX, "invalid parameter keyword '" + keyword + "'");
    }
    for (int i = 1; i < keyword.length(); i++) {
      char c = keyword.charAt(i);
      if (!(isAlpha(c) || isDigit(c) || c == '-')) {
        throw new Fail(Rejection.PARAMETER_SYNTAX, "invalid parameter keyword '" + keyword + "'");
      }
    }
    if (value != null) {
      if (value.isEmpty()) {
        throw new Fail(Rejection.PARAMETER_SYNTAX, keyword + "= needs a value");
      }
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c < 33 || c == '=' || c == 127) {
          throw new Fail(Rejection.PARAMETER_SYNTAX, "invalid character in the value of " + keyword);
        }
      }
    }
    if (mail) {
      switch (keyword) {
        case "SIZE":
          // RFC 1870: up to 20 digits; a size beyond a long is simply too large (552 later), not a syntax error.
          return new EsmtpParam.Size(sizeDigits(valueOf(keyword, value)));
        case "BODY": {
          EsmtpParam.BodyType t = EsmtpParam.BodyType.of(valueOf(keyword, value));
          if (t == null) {
            throw new Fail(Rejection.PARAMETER_SYNTAX, "BODY must be 7BIT, 8BITMIME or BINARYMIME");
          }
          return new EsmtpParam.Body(t);
        }
        case "SMTPUTF8":
          noValue(keyword, value);
          return new EsmtpParam.SmtpUtf8();
        case "REQUIRETLS":
          noValue(keyword, value);
          return new EsmtpParam.RequireTls();
        case "RET": {
          String v = upper(valueOf(keyword, value));
          if (!v.equals("FULL") && !v.equals("HDRS")) {
            throw new Fail(Rejection.PARAMETER_SYNTAX, "RET must be FULL or HDRS");
          }
          return new EsmtpParam.Ret(EsmtpParam.ReturnType.valueOf(v));
        }
        case "ENVID": {
          String v = xtext(keyword, value);
          if (v.length() > 100) {
            throw new Fail(Rejection.PARAMETER_SYNTAX, "ENVID longer than 100 characters");
          }
          return new EsmtpParam.EnvId(v);
        }
        case "AUTH":
          return new EsmtpParam.Auth(xtext(keyword, value));
        default:
          return new EsmtpParam.Unknown(keyword, value);
      }
    }
    switch (keyword) {
      case "NOTIFY": {
        Set<EsmtpParam.NotifyType> types = EnumSet.noneOf(EsmtpParam.NotifyType.class);
        for (String part : valueOf(keyword, value).split(",", -1)) {
          EsmtpParam.NotifyType t;
          try {
            t = EsmtpParam.NotifyType.valueOf(upper(part));
          } catch (IllegalArgumentException e) {
            throw new Fail(Rejection.PARAMETER_SYNTAX, "NOTIFY values are NEVER, SUCCESS, FAILURE, DELAY");
          }
          if (!types.add(t)) {
            throw new Fail(Rejection.PARAMETER_SYNTAX, "NOTIFY repeats " + t);
          }
        }
        if (types.contains(EsmtpParam.NotifyType.NEVER) && types.size() > 1) {
          throw new Fail(Rejection.PARAMETER_SYNTAX, "NOTIFY=NEVER cannot be combined");
        }
        return new EsmtpParam.Notify(types);
      }
      case "ORCPT": {
        String v = valueOf(keyword, value);
        int semi = v.indexOf(';');
        if (semi <= 0 || semi == v.length() - 1) {
          throw new Fail(Rejection.PARAMETER_SYNTAX, "ORCPT must be addr-type;address");
        }
        String type = v.substring(0, semi);
        for (int i = 0; i < type.length(); i++) {
          if (!isAtext(type.charAt(i))) {
            throw new Fail(Rejection.PARAMETER_SYNTAX, "invalid ORCPT address type");
          }
        }
        String address = xtext(keyword, v.substring(semi + 1));
        if (address.length() > 500) {
          throw new Fail(Rejection.PARAMETER_SYNTAX, "ORCPT address too long");
        }
        return new EsmtpParam.OriginalRecipient(type, address);
      }
      default:
        return new EsmtpParam.Unknown(keyword, value);
    }
  }

  private static String valueOf(String keyword, String value) {
    if (value == null) {
      throw new Fail(Rejection.PARAMETER_SYNTAX, keyword + " needs a value");
    }
    return value;
  }

  private static void noValue(String keyword, String value) {
    if (value != null) {
      throw new Fail(Rejection.PARAMETER_SYNTAX, keyword + " takes no value");
    }
  }

  private static String xtext(String keyword, String value) {
    String v = Xtext.decode(valueOf(keyword, value));
    if (v == null) {
      throw new Fail(Rejection.PARAMETER_SYNTAX, "the value of " + keyword + " is not valid xtext");
    }
    // RFC 3461 §4: the decoded value is printable; a CR/LF would end up in DSN header fields.
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw new Fail(Rejection.PARAMETER_SYNTAX, "the value of " + keyword + " decodes to a control character");
      }
    }
    return v;
  }

  private static long sizeDigits(String s) {
    if (s.length() == 20 && s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      try {
        return Long.parseLong(s);
      } catch (NumberFormatException e) {
        return Long.MAX_VALUE;
      }
    }
    return digits(s, 20, Rejection.PARAMETER_SYNTAX, "SIZE");
  }

  private static long digits(String s, int maxDigits, Rejection reason, String what) {
    if (s.isEmpty() || s.length() > maxDigits) {
      throw new Fail(reason, what + " must be 1 to " + maxDigits + " digits");
    }
    long v = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!isDigit(c)) {
        throw new Fail(reason, what + " must be a number");
      }
      if (v > (Long.MAX_VALUE - (c - '0')) / 10) {
        throw new Fail(reason, what + " is too large");
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  // ---------------------------------------------------------------- mailbox grammar

  /** Parses {@code local@domain} with the default limits and UTF-8 allowed, for the API. */
  static Mailbox parseMailbox(String address) {
    try {
      return new CommandParser().mailbox(address, true);
    } catch (Fail f) {
      throw new IllegalArgumentException(f.reason.text() + ": " + f.detail + ": '" + address + "'");
    }
  }

  /** A mailbox inside the angle brackets, after an optional source route. */
  private Mailbox mailbox(String path, boolean utf8) {
    int i = 0;
    if (path.charAt(0) == '@') {
      int colon = path.indexOf(':');
      if (colon < 0) {
        throw new Fail(Rejection.ADDRESS_SYNTAX, "source route without ':'");
      }
      for (String hop : path.substring(0, colon).split(",", -1)) {
        if (hop.length() < 2 || hop.charAt(0) != '@') {
          throw new Fail(Rejection.ADDRESS_SYNTAX, "malformed source route");
        }
        domain(hop.substring(1), 0, hop.length() - 1);
      }
      i = colon + 1;
    }
    int at;
    if (i < path.length() && path.charAt(i) == '"') {
      at = quotedString(path, i);
    } else {
      at = dotString(path, i);
    }
    if (at == i) {
      throw new Fail(Rejection.ADDRESS_SYNTAX, "empty local part");
    }
    if (at >= path.length() || path.charAt(at) != '@') {
      throw new Fail(Rejection.ADDRESS_SYNTAX, "missing '@domain'");
    }
    String local = path.substring(i, at);
    if (utf8Length(local, 0, local.length()) > limits.localPart()) {
      throw new Fail(Rejection.LOCAL_PART_TOO_LONG, "more than " + limits.localPart() + " octets");
    }
    String domain = path.substring(at + 1);
    if (domain.isEmpty()) {
      throw new Fail(Rejection.ADDRESS_SYNTAX, "empty domain");
    }
    if (utf8Length(domain, 0, domain.length()) > limits.domain()) {
      throw new Fail(Rejection.DOMAIN_TOO_LONG, "more than " + limits.domain() + " octets");
    }
    if (domain.charAt(0) == '[') {
      addressLiteral(domain);
    } else {
      domain(domain, 0, domain.length());
    }
    if (!utf8 && (!Mailbox.isAscii(local) || !Mailbox.isAscii(domain))) {
      throw new Fail(Rejection.NON_ASCII_ADDRESS, "the transaction was not opened with SMTPUTF8");
    }
    return new Mailbox(local, domain);
  }

  /** Dot-string from {@code from}; returns the index after it. */
  private static int dotString(String s, int from) {
    int i = from;
    boolean needAtom = true;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '.') {
        if (needAtom) {
          throw new Fail(Rejection.ADDRESS_SYNTAX, i == from ? "local part starts with '.'" : "'..' in local part");
        }
        needAtom = true;
      } else if (isAtext(c)) {
        needAtom = false;
      } else {
        break;
      }
      i++;
    }
    if (needAtom && i > from) {
      throw new Fail(Rejection.ADDRESS_SYNTAX, "local part ends with '.'");
    }
    if (i < s.length() && s.charAt(i) != '@') {
      throw new Fail(Rejection.ADDRESS_SYNTAX, "invalid character '" + s.charAt(i) + "' in local part");
    }
    return i;
  }

  /** Quoted-string starting with '"' at {@code from}; returns the index after the closing quote. */
  private static int quotedString(String s, int from) {
    for (int i = from + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"') {
        return i + 1;
      }
      if (c == '\\') {
        // quoted-pairSMTP is "\" %d32-126: RFC 6531 extends qtext to UTF-8, not the quoted pair.
        if (i + 1 >= s.length() || s.charAt(i + 1) < 32 || s.charAt(i + 1) > 126) {
          throw new Fail(Rejection.ADDRESS_SYNTAX, "invalid quoted pair in local part");
        }
        i++;
      } else if (c < 32 || c == 127) {
        throw new Fail(Rejection.ADDRESS_SYNTAX, "invalid character in quoted local part");
      }
    }
    throw new Fail(Rejection.ADDRESS_SYNTAX, "unterminated quoted string");
  }

  /** Domain = sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str]; U-labels count as letters. */
  private static void domain(String s, int from, int to) {
    if (from >= to) {
      throw new Fail(Rejection.ADDRESS_SYNTAX, "empty domain");
    }
    int labelStart = from;
    for (int i = from; i <= to; i++) {
      char c = i < to ? s.charAt(i) : '.';
      if (c == '.') {
        if (i == labelStart) {
          throw new Fail(Rejection.ADDRESS_SYNTAX, "empty label in domain");
        }
        if (s.charAt(i - 1) == '-' || s.charAt(labelStart) == '-') {
          throw new Fail(Rejection.ADDRESS_SYNTAX, "domain label starts or ends with '-'");
        }
        if (i - labelStart > 63) {
          throw new Fail(Rejection.ADDRESS_SYNTAX, "domain label longer than 63 characters");
        }
        labelStart = i + 1;
      } else if (!(isAlpha(c) || isDigit(c) || c == '-' || c > 0x7f)) {
        throw new Fail(Rejection.ADDRESS_SYNTAX, "invalid character '" + c + "' in domain");
      }
    }
  }

  /** "[" ( IPv4 / "IPv6:" IPv6 / tag ":" dcontent ) "]" (RFC 5321 §4.1.3). */
  private static void addressLiteral(String d) {
    if (d.length() < 3 || d.charAt(d.length() - 1) != ']') {
      throw new Fail(Rejection.ADDRESS_SYNTAX, "address literal without ']'");
    }
    String body = d.substring(1, d.length() - 1);
    if (startsWithIgnoreCase(body, "IPv6:")) {
      if (!isIpv6(body.substring(5))) {
        throw new Fail(Rejection.ADDRESS_SYNTAX, "invalid IPv6 address literal");
      }
      return;
    }
    int colon = body.indexOf(':');
    if (colon < 0) {
      if (!isIpv4(body)) {
        throw new Fail(Rejection.ADDRESS_SYNTAX, "invalid IPv4 address literal");
      }
      return;
    }
    // General-address-literal: Standardized-tag ":" 1*dcontent.
    if (colon == 0 || colon == body.length() - 1) {
      throw new Fail(Rejection.ADDRESS_SYNTAX, "invalid address literal");
    }
    domainLabel(body, 0, colon);
    for (int i = colon + 1; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c < 33 || c > 126 || c == '[' || c == '\\' || c == ']') {
        throw new Fail(Rejection.ADDRESS_SYNTAX, "invalid character in address literal");
      }
    }
  }

  private static void domainLabel(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!(isAlpha(c) || isDigit(c) || c == '-') || (c == '-' && (i == from || i == to - 1))) {
        throw new Fail(Rejection.ADDRESS_SYNTAX, "invalid address literal tag");
      }
    }
  }

  static boolean isIpv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3) {
        return false;
      }
      for (int i = 0; i < p.length(); i++) {
        if (!isDigit(p.charAt(i))) {
          return false;
        }
      }
      if (Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  static boolean isIpv6(String s) {
    if (s.isEmpty()) {
      return false;
    }
    int groups = 0;
    String hex = s;
    int lastColon = s.lastIndexOf(':');
    if (lastColon >= 0 && s.indexOf('.', lastColon) > 0) {
      if (!isIpv4(s.substring(lastColon + 1))) {
        return false;
      }
      groups += 2;
      hex = s.substring(0, lastColon + 1);
      if (hex.endsWith(":") && !hex.endsWith("::")) {
        hex = hex.substring(0, hex.length() - 1);
      }
    }
    int dc = hex.indexOf("::");
    if (dc >= 0 && hex.indexOf("::", dc + 1) >= 0) {
      return false;
    }
    String[] sides = dc >= 0 ? new String[] {hex.substring(0, dc), hex.substring(dc + 2)} : new String[] {hex};
    for (String side : sides) {
      if (side.isEmpty()) {
        continue;
      }
      for (String g : side.split(":", -1)) {
        if (g.isEmpty() || g.length() > 4) {
          return false;
        }
        for (int i = 0; i < g.length(); i++) {
          char c = g.charAt(i);
          if (!(isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
          }
        }
        groups++;
      }
    }
    return dc >= 0 ? groups <= 6 : groups == 8;
  }

  // ---------------------------------------------------------------- characters

  // SMTP's verbs, keywords and values are US-ASCII (RFC 5321 §2.4): Java's Unicode case mapping would take
  // 'ſ' for 'S' and 'ı' for 'I', and String.strip() Unicode spaces for blanks, so these helpers are ASCII-only.

  static String upper(String s) {
    char[] out = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 'a' && c <= 'z') {
        if (out == null) {
          out = s.toCharArray();
        }
        out[i] = (char) (c - 32);
      }
    }
    return out == null ? s : new String(out);
  }

  static boolean equalsIgnoreCase(String a, String b) {
    return a.length() == b.length() && startsWithIgnoreCase(a, b);
  }

  static boolean startsWithIgnoreCase(String s, String prefix) {
    if (s.length() < prefix.length()) {
      return false;
    }
    for (int i = 0; i < prefix.length(); i++) {
      char a = s.charAt(i);
      char b = prefix.charAt(i);
      if (a != b && (a >= 'a' && a <= 'z' ? a - 32 : a) != (b >= 'a' && b <= 'z' ? b - 32 : b)) {
        return false;
      }
    }
    return true;
  }

  /** Drops leading and trailing ASCII spaces and tabs only. */
  static String strip(String s) {
    int from = 0;
    int to = s.length();
    while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) {
      from++;
    }
    while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) {
      to--;
    }
    return s.substring(from, to);
  }

  static boolean isAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** atext (RFC 5322 §3.2.3) plus UTF-8 (RFC 6531 §3.3); the non-ASCII check comes later. */
  static boolean isAtext(char c) {
    if (isAlpha(c) || isDigit(c) || c > 0x7f) {
      return true;
    }
    return switch (c) {
      case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '/', '=', '?', '^', '_', '`', '{', '|', '}', '~' -> true;
      default -> false;
    };
  }

  static int utf8Length(String s, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** Control flow for a refusal deep in the grammar; never escapes this class. */
  private static final class Fail extends RuntimeException {
    final Rejection reason;
    final String detail;

    Fail(Rejection reason, String detail) {
      super(detail, null, false, false);
      this.reason = reason;
      this.detail = detail;
    }
  }
}
