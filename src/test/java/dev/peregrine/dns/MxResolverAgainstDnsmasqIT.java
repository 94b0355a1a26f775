package dev.peregrine.dns;

import dev.peregrine.test.Peer;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The resolver against dnsmasq, a real DNS server, started on a loopback port with a generated zone. */
class MxResolverAgainstDnsmasqIT extends VertxFixture {

  private Peer.Daemon dnsmasq;
  private MxResolver resolver;

  @BeforeEach
  void start() throws Exception {
    int port = Peer.freePort();
    dnsmasq = Peer.daemon(List.of("/usr/sbin/dnsmasq", "--keep-in-foreground", "--port=" + port,
        "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
        "--pid-file=", "--user=" + System.getProperty("user.name"), "--local=/test/", "--local-ttl=60",
        "--mx-host=a.test,mx2.a.test,20", "--mx-host=a.test,mx1.a.test,10",
        "--host-record=mx1.a.test,127.0.0.2", "--host-record=mx2.a.test,127.0.0.3,::1",
        "--host-record=implicit.test,127.0.0.4", "--mx-host=null.test,.,0"), port, 10);
    resolver = MxResolver.create(vertx, new MxResolverOptions().addServer("127.0.0.1:" + port)
        .setQueryTimeout(Duration.ofSeconds(5)).setPort(2525).setAddressPolicy(AddressPolicy.IPV4_FIRST));
  }

  @AfterEach
  void stop() throws Exception {
    resolver.close().await(10, TimeUnit.SECONDS);
    dnsmasq.close();
  }

  private Future<MxResolution> resolve(String domain) throws Exception {
    Future<MxResolution> f = resolver.resolve(domain);
    try {
      f.await(20, TimeUnit.SECONDS);
    } catch (MxResolutionException e) {
      // inspected by the caller
    }
    assertThat(f.isComplete()).isTrue();
    return f;
  }

  @Test
  void mxRecordsSortedWithAddresses() throws Exception {
    MxResolution r = resolve("a.test").result();
    assertThat(r.hosts()).hasSize(2);
    assertThat(r.hosts().get(0)).isEqualTo(new MxHost("mx1.a.test", 10, 2525, List.of("127.0.0.2")));
    assertThat(r.hosts().get(1).name()).isEqualTo("mx2.a.test");
    assertThat(r.hosts().get(1).addresses()).hasSize(2).first().isEqualTo("127.0.0.3");
  }

  @Test
  void implicitNullAndNonexistentDomains() throws Exception {
    MxResolution implicit = resolve("implicit.test").result();
    assertThat(implicit.source()).isEqualTo(MxResolution.Source.IMPLICIT);
    assertThat(implicit.hosts().get(0).addresses()).containsExactly("127.0.0.4");

    MxResolutionException nullMx = (MxResolutionException) resolve("null.test").cause();
    assertThat(nullMx.reply().code()).isEqualTo(556);
    assertThat(nullMx.reply().enhanced()).hasToString("5.1.10");

    MxResolutionException nx = (MxResolutionException) resolve("nope.test").cause();
    assertThat(nx.reply().code()).isEqualTo(550);
    assertThat(nx.reply().enhanced()).hasToString("5.1.2");
  }
}
