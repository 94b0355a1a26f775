package dev.peregrine.protocol;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static dev.peregrine.protocol.Splits.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LineFramerTest {

  private static List<String> lines(LineFramer framer, List<Buffer> chunks, List<String> errors) {
    List<String> out = new ArrayList<>();
    for (Buffer chunk : chunks) {
      framer.append(chunk);
      while (true) {
        try {
          Buffer line = framer.next();
          if (line == null) {
            break;
          }
          out.add(line.toString(StandardCharsets.UTF_8));
        } catch (LineTooLongException e) {
          errors.add("too long");
          out.add("<too long>");
        }
      }
    }
    return out;
  }

  @Test
  void splitsCrlfAndBareLfLinesWhateverTheChunking() {
    byte[] input = bytes("EHLO a\r\nMAIL FROM:<>\nRCPT TO:<b@c>\r\n\r\nQUIT\r\npartial");
    for (List<Buffer> chunks : Splits.everyOffset(input)) {
      LineFramer framer = new LineFramer(512);
      List<String> errors = new ArrayList<>();
      assertThat(lines(framer, chunks, errors)).as(Splits.describe(chunks))
          .containsExactly("EHLO a", "MAIL FROM:<>", "RCPT TO:<b@c>", "", "QUIT");
      assertThat(errors).isEmpty();
      assertThat(framer.hasBufferedBytes()).isTrue();
      assertThat(framer.takeRemainder().toString()).isEqualTo("partial");
      assertThat(framer.hasBufferedBytes()).isFalse();
    }
  }

  @Test
  void keepsABareCrInsideTheLineForTheParserToReject() {
    LineFramer framer = new LineFramer(512);
    framer.append(Buffer.buffer("NOOP a\rb\r\n"));
    assertThat(framer.next().toString()).isEqualTo("NOOP a\rb");
  }

  @Test
  void acceptsALineOfExactlyTheLimitIncludingCrlf() {
    String max = "x".repeat(510);
    for (List<Buffer> chunks : Splits.everyOffset(bytes(max + "\r\nNEXT\r\n"))) {
      List<String> errors = new ArrayList<>();
      assertThat(lines(new LineFramer(512), chunks, errors)).as(Splits.describe(chunks)).containsExactly(max, "NEXT");
      assertThat(errors).isEmpty();
    }
  }

  @Test
  void refusesALineOneOctetOverTheLimitOnceAndResynchronises() {
    String over = "x".repeat(511);
    byte[] input = bytes(over + "\r\nNEXT\r\n");
    for (List<Buffer> chunks : Splits.everyOffset(input)) {
      List<String> errors = new ArrayList<>();
      List<String> got = lines(new LineFramer(512), chunks, errors);
      assertThat(got).as(Splits.describe(chunks)).containsExactly("<too long>", "NEXT");
      assertThat(errors).hasSize(1);
    }
  }

  @Test
  void neverHoldsMoreThanOneLineOfAnEndlessLine() {
    LineFramer framer = new LineFramer(64);
    List<String> errors = new ArrayList<>();
    List<Buffer> chunks = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      chunks.add(Buffer.buffer("y".repeat(100)));
    }
    chunks.add(Buffer.buffer("\r\nQUIT\r\n"));
    List<String> got = lines(framer, chunks, errors);
    assertThat(errors).hasSize(1);
    assertThat(got).containsExactly("<too long>", "QUIT");
    assertThat(framer.takeRemainder().length()).isZero();
  }

  @Test
  void remainderHandsBackUnreadBytesInOrder() {
    LineFramer framer = new LineFramer(512);
    framer.append(Buffer.buffer("DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n"));
    assertThat(framer.next().toString()).isEqualTo("DATA");
    assertThat(framer.takeRemainder().toString()).isEqualTo("Subject: x\r\n\r\nbody\r\n.\r\n");
    assertThat(framer.next()).isNull();
  }

  @Test
  void appendBeforeDrainingKeepsOrder() {
    LineFramer framer = new LineFramer(512);
    framer.append(Buffer.buffer("A\r\nB"));
    assertThat(framer.next().toString()).isEqualTo("A");
    framer.append(Buffer.buffer("C\r\n"));
    assertThat(framer.next().toString()).isEqualTo("BC");
    framer.append(Buffer.buffer("D\r\nE\r\n"));
    framer.append(Buffer.buffer("F\r\n"));
    assertThat(framer.next().toString()).isEqualTo("D");
    assertThat(framer.next().toString()).isEqualTo("E");
    assertThat(framer.next().toString()).isEqualTo("F");
    assertThat(framer.next()).isNull();
  }

  @Test
  void rejectsATinyLimit() {
    assertThatThrownBy(() -> new LineFramer(2)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3");
  }
}
