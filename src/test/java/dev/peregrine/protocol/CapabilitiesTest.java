package dev.peregrine.protocol;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CapabilitiesTest {

  private static Capabilities fromWire(String wire) {
    List<Reply> replies = new ReplyDecoder().decode(Buffer.buffer(wire));
    assertThat(replies).hasSize(1);
    return Capabilities.parse(replies.get(0));
  }

  @Test
  void readsAPostfixEhloReply() {
    Capabilities c = fromWire("250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"
        + "250-ETRN\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n"
        + "250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n");
    assertThat(c.greeting()).isEqualTo("mx.example.org");
    assertThat(c.pipelining()).isTrue();
    assertThat(c.size()).isEqualTo(OptionalLong.of(10_240_000));
    assertThat(c.startTls()).isTrue();
    assertThat(c.authMechanisms()).containsExactly("PLAIN", "LOGIN");
    assertThat(c.enhancedStatusCodes()).isTrue();
    assertThat(c.eightBitMime()).isTrue();
    assertThat(c.dsn()).isTrue();
    assertThat(c.smtpUtf8()).isTrue();
    assertThat(c.chunking()).isTrue();
    assertThat(c.binaryMime()).isFalse();
    assertThat(c.requireTls()).isFalse();
    assertThat(c.has("etrn")).isTrue();
    assertThat(c.keywords()).contains("VRFY", "ETRN");
  }

  @Test
  void keywordsAreCaseInsensitiveAndLegacyAuthIsMerged() {
    Capabilities c = fromWire("250-x\r\n250-pipelining\r\n250-auth=login\r\n250-Auth cram-md5 Plain\r\n250 size\r\n");
    assertThat(c.pipelining()).isTrue();
    assertThat(c.authMechanisms()).containsExactlyInAnyOrder("LOGIN", "CRAM-MD5", "PLAIN");
    assertThat(c.sizeAdvertised()).isTrue();
    assertThat(c.size()).isEmpty();
  }

  @Test
  void sizeZeroOrGarbageMeansNoFixedLimit() {
    assertThat(fromWire("250-x\r\n250 SIZE 0\r\n").size()).isEmpty();
    assertThat(fromWire("250-x\r\n250 SIZE lots\r\n").size()).isEmpty();
    assertThat(fromWire("250 x\r\n").sizeAdvertised()).isFalse();
  }

  @Test
  void aOneLineReplyHasNoExtensions() {
    Capabilities c = fromWire("250 mx.example.org Hello\r\n");
    assertThat(c.keywords()).isEmpty();
    assertThat(c).isEqualTo(Capabilities.none("mx.example.org Hello"));
  }

  @Test
  void builderWritesWhatParseReads() {
    Capabilities built = Capabilities.builder().pipelining().size(35_882_577).eightBitMime().smtpUtf8().chunking()
        .binaryMime().dsn().enhancedStatusCodes().startTls().requireTls().auth(List.of("PLAIN", "LOGIN"))
        .add("X-EXPERIMENT", "a", "b").build("mx.test greets client");
    Reply reply = built.toReply("mx.test greets client");
    assertThat(reply.lines().get(1)).isEqualTo("PIPELINING");
    assertThat(reply.encode()).contains("250-SIZE 35882577\r\n", "250-AUTH PLAIN LOGIN\r\n", "250 X-EXPERIMENT a b\r\n");
    Capabilities parsed = fromWire(reply.encode());
    assertThat(parsed).isEqualTo(built);
    assertThat(parsed.params("x-experiment")).containsExactly("a", "b");
  }

  @Test
  void timeoutTableFollowsRfc5321AndIsConfigurable() {
    Timeouts t = Timeouts.defaults();
    assertThat(t.forCommand(new SmtpCommand.MailFrom(ReversePath.NULL))).isEqualTo(Duration.ofMinutes(5));
    assertThat(t.forCommand(new SmtpCommand.Data())).isEqualTo(Duration.ofMinutes(2));
    assertThat(t.forCommand(new SmtpCommand.Bdat(10, true))).isEqualTo(Duration.ofMinutes(10));
    assertThat(t.get(Timeouts.Phase.DATA_BLOCK)).isEqualTo(Duration.ofMinutes(3));
    assertThat(t.get(Timeouts.Phase.DATA_END)).isEqualTo(Duration.ofMinutes(10));
    assertThat(t.get(Timeouts.Phase.GREETING)).isEqualTo(Duration.ofMinutes(5));
    for (SmtpCommand.Kind k : SmtpCommand.Kind.values()) {
      assertThat(t.get(Timeouts.phaseOf(k))).as(k.name()).isPositive();
    }
    Timeouts fast = t.with(Timeouts.Phase.RCPT, Duration.ofSeconds(30));
    assertThat(fast.get(Timeouts.Phase.RCPT)).isEqualTo(Duration.ofSeconds(30));
    assertThat(t.get(Timeouts.Phase.RCPT)).isEqualTo(Duration.ofMinutes(5));
    assertThat(fast).isNotEqualTo(t);
    assertThatThrownBy(() -> t.with(Timeouts.Phase.RSET, Duration.ZERO)).hasMessageContaining("RSET must be positive");
  }
}
