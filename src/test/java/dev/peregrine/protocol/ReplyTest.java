package dev.peregrine.protocol;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReplyTest {

  @Test
  void classifiesItself() {
    assertThat(Reply.of(250, "2.0.0", "OK").isPositive()).isTrue();
    assertThat(Reply.of(354, null, "go").isIntermediate()).isTrue();
    assertThat(Reply.of(354, null, "go").isPositive()).isFalse();
    assertThat(Reply.of(421, "4.3.2", "bye").isTransient()).isTrue();
    assertThat(Reply.of(550, "5.1.1", "no").isPermanent()).isTrue();
    assertThat(Reply.of(550, "5.1.1", "no").isTransient()).isFalse();
  }

  @Test
  void encodesEveryLineWithTheEnhancedCode() {
    assertThat(Reply.of(550, "5.7.1", List.of("a", "b")).encode()).isEqualTo("550-5.7.1 a\r\n550 5.7.1 b\r\n");
    assertThat(Reply.of(250, null, List.of("host", "PIPELINING")).encode()).isEqualTo("250-host\r\n250 PIPELINING\r\n");
    assertThat(Reply.of(250, null, "").encode()).isEqualTo("250\r\n");
  }

  @Test
  void refusesInvalidValuesWithTheReason() {
    assertThatThrownBy(() -> Reply.of(600, null, "x")).hasMessageContaining("[2-5][0-5][0-9]");
    assertThatThrownBy(() -> Reply.of(199, null, "x")).hasMessageContaining("[2-5][0-5][0-9]");
    assertThatThrownBy(() -> Reply.of(260, null, "x")).hasMessageContaining("[2-5][0-5][0-9]");
    assertThatThrownBy(() -> Reply.of(250, "5.0.0", "x")).hasMessageContaining("does not match");
    assertThatThrownBy(() -> Reply.of(250, null, "a\r\nb")).hasMessageContaining("CR or LF");
    assertThatThrownBy(() -> Reply.of(250, null, List.of())).hasMessageContaining("at least one line");
  }

  @Test
  void parsesEnhancedStatusCodes() {
    assertThat(EnhancedStatus.of("5.1.10")).isEqualTo(new EnhancedStatus(5, 1, 10));
    assertThat(EnhancedStatus.of("4.4.3").isTransient()).isTrue();
    assertThat(EnhancedStatus.of("2.0.0").toString()).isEqualTo("2.0.0");
    for (String bad : new String[] {"3.0.0", "5.1", "5..1", "5.1.1000", "5.1.1x", "x.1.1", "5.1.1 ", ""}) {
      assertThatThrownBy(() -> EnhancedStatus.of(bad)).as(bad).hasMessageContaining("not an enhanced status code");
    }
    assertThat(EnhancedStatus.parse("5.7.1 denied", 0, 12)).isEqualTo(new EnhancedStatus(5, 7, 1));
    assertThat(EnhancedStatus.parse("5.7.1denied", 0, 11)).isNull();
  }

  @Test
  void everyCatalogueReplyIsValidAndCarriesAnEnhancedCodeUnless3xx() throws Exception {
    int n = 0;
    for (var f : ServerReplies.class.getFields()) {
      if (f.getType() == Reply.class) {
        Reply r = (Reply) f.get(null);
        assertThat(f.getName()).startsWith("R" + r.code());
        if (r.isIntermediate()) {
          assertThat(r.enhanced()).as(f.getName()).isNull();
        } else {
          assertThat(r.enhanced()).as(f.getName()).isNotNull();
        }
        n++;
      }
    }
    assertThat(n).isGreaterThan(30);
  }

  @Test
  void rejectionRepliesNameTheSenderOrRecipient() {
    assertThat(Rejection.ADDRESS_SYNTAX.reply("MAIL", "x").enhanced()).isEqualTo(EnhancedStatus.of("5.1.7"));
    assertThat(Rejection.ADDRESS_SYNTAX.reply("RCPT", "x").enhanced()).isEqualTo(EnhancedStatus.of("5.1.3"));
    assertThat(Rejection.UNRECOGNIZED_PARAMETER.reply("MAIL", null)).isEqualTo(
        Reply.of(555, "5.5.4", "Parameter not recognized or not implemented"));
  }
}
