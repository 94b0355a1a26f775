package dev.peregrine.protocol;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.peregrine.protocol.DotStufferTest.unescape;
import static dev.peregrine.protocol.Splits.bytes;
import static org.assertj.core.api.Assertions.assertThat;

class DataDecoderTest {

  /** Result of reading one stream: the content, what follows the end (or null if no end), violation. */
  record Outcome(String content, String after, String violation, boolean sizeExceeded) {
  }

  private static Outcome decode(List<Buffer> chunks, DataDecoder decoder) {
    Buffer content = Buffer.buffer();
    StringBuilder after = null;
    for (Buffer c : chunks) {
      if (after != null) {
        after.append(c.toString(StandardCharsets.ISO_8859_1));
        continue;
      }
      int end = decoder.decode(c, 0, content::appendBuffer);
      if (end >= 0) {
        after = new StringBuilder(c.getString(end, c.length(), "ISO-8859-1"));
      }
    }
    return new Outcome(content.toString(StandardCharsets.ISO_8859_1), after == null ? null : after.toString(),
        decoder.violation(), decoder.sizeExceeded());
  }

  private static void forEverySplit(String wire, DataDecoder.Mode mode, java.util.function.BiConsumer<String, Outcome> check) {
    for (List<Buffer> chunks : Splits.everyOffset(bytes(unescape(wire)))) {
      check.accept(Splits.describe(chunks), decode(chunks, new DataDecoder(Long.MAX_VALUE, mode)));
    }
  }

  @Test
  void findsTheEndAndUnstuffsWhateverTheSplit() {
    forEverySplit("a\\r\\n..b\\r\\n...\\r\\n.c\\r\\n\\r\\n.\\r\\nMAIL FROM:<>\\r\\n", DataDecoder.Mode.REJECT, (split, o) -> {
      assertThat(o.content()).as(split).isEqualTo(unescape("a\\r\\n.b\\r\\n..\\r\\nc\\r\\n\\r\\n"));
      assertThat(o.after()).as(split).isEqualTo("MAIL FROM:<>\r\n");
      assertThat(o.violation()).as(split).isNull();
    });
  }

  @Test
  void anEmptyMessageEndsAtOnce() {
    forEverySplit(".\\r\\nQUIT\\r\\n", DataDecoder.Mode.REJECT, (split, o) -> {
      assertThat(o.content()).as(split).isEmpty();
      assertThat(o.after()).as(split).isEqualTo("QUIT\r\n");
    });
  }

  @Test
  void aTwoByteChunkEndingInDotCrIsHeldBack() {
    DataDecoder d = new DataDecoder(Long.MAX_VALUE, DataDecoder.Mode.REJECT);
    Buffer content = Buffer.buffer();
    assertThat(d.decode(Buffer.buffer("x\r\n.\r"), 0, content::appendBuffer)).isEqualTo(-1);
    assertThat(content.toString()).isEqualTo("x\r\n");
    assertThat(d.decode(Buffer.buffer("y\r\n.\r\n"), 0, content::appendBuffer)).isEqualTo(6);
    assertThat(content.toString()).as("nothing after the violation").isEqualTo("x\r\n");
    assertThat(d.violation()).isEqualTo("bare CR at octet 4 of the data");

    DataDecoder lax = new DataDecoder(Long.MAX_VALUE, DataDecoder.Mode.ALLOW);
    Buffer all = Buffer.buffer();
    assertThat(lax.decode(Buffer.buffer("x\r\n.\r"), 0, all::appendBuffer)).isEqualTo(-1);
    assertThat(lax.decode(Buffer.buffer("y\r\n.\r\n"), 0, all::appendBuffer)).isEqualTo(6);
    assertThat(all.toString()).as("the held CR comes back, the stuffed dot does not").isEqualTo("x\r\n\ry\r\n");
    assertThat(lax.violation()).isNull();
  }

  /**
   * SMTP smuggling (CVE-2023-51764, CVE-2023-51765, CVE-2023-51766): an end of data that a lax receiver
   * takes for the end. Each vector is followed by a smuggled transaction and then the real end; the
   * decoder must read through to the real end, refuse the message, and never surface the smuggled MAIL as
   * a command.
   */
  @ParameterizedTest
  @ValueSource(strings = {"\\n.\\n", "\\n.\\r\\n", "\\r\\n.\\n", "\\r.\\r", "\\r.\\r\\n", "\\r\\n.\\r", "\\n.\\r",
      "\\r\\n\\x00.\\r\\n"})
  void smugglingVectorsNeverEndTheData(String vector) {
    String smuggled = "body" + vector.replace("\\x00", "\u0000") + "MAIL FROM:<evil@example.com>\\r\\nRCPT TO:<victim@example.org>\\r\\n"
        + "DATA\\r\\nFrom: spoofed\\r\\n\\r\\n";
    forEverySplit(smuggled + ".\\r\\nQUIT\\r\\n", DataDecoder.Mode.REJECT, (split, o) -> {
      assertThat(o.after()).as(split).isEqualTo("QUIT\r\n");
      if (!vector.contains("\\x00")) {
        assertThat(o.violation()).as(split).startsWith("bare");
      }
    });
    forEverySplit(smuggled + ".\\r\\nQUIT\\r\\n", DataDecoder.Mode.ALLOW, (split, o) -> {
      assertThat(o.after()).as(split).isEqualTo("QUIT\r\n");
      assertThat(o.violation()).as(split).isNull();
      assertThat(o.content()).as(split).contains("MAIL FROM:<evil@example.com>");
    });
  }

  @Test
  void refusesBareLfAndStopsDeliveringButReadsToTheEnd() {
    forEverySplit("ok\\r\\nbad\\nmore\\r\\n.\\r\\nNOOP\\r\\n", DataDecoder.Mode.REJECT, (split, o) -> {
      assertThat(o.violation()).as(split).isEqualTo("bare LF at octet 7 of the data");
      assertThat(o.content()).as(split).doesNotContain("more");
      assertThat(o.after()).as(split).isEqualTo("NOOP\r\n");
    });
    DataDecoder d = new DataDecoder(Long.MAX_VALUE, DataDecoder.Mode.REJECT);
    d.decode(Buffer.buffer(unescape("a\\nb\\r\\n.\\r\\n")), 0, b -> { });
    assertThat(d.refusal()).isNotNull();
    assertThat(d.refusal().code()).isEqualTo(550);
    assertThat(d.refusal().text()).contains("bare LF");
  }

  @Test
  void stopsAtTheSizeLimitButFindsTheEnd() {
    String wire = "0123456789\r\n0123456789\r\n.\r\nRSET\r\n";
    for (List<Buffer> chunks : Splits.everyOffset(bytes(wire))) {
      DataDecoder d = new DataDecoder(15, DataDecoder.Mode.REJECT);
      Outcome o = decode(chunks, d);
      assertThat(o.sizeExceeded()).as(Splits.describe(chunks)).isTrue();
      assertThat(o.content().length()).as(Splits.describe(chunks)).isLessThanOrEqualTo(15);
      assertThat(o.after()).isEqualTo("RSET\r\n");
      assertThat(d.refusal()).isEqualTo(ServerReplies.R552_MESSAGE_TOO_BIG);
    }
    DataDecoder exact = new DataDecoder(24, DataDecoder.Mode.REJECT);
    Outcome o = decode(List.of(Buffer.buffer(wire)), exact);
    assertThat(o.sizeExceeded()).isFalse();
    assertThat(exact.size()).isEqualTo(24);
  }

  @Test
  void startsFromAnOffsetAndResetsBetweenMessages() {
    DataDecoder d = new DataDecoder(Long.MAX_VALUE, DataDecoder.Mode.REJECT);
    Buffer wire = Buffer.buffer("DATA\r\nm1\r\n.\r\nm2\r\n.\r\n");
    Buffer c1 = Buffer.buffer();
    int end1 = d.decode(wire, 6, c1::appendBuffer);
    assertThat(c1.toString()).isEqualTo("m1\r\n");
    d.reset();
    Buffer c2 = Buffer.buffer();
    int end2 = d.decode(wire, end1, c2::appendBuffer);
    assertThat(c2.toString()).isEqualTo("m2\r\n");
    assertThat(end2).isEqualTo(wire.length());
  }

  @Test
  void roundTripsTheStuffersOutput() {
    String content = "From: a\r\n.\r\n..\r\n.x\r\nlast line without CRLF";
    DotStuffer s = new DotStuffer();
    Buffer wire = Buffer.buffer().appendBuffer(s.encode(Buffer.buffer(content))).appendBuffer(s.finish());
    for (List<Buffer> chunks : Splits.everyOffset(wire.getBytes())) {
      Outcome o = decode(chunks, new DataDecoder(Long.MAX_VALUE, DataDecoder.Mode.REJECT));
      assertThat(o.content()).as(Splits.describe(chunks)).isEqualTo(content + "\r\n");
      assertThat(o.after()).isEmpty();
    }
  }

  @Test
  void bdatReadsExactlyTheChunkAndHandsBackTheRest() {
    byte[] wire = bytes("hello\nworld.\r\n.BDAT 0 LAST\r\n");
    for (List<Buffer> chunks : Splits.everyOffset(wire)) {
      BdatDecoder d = new BdatDecoder();
      d.start(14);
      Buffer content = Buffer.buffer();
      StringBuilder after = null;
      for (Buffer c : chunks) {
        if (after != null) {
          after.append(c);
          continue;
        }
        int end = d.decode(c, 0, content::appendBuffer);
        if (end >= 0) {
          after = new StringBuilder(c.getString(end, c.length()));
        }
      }
      assertThat(content.toString()).isEqualTo("hello\nworld.\r\n");
      assertThat(after).as(Splits.describe(chunks)).isNotNull();
      assertThat(after.toString()).isEqualTo(".BDAT 0 LAST\r\n");
      assertThat(d.remaining()).isZero();
    }
    BdatDecoder empty = new BdatDecoder();
    empty.start(0);
    assertThat(empty.decode(Buffer.buffer("QUIT\r\n"), 0, b -> { })).isZero();
  }
}
