package dev.peregrine.protocol;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Turns the bytes a server sends into {@link Reply} values, one per reply however the bytes are split and
 * however many pipelined replies one read holds (RFC 5321 §4.2.1: continuation lines {@code 250-...}, last
 * line {@code 250 ...}).
 *
 * <p>Anything that is not a reply line (a code outside [2-5][0-5][0-9], a continuation with another code,
 * a line past the length limit, too many lines) is a {@link SmtpProtocolException}: never turned into an
 * invented reply. After one, the decoder is reset and the connection should be dropped.
 *
 * <p>Not thread-safe: one per connection, used from its context.
 */
public final class ReplyDecoder {

  private final LineFramer framer;
  private final int maxLines;
  private int code = -1;
  private EnhancedStatus enhanced;
  private String enhancedPrefix;
  private final List<String> lines = new ArrayList<>(4);

  public ReplyDecoder() {
    this(CodecLimits.DEFAULT);
  }

  public ReplyDecoder(CodecLimits limits) {
    this.framer = new LineFramer(limits.replyLine());
    this.maxLines = limits.replyLines();
  }

  /** Feeds bytes; every reply they complete goes to {@code out}, in order. */
  public void decode(Buffer chunk, Consumer<Reply> out) {
    framer.append(chunk);
    Buffer line;
    try {
      while ((line = framer.next()) != null) {
        Reply reply = line(line);
        if (reply != null) {
          out.accept(reply);
        }
      }
    } catch (SmtpProtocolException e) {
      reset();
      throw e;
    }
  }

  /** Feeds bytes; returns the replies they complete, possibly none. */
  public List<Reply> decode(Buffer chunk) {
    List<Reply> out = new ArrayList<>(2);
    decode(chunk, out::add);
    return out;
  }

  /**
   * True when bytes of an incomplete reply, or unread bytes, are held. A client checks this after the
   * 220 to STARTTLS: a server that sent more is injecting plaintext into the TLS session.
   */
  public boolean hasBufferedInput() {
    return code >= 0 || framer.hasBufferedBytes();
  }

  /** Drops every byte held. */
  public void reset() {
    framer.takeRemainder();
    code = -1;
    enhanced = null;
    enhancedPrefix = null;
    lines.clear();
  }

  private Reply line(Buffer line) {
    int len = line.length();
    if (len < 3) {
      throw malformed("too short", line);
    }
    int c0 = line.getByte(0) - '0';
    int c1 = line.getByte(1) - '0';
    int c2 = line.getByte(2) - '0';
    if (c0 < 2 || c0 > 5 || c1 < 0 || c1 > 5 || c2 < 0 || c2 > 9) {
      throw malformed("no reply code", line);
    }
    int lineCode = c0 * 100 + c1 * 10 + c2;
    boolean last;
    if (len == 3) {
      last = true;
    } else {
      byte sep = line.getByte(3);
      if (sep == ' ') {
        last = true;
      } else if (sep == '-') {
        last = false;
      } else {
        throw malformed("expected ' ' or '-' after the code", line);
      }
    }
    String text = len > 4 ? line.getString(4, len, "UTF-8") : "";
    if (text.indexOf('\r') >= 0) {
      throw malformed("bare CR", line);
    }
    if (code < 0) {
      code = lineCode;
      int enhLen = EnhancedStatus.length(text, 0, text.length());
      if (enhLen > 0 && text.charAt(0) - '0' == c0) {
        enhanced = EnhancedStatus.parse(text, 0, text.length());
        enhancedPrefix = text.substring(0, enhLen);
        text = strip(text, enhLen);
      }
    } else {
      if (lineCode != code) {
        int expected = code;
        reset();
        throw new SmtpProtocolException("reply line with code " + lineCode + " inside a reply with code " + expected);
      }
      if (enhancedPrefix != null && text.startsWith(enhancedPrefix)
          && (text.length() == enhancedPrefix.length() || text.charAt(enhancedPrefix.length()) == ' ')) {
        text = strip(text, enhancedPrefix.length());
      }
    }
    if (lines.size() >= maxLines) {
      reset();
      throw new SmtpProtocolException("reply longer than " + maxLines + " lines");
    }
    lines.add(text);
    if (!last) {
      return null;
    }
    Reply reply = new Reply(code, enhanced, lines);
    code = -1;
    enhanced = null;
    enhancedPrefix = null;
    lines.clear();
    return reply;
  }

  private static String strip(String text, int enhLen) {
    return text.length() > enhLen ? text.substring(enhLen + 1) : "";
  }

  private static SmtpProtocolException malformed(String why, Buffer line) {
    String shown = line.length() > 80 ? line.getString(0, 80, "ISO-8859-1") + "..." : line.toString(StandardCharsets.ISO_8859_1);
    return new SmtpProtocolException("malformed reply line (" + why + "): '" + shown.replaceAll("\\p{Cntrl}", "?") + "'");
  }
}
