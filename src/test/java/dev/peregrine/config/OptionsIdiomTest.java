package dev.peregrine.config;

import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.client.TlsPolicy;
import dev.peregrine.dkim.DkimKeyOptions;
import dev.peregrine.dkim.DkimOptions;
import dev.peregrine.dns.MxResolverOptions;
import dev.peregrine.mailer.MailerOptions;
import dev.peregrine.pool.SessionPoolOptions;
import dev.peregrine.relay.queue.QueueOptions;
import dev.peregrine.relay.spool.Durability;
import dev.peregrine.relay.spool.SpoolOptions;
import dev.peregrine.server.SmtpServerOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every Options class follows the Vert.x idiom: defaults, a copy constructor and a JSON constructor that give
 * an equal object, {@code toJson()} that round-trips (with non-default values too), and unknown keys refused
 * by name.
 */
class OptionsIdiomTest {

  private static <T> void idiom(T defaults, T changed, Function<T, T> copy, Function<JsonObject, T> fromJson,
                                Function<T, JsonObject> toJson) {
    for (T o : java.util.List.of(defaults, changed)) {
      assertThat(copy.apply(o)).isEqualTo(o).hasSameHashCodeAs(o);
      assertThat(fromJson.apply(toJson.apply(o))).isEqualTo(o);
      assertThat(toJson.apply(fromJson.apply(toJson.apply(o)))).isEqualTo(toJson.apply(o));
    }
    assertThat(changed).isNotEqualTo(defaults);
    assertThatThrownBy(() -> fromJson.apply(new JsonObject().put("no-such-key", 1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no-such-key");
  }

  @Test
  void server() {
    idiom(new SmtpServerOptions(), new SmtpServerOptions().setPort(2526).setMaxRecipients(7).setVrfy(true),
        SmtpServerOptions::new, SmtpServerOptions::new, SmtpServerOptions::toJson);
  }

  @Test
  void client() {
    idiom(new SmtpClientOptions(), new SmtpClientOptions().setHeloName("a.test").setTlsPolicy(TlsPolicy.REQUIRED),
        SmtpClientOptions::new, SmtpClientOptions::new, SmtpClientOptions::toJson);
  }

  @Test
  void dns() {
    idiom(new MxResolverOptions(), new MxResolverOptions().setQueryTimeout(Duration.ofSeconds(3)).addRoute("*", "[127.0.0.1]:26"),
        MxResolverOptions::new, MxResolverOptions::new, MxResolverOptions::toJson);
  }

  @Test
  void pool() {
    idiom(new SessionPoolOptions(), new SessionPoolOptions().setMaxPerKey(3).setMaxIdle(Duration.ofSeconds(5)),
        SessionPoolOptions::new, SessionPoolOptions::new, SessionPoolOptions::toJson);
  }

  @Test
  void mailer() {
    idiom(new MailerOptions(), new MailerOptions().setMaxInFlight(9).setPool(new SessionPoolOptions().setMaxTotal(9))
            .setDkim(new DkimOptions().addKey(new DkimKeyOptions("a.test", "s1", "/k.pem"))),
        MailerOptions::new, MailerOptions::new, MailerOptions::toJson);
  }

  @Test
  void dkim() {
    idiom(new DkimOptions(), new DkimOptions().addKey(new DkimKeyOptions("a.test", "s1", "/k.pem"))
            .addKey(DkimKeyOptions.parse("a.test:s2:/k2.pem")).addDomain("*.b.test", "a.test")
            .setCanonicalization("simple/relaxed").setHeaders(java.util.List.of("From", "Subject"))
            .setOversign(java.util.List.of("From", "Subject")).setExpiry(Duration.ofDays(3)).setReloadPeriod(Duration.ZERO),
        DkimOptions::new, DkimOptions::new, DkimOptions::toJson);
    idiom(new DkimKeyOptions(), new DkimKeyOptions("a.test", "s1", "/k.pem"), DkimKeyOptions::new, DkimKeyOptions::new,
        DkimKeyOptions::toJson);
  }

  @Test
  void spool() {
    idiom(new SpoolOptions(), new SpoolOptions().setDir("/tmp/q").setBatchMaxEntries(8).setDurability(Durability.UNSAFE_NO_FSYNC),
        SpoolOptions::new, SpoolOptions::new, SpoolOptions::toJson);
  }

  @Test
  void queue() {
    idiom(new QueueOptions(), new QueueOptions().setMaxAge(Duration.ofHours(2)).setMaxMessages(10).setPostmaster("pm@a.test"),
        QueueOptions::new, QueueOptions::new, QueueOptions::toJson);
  }

  @Test
  void cluster() {
    idiom(new dev.peregrine.cluster.ClusterOptions(), new dev.peregrine.cluster.ClusterOptions()
            .setRedisEndpoints(java.util.List.of("redis://127.0.0.1:6379")).setExpectedNodes(3).setNodeId("n1")
            .setLeaseTime(Duration.ofSeconds(10)),
        dev.peregrine.cluster.ClusterOptions::new, dev.peregrine.cluster.ClusterOptions::new,
        dev.peregrine.cluster.ClusterOptions::toJson);
  }
}
