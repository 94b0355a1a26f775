package dev.peregrine.protocol;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static dev.peregrine.protocol.Splits.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReplyDecoderTest {

  private static List<Reply> decodeAll(List<Buffer> chunks) {
    ReplyDecoder decoder = new ReplyDecoder();
    List<Reply> out = new ArrayList<>();
    for (Buffer c : chunks) {
      decoder.decode(c, out::add);
    }
    assertThat(decoder.hasBufferedInput()).isFalse();
    return out;
  }

  @Test
  void decodesAPipelinedGroupWhateverTheSplit() {
    String wire = "250 2.1.0 Sender OK\r\n"
        + "250 2.1.5 Recipient OK\r\n"
        + "550 5.1.1 <x@y>: Recipient address rejected\r\n"
        + "354 End data with <CR><LF>.<CR><LF>\r\n";
    List<Reply> expected = List.of(
        Reply.of(250, "2.1.0", "Sender OK"),
        Reply.of(250, "2.1.5", "Recipient OK"),
        Reply.of(550, "5.1.1", "<x@y>: Recipient address rejected"),
        Reply.of(354, null, "End data with <CR><LF>.<CR><LF>"));
    for (List<Buffer> chunks : Splits.everyOffset(bytes(wire))) {
      assertThat(decodeAll(chunks)).as(Splits.describe(chunks)).isEqualTo(expected);
    }
  }

  @Test
  void joinsContinuationLinesOfAnEhloReply() {
    String wire = "250-mx.example.org Hello client\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
        + "250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250 CHUNKING\r\n";
    for (List<Buffer> chunks : Splits.everyOffset(bytes(wire))) {
      List<Reply> replies = decodeAll(chunks);
      assertThat(replies).hasSize(1);
      Reply r = replies.get(0);
      assertThat(r.code()).isEqualTo(250);
      assertThat(r.enhanced()).isNull();
      assertThat(r.lines()).containsExactly("mx.example.org Hello client", "PIPELINING", "SIZE 10240000",
          "AUTH PLAIN LOGIN", "AUTH=PLAIN LOGIN", "ENHANCEDSTATUSCODES", "CHUNKING");
    }
  }

  @Test
  void stripsTheEnhancedCodeFromEveryLineOfAMultilineReply() {
    List<Reply> r = decodeAll(List.of(Buffer.buffer("550-5.7.1 Message rejected\r\n550-5.7.1 see policy\r\n550 5.7.1\r\n")));
    assertThat(r).containsExactly(new Reply(550, EnhancedStatus.of("5.7.1"), List.of("Message rejected", "see policy", "")));
  }

  @Test
  void acceptsACodeWithoutTextAndBareLfEndings() {
    assertThat(decodeAll(List.of(Buffer.buffer("250\r\n221 Bye\n")))).containsExactly(
        Reply.of(250, null, ""), Reply.of(221, null, "Bye"));
  }

  @Test
  void keepsAnEnhancedCodeOfTheWrongClassAsText() {
    assertThat(decodeAll(List.of(Buffer.buffer("250 5.0.0 odd but legal\r\n"))))
        .containsExactly(Reply.of(250, null, "5.0.0 odd but legal"));
  }

  @Test
  void decodesUtf8Text() {
    assertThat(decodeAll(List.of(Buffer.buffer("550 5.1.1 boîte inconnue\r\n"))).get(0).text()).isEqualTo("boîte inconnue");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "hello\r\n", "25\r\n", "2500 x\r\n", "250x\r\n", "650 nope\r\n", "190 nope\r\n", "260 nope\r\n",
      "ab0 x\r\n", "250_x\r\n", "\r\n", "250 bare\rCR\r\n"})
  void reportsMalformedLinesAsProtocolErrorsNeverAsCodes(String wire) {
    ReplyDecoder decoder = new ReplyDecoder();
    assertThatThrownBy(() -> decoder.decode(Buffer.buffer(wire), r -> { }))
        .isInstanceOf(SmtpProtocolException.class)
        .hasMessageContaining("malformed reply line");
    assertThat(decoder.hasBufferedInput()).isFalse();
  }

  @Test
  void refusesAContinuationWithAnotherCode() {
    ReplyDecoder decoder = new ReplyDecoder();
    assertThatThrownBy(() -> decoder.decode(Buffer.buffer("250-first\r\n251 second\r\n"), r -> { }))
        .isInstanceOf(SmtpProtocolException.class)
        .hasMessageContaining("code 251 inside a reply with code 250");
  }

  @Test
  void refusesAnOverlongLineAndTooManyLines() {
    ReplyDecoder decoder = new ReplyDecoder(CodecLimits.DEFAULT.withReplyLine(64));
    assertThatThrownBy(() -> decoder.decode(Buffer.buffer("250 " + "x".repeat(100) + "\r\n"), r -> { }))
        .isInstanceOf(LineTooLongException.class);
    ReplyDecoder few = new ReplyDecoder(new CodecLimits(512, 64, 255, 256, 512, 3));
    assertThatThrownBy(() -> few.decode(Buffer.buffer("250-a\r\n250-b\r\n250-c\r\n250 d\r\n"), r -> { }))
        .isInstanceOf(SmtpProtocolException.class).hasMessageContaining("3 lines");
  }

  @Test
  void reportsBytesLeftAfterAReplyForStartTlsInjectionChecks() {
    ReplyDecoder decoder = new ReplyDecoder();
    List<Reply> out = decoder.decode(Buffer.buffer("220 2.0.0 Ready\r\n250 injected"));
    assertThat(out).containsExactly(Reply.of(220, "2.0.0", "Ready"));
    assertThat(decoder.hasBufferedInput()).isTrue();
    decoder.reset();
    assertThat(decoder.hasBufferedInput()).isFalse();
  }

  @Test
  void encodeAndDecodeAreInverse() {
    List<Reply> replies = List.of(
        Reply.of(250, "2.0.0", "OK"),
        Reply.of(250, null, List.of("mx greets you", "PIPELINING", "SIZE 0")),
        Reply.of(451, "4.3.0", List.of("first", "", "last")),
        Reply.of(220, null, ""),
        Reply.of(354, null, "go ahead"));
    StringBuilder wire = new StringBuilder();
    replies.forEach(r -> r.appendTo(wire));
    for (List<Buffer> chunks : Splits.everyOffset(bytes(wire.toString()))) {
      assertThat(decodeAll(chunks)).as(Splits.describe(chunks)).isEqualTo(replies);
    }
  }
}
