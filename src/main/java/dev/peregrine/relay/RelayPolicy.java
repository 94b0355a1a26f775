package dev.peregrine.relay;

import dev.peregrine.protocol.ForwardPath;
import dev.peregrine.protocol.Mailbox;
import dev.peregrine.protocol.Reply;

import java.net.IDN;
import java.net.InetAddress;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Who may send mail where: the rule that keeps a relay from being an open relay. A recipient is accepted
 * when its domain is one of ours ({@link Decision#LOCAL}), or one we relay for, or the client authenticated
 * or connects from a configured network ({@link Decision#RELAY}); otherwise it is refused with
 * {@code 554 5.7.1}, per recipient (Postfix's {@code smtpd_relay_restrictions} default, KumoMTA's relay
 * domains and relay hosts).
 *
 * <p>Domains are compared in their ASCII form (IDNA: a U-label domain and its {@code xn--} form are the
 * same), case-insensitively. The decision is on the domain alone: the local part is the destination's to
 * interpret (RFC 5321 §2.4), so {@code user%victim@ours}, {@code "user@victim"@ours} and
 * {@code victim!user@ours} are local mail to an odd local part, never relayed. A source route is ignored
 * (RFC 5321 §4.1.1.3; the parser drops it). An address literal is never local; it is relayed only for
 * clients allowed to relay. Pure: no I/O, any thread.
 */
public final class RelayPolicy {

  /** What to do with a recipient. */
  public enum Decision {
    /** One of our domains (or the bare postmaster): deliver here. */
    LOCAL,
    /** Someone else's domain that this client may send to: queue for delivery. */
    RELAY,
    /** Someone else's domain, and this client may not relay: refuse. */
    DENIED
  }

  public static final Reply R554_RELAY_DENIED = Reply.of(554, "5.7.1", "Relay access denied");

  private final Set<String> localDomains;
  private final Set<String> relayDomains;
  private final List<Cidr> clientNetworks;

  /**
   * @param localDomains domains delivered here, any case, U-labels or A-labels
   * @param relayDomains domains relayed for any client (a backup MX's)
   * @param clientNetworks clients allowed to relay anywhere without AUTH ({@code mynetworks})
   */
  public RelayPolicy(Collection<String> localDomains, Collection<String> relayDomains, Collection<Cidr> clientNetworks) {
    this.localDomains = normalizeAll(localDomains);
    this.relayDomains = normalizeAll(relayDomains);
    this.clientNetworks = List.copyOf(clientNetworks);
  }

  private static Set<String> normalizeAll(Collection<String> domains) {
    return domains.stream().map(d -> {
      String n = normalize(d);
      if (n == null) {
        throw new IllegalArgumentException("not a domain name: " + d);
      }
      return n;
    }).collect(Collectors.toUnmodifiableSet());
  }

  /** A domain in its comparable form: ASCII (IDNA), lower case; null when it is not a valid name. */
  public static String normalize(String domain) {
    try {
      return IDN.toASCII(domain, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** True when the client may relay to any domain: it authenticated, or it is in a client network. */
  public boolean mayRelay(InetAddress client, boolean authenticated) {
    if (authenticated) {
      return true;
    }
    if (client != null) {
      for (Cidr n : clientNetworks) {
        if (n.contains(client)) {
          return true;
        }
      }
    }
    return false;
  }

  public Decision decide(ForwardPath recipient, InetAddress client, boolean authenticated) {
    if (isLocal(recipient)) {
      return Decision.LOCAL;
    }
    Mailbox m = recipient.mailbox();
    if (!m.isAddressLiteral()) {
      String domain = normalize(m.domain());
      if (domain != null && relayDomains.contains(domain)) {
        return Decision.RELAY;
      }
    }
    return mayRelay(client, authenticated) ? Decision.RELAY : Decision.DENIED;
  }

  /** True for the bare {@code <Postmaster>} (RFC 5321 §4.5.1: always ours) and our local domains' addresses. */
  public boolean isLocal(ForwardPath recipient) {
    if (recipient.isPostmaster()) {
      return true;
    }
    Mailbox m = recipient.mailbox();
    if (m.isAddressLiteral()) {
      return false;
    }
    String domain = normalize(m.domain());
    return domain != null && localDomains.contains(domain);
  }

  public Set<String> localDomains() {
    return localDomains;
  }

  public Set<String> relayDomains() {
    return relayDomains;
  }

  public List<Cidr> clientNetworks() {
    return clientNetworks;
  }
}
