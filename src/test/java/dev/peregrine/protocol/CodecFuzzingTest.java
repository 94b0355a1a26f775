package dev.peregrine.protocol;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * 100,000+ random and mutated inputs across the codecs (fixed seeds, named in failures): nothing throws
 * except the documented protocol exceptions, nothing loops (each test has a time limit), and the
 * properties that must hold on any input do.
 */
class CodecFuzzingTest {

  private static final String[] CORPUS = {
      "EHLO client.example.com", "MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME", "MAIL FROM:<>",
      "RCPT TO:<x@y.example> NOTIFY=SUCCESS ORCPT=rfc822;x+2By@y.example", "RCPT TO:<Postmaster>",
      "MAIL FROM:<\"q u\"@[IPv6:::1]> SMTPUTF8 ENVID=abc", "BDAT 100 LAST", "AUTH PLAIN AGEAYg==", "DATA",
      "MAIL FROM:<@r.example:u@[192.0.2.1]> RET=HDRS AUTH=<>", "VRFY x", "NOOP hi", "STARTTLS", "QUIT"};
  private static final byte[] SPICE = {'\r', '\n', 0, '.', ' ', '<', '>', '@', '"', '\\', ':', '=', '+', ',', '[', ']',
      (byte) 0x80, (byte) 0xC3, (byte) 0xFF, (byte) 0xE2};

  private static byte[] mutate(byte[] in, Random r) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(in);
    byte[] b = out.toByteArray();
    int ops = 1 + r.nextInt(4);
    for (int k = 0; k < ops; k++) {
      int pos = b.length == 0 ? 0 : r.nextInt(b.length);
      switch (r.nextInt(6)) {
        case 0 -> { // flip
          if (b.length > 0) {
            b[pos] = (byte) r.nextInt(256);
          }
        }
        case 1 -> { // insert spice
          byte[] n = new byte[b.length + 1];
          System.arraycopy(b, 0, n, 0, pos);
          n[pos] = SPICE[r.nextInt(SPICE.length)];
          System.arraycopy(b, pos, n, pos + 1, b.length - pos);
          b = n;
        }
        case 2 -> { // delete
          if (b.length > 0) {
            byte[] n = new byte[b.length - 1];
            System.arraycopy(b, 0, n, 0, pos);
            System.arraycopy(b, pos + 1, n, pos, b.length - pos - 1);
            b = n;
          }
        }
        case 3 -> b = Arrays.copyOf(b, pos); // truncate
        case 4 -> { // duplicate a segment
          int len = Math.min(b.length - pos, 1 + r.nextInt(10));
          byte[] n = new byte[b.length + len];
          System.arraycopy(b, 0, n, 0, pos + len);
          System.arraycopy(b, pos, n, pos + len, b.length - pos);
          b = n;
        }
        default -> { // random bytes
          b = new byte[r.nextInt(64)];
          r.nextBytes(b);
        }
      }
    }
    return b;
  }

  private static List<Buffer> split(byte[] b, Random r) {
    List<Buffer> chunks = new ArrayList<>();
    int i = 0;
    while (i < b.length) {
      int n = 1 + r.nextInt(Math.max(1, Math.min(b.length - i, r.nextBoolean() ? 4 : 64)));
      chunks.add(Buffer.buffer(Arrays.copyOfRange(b, i, i + n)));
      i += n;
    }
    return chunks;
  }

  @Test
  @Timeout(30)
  void theParserAnswersEveryLineAndWhatItAcceptsRoundTrips() {
    Random r = new Random(1);
    CommandParser parser = new CommandParser();
    int accepted = 0;
    for (int i = 0; i < 40_000; i++) {
      byte[] line = mutate(CORPUS[i % CORPUS.length].getBytes(StandardCharsets.UTF_8), r);
      ParseResult result;
      try {
        result = parser.parse(Buffer.buffer(line), r.nextBoolean());
      } catch (RuntimeException e) {
        throw new AssertionError("input #" + i + " " + Arrays.toString(line) + " threw", e);
      }
      if (result instanceof ParseResult.Malformed m) {
        Reply reply = m.reply();
        assertThat(reply.code()).as("input #%d", i).isBetween(500, 599);
      } else {
        accepted++;
        SmtpCommand c = ((ParseResult.Parsed) result).command();
        String wire = CommandEncoder.encode(c);
        ParseResult again = new CommandParser(CodecLimits.DEFAULT.withCommandLine(4096))
            .parse(Buffer.buffer(wire.substring(0, wire.length() - 2).getBytes(StandardCharsets.UTF_8)), true);
        assertThat(again).as("input #%d %s", i, new String(line, StandardCharsets.UTF_8)).isEqualTo(result);
      }
    }
    assertThat(accepted).as("the mutations keep some lines valid").isGreaterThan(1000);
  }

  @Test
  @Timeout(30)
  void theReplyDecoderThrowsOnlyProtocolErrorsAndDecodesValidStreamsWhateverTheSplit() {
    Random r = new Random(2);
    for (int i = 0; i < 20_000; i++) {
      List<Reply> replies = new ArrayList<>();
      StringBuilder wire = new StringBuilder();
      int n = 1 + r.nextInt(4);
      for (int k = 0; k < n; k++) {
        int code = (2 + r.nextInt(4)) * 100 + r.nextInt(6) * 10 + r.nextInt(10);
        String enh = code / 100 == 3 || r.nextBoolean() ? null : (code / 100) + "." + r.nextInt(8) + "." + r.nextInt(30);
        List<String> lines = new ArrayList<>();
        int l = 1 + r.nextInt(3);
        for (int j = 0; j < l; j++) {
          lines.add(j == 0 && r.nextInt(10) == 0 ? "" : "text " + r.nextInt(1000) + (r.nextBoolean() ? " é" : ""));
        }
        Reply reply = Reply.of(code, enh, lines);
        replies.add(reply);
        reply.appendTo(wire);
      }
      byte[] bytes = wire.toString().getBytes(StandardCharsets.UTF_8);
      ReplyDecoder decoder = new ReplyDecoder();
      List<Reply> got = new ArrayList<>();
      for (Buffer c : split(bytes, r)) {
        decoder.decode(c, got::add);
      }
      assertThat(got).as("stream #%d", i).isEqualTo(replies);

      byte[] bad = mutate(bytes, r);
      ReplyDecoder fuzzed = new ReplyDecoder();
      try {
        for (Buffer c : split(bad, r)) {
          fuzzed.decode(c, x -> { });
        }
      } catch (SmtpProtocolException expected) {
        // the only failure allowed
      } catch (RuntimeException e) {
        throw new AssertionError("mutated stream #" + i + " " + Arrays.toString(bad) + " threw", e);
      }
    }
  }

  @Test
  @Timeout(30)
  void theLineFramerReturnsBoundedLinesAndLosesNothing() {
    Random r = new Random(3);
    for (int i = 0; i < 10_000; i++) {
      byte[] input = new byte[r.nextInt(300)];
      for (int k = 0; k < input.length; k++) {
        input[k] = r.nextInt(8) == 0 ? (byte) '\n' : r.nextInt(10) == 0 ? (byte) '\r' : (byte) ('a' + r.nextInt(26));
      }
      LineFramer framer = new LineFramer(40);
      ByteArrayOutputStream joined = new ByteArrayOutputStream();
      boolean tooLong = false;
      for (Buffer c : split(input, r)) {
        framer.append(c);
        while (true) {
          Buffer line;
          try {
            line = framer.next();
          } catch (LineTooLongException e) {
            tooLong = true;
            continue;
          }
          if (line == null) {
            break;
          }
          assertThat(line.length()).isLessThanOrEqualTo(38);
          joined.writeBytes(line.getBytes());
          joined.write('\n');
        }
      }
      joined.writeBytes(framer.takeRemainder().getBytes());
      if (!tooLong) {
        // Lines come back without their CR before LF; put the input in the same form to compare.
        String expected = new String(input, StandardCharsets.ISO_8859_1).replace("\r\n", "\n");
        assertThat(joined.toString(StandardCharsets.ISO_8859_1)).as("input #%d", i).isEqualTo(expected);
      }
    }
  }

  /** What the stuffer promises the content becomes: CRLF line ends, a final CRLF when non-empty. */
  private static byte[] normalise(byte[] in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < in.length; i++) {
      byte b = in[i];
      if (b == '\r') {
        out.write('\r');
        out.write('\n');
        if (i + 1 < in.length && in[i + 1] == '\n') {
          i++;
        }
      } else if (b == '\n') {
        out.write('\r');
        out.write('\n');
      } else {
        out.write(b);
      }
    }
    byte[] o = out.toByteArray();
    if (o.length > 0 && !(o.length >= 2 && o[o.length - 2] == '\r' && o[o.length - 1] == '\n')) {
      out.write('\r');
      out.write('\n');
    }
    return out.toByteArray();
  }

  @Test
  @Timeout(60)
  void stuffedContentDecodesToItsNormalFormAndEndsExactlyAtTheTerminator() {
    Random r = new Random(4);
    byte[] alphabet = {'.', '.', '\r', '\n', 'a', 'b', ' ', (byte) 0xC3};
    for (int i = 0; i < 20_000; i++) {
      byte[] content = new byte[r.nextInt(200)];
      for (int k = 0; k < content.length; k++) {
        content[k] = alphabet[r.nextInt(alphabet.length)];
      }
      DotStuffer stuffer = new DotStuffer();
      ByteArrayOutputStream wire = new ByteArrayOutputStream();
      for (Buffer c : split(content, r)) {
        wire.writeBytes(stuffer.encode(c).getBytes());
      }
      wire.writeBytes(stuffer.finish().getBytes());
      byte[] w = wire.toByteArray();
      for (DataDecoder.Mode mode : DataDecoder.Mode.values()) {
        DataDecoder decoder = new DataDecoder(Long.MAX_VALUE, mode);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        List<Buffer> chunks = split(w, r);
        int end = -1;
        for (int k = 0; k < chunks.size(); k++) {
          end = decoder.decode(chunks.get(k), 0, b -> got.writeBytes(b.getBytes()));
          if (end >= 0) {
            assertThat(k).as("#%d ends in the last chunk", i).isEqualTo(chunks.size() - 1);
            assertThat(end).isEqualTo(chunks.get(k).length());
          }
        }
        assertThat(end).as("#%d end found", i).isPositive();
        assertThat(decoder.violation()).as("#%d the stuffer leaves no bare line ending", i).isNull();
        assertThat(got.toByteArray()).as("#%d content", i).isEqualTo(normalise(content));
      }
    }
  }

  @Test
  @Timeout(30)
  void onRawBytesTheDecoderOnlyEverEndsAfterCrLfDotCrLf() {
    Random r = new Random(5);
    byte[] alphabet = {'.', '\r', '\n', 'x'};
    for (int i = 0; i < 20_000; i++) {
      byte[] raw = new byte[r.nextInt(60)];
      for (int k = 0; k < raw.length; k++) {
        raw[k] = alphabet[r.nextInt(alphabet.length)];
      }
      DataDecoder decoder = new DataDecoder(Long.MAX_VALUE, r.nextBoolean() ? DataDecoder.Mode.REJECT : DataDecoder.Mode.ALLOW);
      int consumed = 0;
      for (Buffer c : split(raw, r)) {
        int end = decoder.decode(c, 0, b -> { });
        if (end >= 0) {
          int at = consumed + end;
          String before = new String(raw, 0, at, StandardCharsets.ISO_8859_1);
          if (!before.equals(".\r\n") && !before.endsWith("\r\n.\r\n")) {
            fail("#" + i + " ended after " + Arrays.toString(Arrays.copyOf(raw, at)));
          }
          break;
        }
        consumed += c.length();
      }
    }
  }

  @Test
  @Timeout(10)
  void capabilitiesReadAnyReplyLines() {
    Random r = new Random(6);
    for (int i = 0; i < 10_000; i++) {
      List<String> lines = new ArrayList<>();
      int n = 1 + r.nextInt(6);
      for (int k = 0; k < n; k++) {
        byte[] b = mutate("AUTH=LOGIN PLAIN SIZE 100".getBytes(StandardCharsets.US_ASCII), r);
        lines.add(new String(b, StandardCharsets.ISO_8859_1).replace('\r', ' ').replace('\n', ' '));
      }
      Capabilities c = Capabilities.parse(Reply.of(250, null, lines));
      c.size();
      c.authMechanisms();
    }
  }
}
