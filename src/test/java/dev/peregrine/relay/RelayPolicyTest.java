package dev.peregrine.relay;

import dev.peregrine.protocol.ForwardPath;
import dev.peregrine.protocol.Mailbox;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The relay rule without I/O: which recipients are local, relayed or refused, for whom. */
class RelayPolicyTest {

  private static final RelayPolicy POLICY = new RelayPolicy(List.of("Example.COM", "bücher.example"),
      List.of("backup.example"), List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("2001:db8::/32")));

  private static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal);
  }

  private static ForwardPath to(String local, String domain) {
    return new ForwardPath(new Mailbox(local, domain));
  }

  @ParameterizedTest(name = "{0}@{1} from {2}, auth {3}: {4}")
  @CsvSource(delimiter = '|', textBlock = """
      user               | example.com        | 192.0.2.1 | false | LOCAL
      user               | EXAMPLE.Com        | 192.0.2.1 | false | LOCAL
      user               | xn--bcher-kva.example | 192.0.2.1 | false | LOCAL
      user               | BÜCHER.example     | 192.0.2.1 | false | LOCAL
      user%victim.test   | example.com        | 192.0.2.1 | false | LOCAL
      '"user@victim.test"' | example.com      | 192.0.2.1 | false | LOCAL
      victim.test!user   | example.com        | 192.0.2.1 | false | LOCAL
      user               | backup.example     | 192.0.2.1 | false | RELAY
      user               | victim.test        | 192.0.2.1 | false | DENIED
      user               | example.com.victim.test | 192.0.2.1 | false | DENIED
      user               | victim.test        | 192.0.2.1 | true  | RELAY
      user               | victim.test        | 10.1.2.3  | false | RELAY
      user               | victim.test        | ::ffff:10.1.2.3 | false | RELAY
      user               | victim.test        | 2001:db8::5 | false | RELAY
      user               | victim.test        | 2001:db9::5 | false | DENIED
      user               | victim.test        | 11.0.0.1  | false | DENIED
      user               | [192.0.2.7]        | 192.0.2.1 | false | DENIED
      user               | [IPv6:2001:db8::1] | 192.0.2.1 | false | DENIED
      user               | [192.0.2.7]        | 10.0.0.1  | false | RELAY
      """)
  void decides(String local, String domain, String client, boolean auth, RelayPolicy.Decision expected) throws Exception {
    assertThat(POLICY.decide(to(local, domain), ip(client), auth)).isEqualTo(expected);
  }

  @Test
  void theBarePostmasterIsAlwaysLocal() throws Exception {
    assertThat(POLICY.decide(ForwardPath.POSTMASTER, ip("192.0.2.1"), false)).isEqualTo(RelayPolicy.Decision.LOCAL);
  }

  @Test
  void anUnknownClientAddressMayNotRelay() {
    assertThat(POLICY.decide(to("user", "victim.test"), null, false)).isEqualTo(RelayPolicy.Decision.DENIED);
  }

  @Test
  void networksAreParsedStrictly() {
    assertThat(Cidr.parse("192.0.2.77/24")).isEqualTo(Cidr.parse("192.0.2.0/24"));
    assertThat(Cidr.parse("::1").toString()).isEqualTo("0:0:0:0:0:0:0:1/128");
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).hasMessageContaining("prefix length out of range");
    assertThatThrownBy(() -> Cidr.parse("mail.example.com")).hasMessageContaining("not an IP address");
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/x")).hasMessageContaining("bad prefix length");
    assertThat(Cidr.parse("0.0.0.0/0").contains(InetAddress.getLoopbackAddress())).isTrue();
  }

  @Test
  void aBadDomainIsRefusedByName() {
    assertThatThrownBy(() -> new RelayPolicy(List.of("bad..domain"), List.of(), List.of()))
        .hasMessageContaining("not a domain name: bad..domain");
  }
}
