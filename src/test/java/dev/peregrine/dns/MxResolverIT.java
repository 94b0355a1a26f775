package dev.peregrine.dns;

import dev.peregrine.dns.impl.DnsMxResolver;
import dev.peregrine.test.DnsFixture;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The MX resolver against a DNS server speaking the wire protocol on loopback ({@link DnsFixture}). */
class MxResolverIT extends VertxFixture {

  private DnsFixture dns;
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private MxResolver resolver;

  @BeforeEach
  void start() throws Exception {
    dns = DnsFixture.start();
  }

  @AfterEach
  void stop() throws Exception {
    if (resolver != null) {
      resolver.close().await(10, TimeUnit.SECONDS);
    }
    dns.close();
  }

  private MxResolverOptions options() {
    return new MxResolverOptions().addServer(dns.server()).setQueryTimeout(Duration.ofSeconds(5)).setPort(2525);
  }

  private MxResolver resolver(MxResolverOptions options) {
    resolver = new DnsMxResolver(vertx, options, clock::get, RandomGenerator.of("L64X128MixRandom"));
    return resolver;
  }

  private MxResolution resolve(String domain) {
    try {
      return resolver.resolve(domain).await(20, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer for " + domain + " within 20 s", e);
    }
  }

  private MxResolutionException failure(String domain) {
    Future<MxResolution> f = resolver.resolve(domain);
    try {
      f.await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      // inspected below
    }
    assertThat(f.failed()).as("resolving " + domain + " fails").isTrue();
    assertThat(f.cause()).isInstanceOf(MxResolutionException.class);
    return (MxResolutionException) f.cause();
  }

  private static List<String> names(MxResolution r) {
    return r.hosts().stream().map(MxHost::name).toList();
  }

  @Test
  void mailExchangersComeSortedByPreferenceWithTheirAddresses() {
    dns.mx("a.test", 300, 20, "mx2.a.test").mx("a.test", 300, 10, "mx1.a.test").mx("a.test", 300, 30, "mx3.a.test")
        .a("mx1.a.test", 300, "127.0.0.2").a("mx2.a.test", 300, "127.0.0.3").aaaa("mx2.a.test", 300, "::1")
        .a("mx3.a.test", 300, "127.0.0.4").a("mx3.a.test", 300, "127.0.0.5");
    resolver(options());
    MxResolution r = resolve("A.Test.");
    assertThat(r.domain()).isEqualTo("a.test");
    assertThat(r.source()).isEqualTo(MxResolution.Source.MX);
    assertThat(names(r)).containsExactly("mx1.a.test", "mx2.a.test", "mx3.a.test");
    assertThat(r.hosts().get(0)).isEqualTo(new MxHost("mx1.a.test", 10, 2525, List.of("127.0.0.2")));
    assertThat(r.hosts().get(1).addresses()).hasSize(2).first().isEqualTo("127.0.0.3");
    assertThat(InetAddressOf(r.hosts().get(1).addresses().get(1))).isEqualTo("::1");
    assertThat(r.hosts().get(2).addresses()).containsExactlyInAnyOrder("127.0.0.4", "127.0.0.5");
  }

  private static String InetAddressOf(String literal) {
    try {
      return InetAddress.getByName(literal).getHostAddress().replace("0:0:0:0:0:0:0:1", "::1");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void addressPolicyChoosesAndOrdersFamilies() {
    dns.mx("b.test", 300, 10, "mx.b.test").a("mx.b.test", 300, "127.0.0.2").aaaa("mx.b.test", 300, "::1");
    resolver(options().setAddressPolicy(AddressPolicy.IPV6_FIRST));
    assertThat(resolve("b.test").hosts().get(0).addresses()).hasSize(2).last().isEqualTo("127.0.0.2");
    resolver.close();
    resolver(options().setAddressPolicy(AddressPolicy.IPV6_ONLY));
    assertThat(resolve("b.test").hosts().get(0).addresses()).hasSize(1).first().matches(a -> a.contains(":"));
    resolver.close();
    resolver(options().setAddressPolicy(AddressPolicy.IPV4_ONLY));
    assertThat(resolve("b.test").hosts().get(0).addresses()).containsExactly("127.0.0.2");
    assertThat(dns.queries("mx.b.test", DnsFixture.AAAA)).as("v4 only asks no AAAA").isEqualTo(2);
  }

  @Test
  void hostsOfEqualPreferenceAreShuffledOnEveryLookupFromOneCachedAnswer() {
    dns.mx("c.test", 300, 10, "x.c.test").mx("c.test", 300, 10, "y.c.test").mx("c.test", 300, 10, "z.c.test")
        .mx("c.test", 300, 5, "first.c.test").mx("c.test", 300, 50, "last.c.test");
    for (String h : List.of("x", "y", "z", "first", "last")) {
      dns.a(h + ".c.test", 300, "127.0.0.2");
    }
    resolver(options());
    Set<List<String>> orders = new HashSet<>();
    for (int i = 0; i < 300; i++) {
      List<String> n = names(resolve("c.test"));
      assertThat(n.get(0)).isEqualTo("first.c.test");
      assertThat(n.get(4)).isEqualTo("last.c.test");
      orders.add(n.subList(1, 4));
    }
    assertThat(orders).as("all 6 orders of three equal hosts appear").hasSize(6);
    assertThat(dns.queries("c.test", DnsFixture.MX)).as("one query, the rest from the cache").isEqualTo(1);
  }

  @Test
  void noMxMeansTheDomainItselfIsTheExchanger() {
    dns.exists("d.test").a("d.test", 300, "127.0.0.7");
    resolver(options());
    MxResolution r = resolve("d.test");
    assertThat(r.source()).isEqualTo(MxResolution.Source.IMPLICIT);
    assertThat(r.hosts()).containsExactly(new MxHost("d.test", 0, 2525, List.of("127.0.0.7")));
  }

  @Test
  void noMxAndNoAddressIsPermanent() {
    dns.exists("void.test");
    resolver(options());
    MxResolutionException e = failure("void.test");
    assertThat(e.reply().code()).isEqualTo(550);
    assertThat(e.reply().enhanced()).hasToString("5.1.2");
  }

  @Test
  void nullMxIsPermanent556AndCachedNegatively() {
    dns.nullMx("null.test", 300);
    resolver(options());
    MxResolutionException e = failure("null.test");
    assertThat(e.isPermanent()).isTrue();
    assertThat(e.reply().code()).isEqualTo(556);
    assertThat(e.reply().enhanced()).hasToString("5.1.10");
    assertThat(e.reply().text()).contains("null MX");
    failure("null.test");
    assertThat(dns.queries("null.test", DnsFixture.MX)).isEqualTo(1);
    clock.addAndGet(Duration.ofMinutes(5).plusSeconds(1).toNanos());
    failure("null.test");
    assertThat(dns.queries("null.test", DnsFixture.MX)).as("asked again after negative-ttl").isEqualTo(2);
  }

  @Test
  void nxdomainIsPermanent5_1_2() {
    resolver(options());
    MxResolutionException e = failure("nowhere.test");
    assertThat(e.isPermanent()).isTrue();
    assertThat(e.reply().code()).isEqualTo(550);
    assertThat(e.reply().enhanced()).hasToString("5.1.2");
    assertThat(e.domain()).isEqualTo("nowhere.test");
  }

  @Test
  void servfailIsTransient4_4_3AndNotCached() {
    dns.servfail("broken.test");
    resolver(options());
    MxResolutionException e = failure("broken.test");
    assertThat(e.isTransient()).isTrue();
    assertThat(e.reply().code()).isEqualTo(451);
    assertThat(e.reply().enhanced()).hasToString("4.4.3");
    assertThat(e.reply().text()).contains("SERVFAIL");
    failure("broken.test");
    assertThat(dns.queries("broken.test", DnsFixture.MX)).isEqualTo(2);
  }

  @Test
  void aServerThatNeverAnswersIsATransientTimeout() {
    dns.silent("slow.test");
    resolver(options().setQueryTimeout(Duration.ofMillis(300)));
    MxResolutionException e = failure("slow.test");
    assertThat(e.isTransient()).isTrue();
    assertThat(e.reply().enhanced()).hasToString("4.4.3");
  }

  @Test
  void theNextServerIsAskedWhenOneDoesNotAnswer() throws Exception {
    dns.mx("e.test", 300, 10, "mx.e.test").a("mx.e.test", 300, "127.0.0.2");
    try (DatagramSocket mute = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      resolver(new MxResolverOptions().addServer("127.0.0.1:" + mute.getLocalPort()).addServer(dns.server())
          .setQueryTimeout(Duration.ofMillis(300)).setPort(2525));
      assertThat(names(resolve("e.test"))).containsExactly("mx.e.test");
    }
  }

  @Test
  void mailExchangersWithoutAddressesArePermanentAndAFailedAddressLookupTransient() {
    dns.mx("f.test", 300, 10, "gone.f.test").mx("g.test", 300, 10, "sick.g.test").servfail("sick.g.test")
        .mx("h.test", 300, 10, "gone.h.test").mx("h.test", 300, 20, "ok.h.test").a("ok.h.test", 300, "127.0.0.2");
    resolver(options());
    MxResolutionException f = failure("f.test");
    assertThat(f.reply().code()).isEqualTo(554);
    assertThat(f.reply().enhanced()).hasToString("5.4.4");
    MxResolutionException g = failure("g.test");
    assertThat(g.reply().enhanced()).hasToString("4.4.3");
    assertThat(names(resolve("h.test"))).as("a host without address is skipped").containsExactly("ok.h.test");
  }

  @Test
  void answersExpireWithTheirTtlWithinTheFloorAndCeiling() {
    dns.mx("t.test", 60, 10, "old.t.test").a("old.t.test", 300, "127.0.0.2").a("new.t.test", 300, "127.0.0.3");
    resolver(options().setMinTtl(Duration.ofSeconds(10)).setMaxTtl(Duration.ofHours(1)));
    assertThat(names(resolve("t.test"))).containsExactly("old.t.test");
    dns.remove("t.test").mx("t.test", 1, 10, "new.t.test");
    clock.addAndGet(Duration.ofSeconds(59).toNanos());
    assertThat(names(resolve("t.test"))).as("still within the 60 s TTL").containsExactly("old.t.test");
    clock.addAndGet(Duration.ofSeconds(2).toNanos());
    assertThat(names(resolve("t.test"))).as("expired: asked again").containsExactly("new.t.test");
    assertThat(dns.queries("t.test", DnsFixture.MX)).isEqualTo(2);
    clock.addAndGet(Duration.ofSeconds(9).toNanos());
    resolve("t.test");
    assertThat(dns.queries("t.test", DnsFixture.MX)).as("a 1 s TTL is raised to the 10 s floor").isEqualTo(2);
    clock.addAndGet(Duration.ofSeconds(2).toNanos());
    resolve("t.test");
    assertThat(dns.queries("t.test", DnsFixture.MX)).isEqualTo(3);
  }

  @Test
  void expiredAnswersAreForgottenNowAndThen() {
    DnsMxResolver r = (DnsMxResolver) resolver(options().setNegativeTtl(Duration.ofSeconds(1)));
    for (int i = 0; i < 4000; i++) {
      failure("gone" + i + ".test");
    }
    assertThat(r.cached()).isEqualTo(4000);
    clock.addAndGet(Duration.ofSeconds(2).toNanos());
    for (int i = 0; i < 200; i++) {
      failure("again" + i + ".test");
    }
    assertThat(r.cached()).as("the 4,000 expired answers were swept; the 200 new ones stay").isEqualTo(200);
  }

  @Test
  void concurrentLookupsOfOneDomainShareOneQuery() throws Exception {
    dns.mx("k.test", 300, 10, "mx.k.test").a("mx.k.test", 300, "127.0.0.2");
    resolver(options());
    dns.hold();
    List<Future<MxResolution>> all = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      all.add(resolver.resolve("k.test"));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (dns.heldCount() < 1 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(all).allMatch(f -> !f.isComplete());
    dns.release();
    for (Future<MxResolution> f : all) {
      assertThat(names(f.await(20, TimeUnit.SECONDS))).containsExactly("mx.k.test");
    }
    assertThat(dns.queries("k.test", DnsFixture.MX)).isEqualTo(1);
  }

  @Test
  void staticRoutesAndASmarthostOverrideDns() {
    dns.a("relay.example.test", 300, "127.0.0.9");
    resolver(options().addRoute("lit.test", "[127.0.0.8]:2600").addRoute("*", "relay.example.test:2601"));
    MxResolution lit = resolve("lit.test");
    assertThat(lit.source()).isEqualTo(MxResolution.Source.ROUTE);
    assertThat(lit.hosts()).containsExactly(new MxHost("127.0.0.8", 0, 2600, List.of("127.0.0.8")));
    MxResolution any = resolve("anything.test");
    assertThat(any.hosts()).containsExactly(new MxHost("relay.example.test", 0, 2601, List.of("127.0.0.9")));
    assertThat(dns.queries("anything.test", DnsFixture.MX)).isZero();
  }

  @Test
  void aPartialAnswerIsUsedButNotCached() {
    dns.mx("part.test", 300, 10, "sick.part.test").mx("part.test", 300, 20, "ok.part.test")
        .servfail("sick.part.test").a("ok.part.test", 300, "127.0.0.2");
    resolver(options());
    assertThat(names(resolve("part.test"))).containsExactly("ok.part.test");
    assertThat(names(resolve("part.test"))).containsExactly("ok.part.test");
    assertThat(dns.queries("part.test", DnsFixture.MX)).as("asked again: the primary may be back").isEqualTo(2);
  }

  @Test
  void routeKeysAreMatchedAsLookupsAreAndASmarthostTakesLiteralsToo() {
    resolver(options().addRoute("Relay.Test.", "[127.0.0.8]:2600").addRoute("*", "[127.0.0.9]:2601"));
    assertThat(resolve("relay.test").hosts().get(0).port()).isEqualTo(2600);
    MxResolution literal = resolve("[127.0.0.5]");
    assertThat(literal.source()).isEqualTo(MxResolution.Source.ROUTE);
    assertThat(literal.hosts().get(0).port()).isEqualTo(2601);
  }

  @Test
  void addressLiteralsNeedNoDns() {
    resolver(options());
    assertThat(resolve("[127.0.0.5]").hosts()).containsExactly(new MxHost("127.0.0.5", 0, 2525, List.of("127.0.0.5")));
    assertThat(resolve("[IPv6:::1]").hosts().get(0).addresses()).containsExactly("::1");
    assertThat(failure("[300.1.1.1]").reply().code()).isEqualTo(501);
  }

  @Test
  void badRouteTargetsAreRefusedByName() {
    assertThatThrownBy(() -> new MxResolverOptions().addRoute("x.test", "host:99999"))
        .hasMessageContaining("bad port").hasMessageContaining("host:99999");
    assertThatThrownBy(() -> new MxResolverOptions().addRoute("x.test", "[127.0.0.1"))
        .hasMessageContaining("without ']'");
  }

  @Test
  void resultsArriveOnTheCallersContext() throws Exception {
    dns.mx("ctx.test", 300, 10, "mx.ctx.test").a("mx.ctx.test", 300, "127.0.0.2");
    resolver(options());
    List<Context> contexts = List.of(vertx.getOrCreateContext(), vertx.getOrCreateContext());
    List<Future<Boolean>> checks = new ArrayList<>();
    for (Context ctx : contexts) {
      Promise<Boolean> p = Promise.promise();
      ctx.runOnContext(v -> resolver.resolve("ctx.test").onComplete(ar -> p.complete(Vertx.currentContext() == ctx)));
      checks.add(p.future());
    }
    for (Future<Boolean> c : checks) {
      assertThat(c.await(20, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void optionsRoundTripThroughJson() {
    MxResolverOptions o = new MxResolverOptions().addServer("127.0.0.1:5353").setMinTtl(Duration.ofSeconds(7))
        .setAddressPolicy(AddressPolicy.IPV6_FIRST).setPort(2526).addRoute("a.test", "[127.0.0.2]:25");
    MxResolverOptions back = new MxResolverOptions(o.toJson());
    assertThat(back.toJson()).isEqualTo(o.toJson());
    assertThatThrownBy(() -> new MxResolverOptions(new io.vertx.core.json.JsonObject().put("min-tll", "1s")))
        .hasMessageContaining("min-tll");
  }

}
