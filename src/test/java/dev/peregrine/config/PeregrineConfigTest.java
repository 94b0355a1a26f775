package dev.peregrine.config;

import dev.peregrine.protocol.CodecLimits;
import dev.peregrine.protocol.Timeouts;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(VertxExtension.class)
class PeregrineConfigTest extends VertxFixture {

  @Test
  void theEmbeddedDefaultsAreTheCodecDefaults(VertxTestContext ctx) {
    PeregrineConfig.load(vertx, null, new JsonObject()).onComplete(ctx.succeeding(cfg -> ctx.verify(() -> {
      JsonObject protocol = cfg.getJsonObject("protocol");
      assertThat(ProtocolConfig.limits(protocol)).isEqualTo(CodecLimits.DEFAULT);
      assertThat(ProtocolConfig.timeouts(protocol)).isEqualTo(Timeouts.defaults());
      ctx.completeNow();
    })));
  }

  @Test
  void aFileOverridesDefaultsAndTheEnvironmentOverridesTheFile(@TempDir Path dir, VertxTestContext ctx) throws Exception {
    Path file = dir.resolve("site.yaml");
    Files.writeString(file, "protocol:\n  limits:\n    command-line: 1000\n    domain: 200\n  timeouts:\n    rcpt: 30s\n");
    JsonObject env = new JsonObject()
        .put("PEREGRINE_PROTOCOL_LIMITS_DOMAIN", "100")
        .put("PEREGRINE_PROTOCOL_TIMEOUTS_DATA_END", "PT15M")
        .put("PEREGRINE_NOT_A_KEY", "ignored")
        .put("HOME", "/root");
    PeregrineConfig.load(vertx, file.toString(), env).onComplete(ctx.succeeding(cfg -> ctx.verify(() -> {
      JsonObject protocol = cfg.getJsonObject("protocol");
      CodecLimits limits = ProtocolConfig.limits(protocol);
      assertThat(limits.commandLine()).isEqualTo(1000);
      assertThat(limits.domain()).isEqualTo(100);
      assertThat(limits.localPart()).isEqualTo(64);
      Timeouts t = ProtocolConfig.timeouts(protocol);
      assertThat(t.get(Timeouts.Phase.RCPT)).isEqualTo(Duration.ofSeconds(30));
      assertThat(t.get(Timeouts.Phase.DATA_END)).isEqualTo(Duration.ofMinutes(15));
      assertThat(t.get(Timeouts.Phase.MAIL)).isEqualTo(Duration.ofMinutes(5));
      assertThat(cfg.fieldNames()).containsExactlyInAnyOrder("protocol", "server", "listeners", "http", "relay", "auth", "maildir", "spool", "queue", "mailer",
          "cluster");
      ctx.completeNow();
    })));
  }

  @Test
  void theMailerSectionBecomesMailerOptionsAndTakesTheEnvironment(VertxTestContext ctx) {
    JsonObject env = new JsonObject().put("PEREGRINE_MAILER_POOL_MAX_PER_KEY", "3")
        .put("PEREGRINE_MAILER_DNS_SERVERS", "127.0.0.1:5353,127.0.0.2")
        .put("PEREGRINE_MAILER_CLIENT_TLS_POLICY", "required")
        .put("PEREGRINE_PROTOCOL_TIMEOUTS_RCPT", "45s");
    PeregrineConfig.load(vertx, null, env).onComplete(ctx.succeeding(cfg -> ctx.verify(() -> {
      dev.peregrine.mailer.MailerOptions m = PeregrineConfig.mailer(cfg);
      assertThat(m.getPool().getMaxPerKey()).isEqualTo(3);
      assertThat(m.getPool().getMaxMessagesPerSession()).isEqualTo(100);
      assertThat(m.getDns().getServers()).containsExactly("127.0.0.1:5353", "127.0.0.2");
      assertThat(m.getDns().getMaxTtl()).isEqualTo(java.time.Duration.ofHours(24));
      assertThat(m.getClient().getTlsPolicy()).isEqualTo(dev.peregrine.client.TlsPolicy.REQUIRED);
      assertThat(m.getClient().getTimeouts().get(Timeouts.Phase.RCPT)).isEqualTo(java.time.Duration.ofSeconds(45));
      assertThat(m.getMaxRecipientsPerTransaction()).isEqualTo(100);
      assertThat(new dev.peregrine.mailer.MailerOptions(m.toJson()).toJson()).isEqualTo(m.toJson());
      ctx.completeNow();
    })));
  }

  @Test
  void theDkimSectionIsOffByDefaultAndTakesKeysFromTheEnvironment(VertxTestContext ctx) {
    JsonObject env = new JsonObject()
        .put("PEREGRINE_MAILER_DKIM_KEYS", "example.org:rsa2025:/etc/dkim/rsa.pem, example.org:ed2025:/etc/dkim/ed.pem")
        .put("PEREGRINE_MAILER_DKIM_CANONICALIZATION", "simple/relaxed");
    PeregrineConfig.load(vertx, null, new JsonObject()).compose(defaults -> {
      ctx.verify(() -> {
        dev.peregrine.dkim.DkimOptions d = PeregrineConfig.mailer(defaults).getDkim();
        assertThat(d.isEnabled()).isFalse();
        assertThat(d).isEqualTo(new dev.peregrine.dkim.DkimOptions());
      });
      return PeregrineConfig.load(vertx, null, env);
    }).onComplete(ctx.succeeding(cfg -> ctx.verify(() -> {
      dev.peregrine.dkim.DkimOptions d = PeregrineConfig.mailer(cfg).getDkim();
      assertThat(d.getKeys()).extracting(Object::toString)
          .containsExactly("example.org:rsa2025:/etc/dkim/rsa.pem", "example.org:ed2025:/etc/dkim/ed.pem");
      assertThat(d.getCanonicalization()).isEqualTo("simple/relaxed");
      assertThat(d.getOversign()).containsExactly("From");
      ctx.completeNow();
    })));
  }

  @Test
  void aBadEnvironmentValueNamesTheVariable(VertxTestContext ctx) {
    JsonObject env = new JsonObject().put("PEREGRINE_PROTOCOL_LIMITS_PATH", "big");
    PeregrineConfig.load(vertx, null, env).onComplete(ctx.failing(e -> ctx.verify(() -> {
      assertThat(e).hasMessageContaining("PEREGRINE_PROTOCOL_LIMITS_PATH must be a number");
      ctx.completeNow();
    })));
  }

  @Test
  void aMissingFileFailsNamingIt(VertxTestContext ctx) {
    PeregrineConfig.load(vertx, "/nonexistent/peregrine.yaml", new JsonObject()).onComplete(ctx.failing(e -> ctx.verify(() -> {
      assertThat(e.toString() + e.getCause()).contains("/nonexistent/peregrine.yaml");
      ctx.completeNow();
    })));
  }

  @Test
  void durationsAcceptUnitsAndIsoAndNameTheKeyOnError() {
    assertThat(ProtocolConfig.duration("k", "250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(ProtocolConfig.duration("k", "90")).isEqualTo(Duration.ofSeconds(90));
    assertThat(ProtocolConfig.duration("k", 1.5)).isEqualTo(Duration.ofMillis(1500));
    assertThat(ProtocolConfig.duration("k", "2h")).isEqualTo(Duration.ofHours(2));
    assertThat(ProtocolConfig.duration("k", "1d")).isEqualTo(Duration.ofDays(1));
    assertThat(ProtocolConfig.duration("k", "PT1M")).isEqualTo(Duration.ofMinutes(1));
    assertThatThrownBy(() -> ProtocolConfig.duration("a.b", "5 weeks")).hasMessageContaining("a.b has an unknown unit");
    assertThatThrownBy(() -> ProtocolConfig.duration("a.b", "soon")).hasMessageContaining("a.b must be a duration");
    assertThatThrownBy(() -> ProtocolConfig.duration("a.b", "0s")).hasMessageContaining("a.b must be positive");
    assertThatThrownBy(() -> ProtocolConfig.timeouts(new JsonObject().put("timeouts", new JsonObject().put("dta", "1s"))))
        .hasMessageContaining("protocol.timeouts.dta is not a known timeout");
    assertThatThrownBy(() -> ProtocolConfig.limits(new JsonObject().put("limits", new JsonObject().put("path", -1))))
        .hasMessageContaining("path must be a positive whole number");
  }

  /** 2.5 is not 2, and 5e9 does not wrap to 705032704: both refused by the key's name, as the JSON gives them. */
  @Test
  void wholeNumbersRefuseFractionsAndValuesPastAnInt() {
    for (Object bad : new Object[] {2.5, 5_000_000_000L, 5e9, -5_000_000_000L, "3"}) {
      assertThatThrownBy(() -> new dev.peregrine.mailer.MailerOptions(new JsonObject().put("max-in-flight", bad)))
          .as("max-in-flight: %s", bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max-in-flight");
      assertThatThrownBy(() -> new dev.peregrine.pool.SessionPoolOptions(new JsonObject().put("max-per-key", bad)))
          .as("max-per-key: %s", bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max-per-key");
      assertThatThrownBy(() -> new dev.peregrine.dns.MxResolverOptions(new JsonObject().put("port", bad)))
          .as("port: %s", bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
    }
    assertThatThrownBy(() -> new dev.peregrine.mailer.MailerOptions(new JsonObject().put("max-attempts", 2.5)))
        .hasMessage("max-attempts must be a whole number (at most 2147483647): 2.5");
    // A whole number written with a decimal point (YAML 4.0) is that number.
    assertThat(new dev.peregrine.mailer.MailerOptions(new JsonObject().put("max-in-flight", 4.0)).getMaxInFlight()).isEqualTo(4);
    assertThat(new dev.peregrine.pool.SessionPoolOptions(new JsonObject().put("max-per-key", 7L)).getMaxPerKey()).isEqualTo(7);
  }

  @Test
  void aWholeNumberPastAnIntFromTheEnvironmentIsRefusedByName(VertxTestContext ctx) {
    JsonObject env = new JsonObject().put("PEREGRINE_MAILER_POOL_MAX_PER_KEY", "5000000000");
    PeregrineConfig.load(vertx, null, env).map(PeregrineConfig::mailer).onComplete(ctx.failing(e -> ctx.verify(() -> {
      assertThat(e).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max-per-key");
      ctx.completeNow();
    })));
  }

  @Test
  void environmentListsAreSplitOnCommasAndTrimmed(VertxTestContext ctx) {
    JsonObject env = new JsonObject().put("PEREGRINE_MAILER_DNS_SERVERS", " 127.0.0.1:5353 ,  127.0.0.2,")
        .put("PEREGRINE_SERVER_AUTH_MECHANISMS", "PLAIN, LOGIN")
        .put("PEREGRINE_RELAY_LOCAL_DOMAINS", "");
    PeregrineConfig.load(vertx, null, env).onComplete(ctx.succeeding(cfg -> ctx.verify(() -> {
      assertThat(PeregrineConfig.mailer(cfg).getDns().getServers()).containsExactly("127.0.0.1:5353", "127.0.0.2");
      assertThat(cfg.getJsonObject("server").getJsonArray("auth-mechanisms").getList()).containsExactly("PLAIN", "LOGIN");
      assertThat(cfg.getJsonObject("relay").getJsonArray("local-domains").getList()).as("empty: no element").isEmpty();
      ctx.completeNow();
    })));
  }

  @Test
  void envNamesFollowTheKeyPath() {
    assertThat(PeregrineConfig.envName("protocol.limits.command-line")).isEqualTo("PEREGRINE_PROTOCOL_LIMITS_COMMAND_LINE");
  }
}
