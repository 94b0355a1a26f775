package dev.peregrine.dns;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Where mail for a domain goes: its mail exchangers in the order to try them (by preference, hosts of
 * equal preference shuffled per lookup). {@code source} tells how they were found.
 */
public record MxResolution(String domain, List<MxHost> hosts, Source source) {

  public enum Source {
    /** MX records. */
    MX,
    /** No MX records: the domain's own address (RFC 5321 §5.1). */
    IMPLICIT,
    /** A static route (or smarthost) from the configuration. */
    ROUTE,
    /** An address literal ({@code user@[192.0.2.1]}). */
    LITERAL
  }

  public MxResolution {
    hosts = List.copyOf(hosts);
  }

  /**
   * This resolution with hosts of equal preference in a random order; the hosts must be sorted by
   * preference.
   */
  public MxResolution shuffled(RandomGenerator random) {
    if (hosts.size() < 2) {
      return this;
    }
    List<MxHost> out = new ArrayList<>(hosts);
    int start = 0;
    while (start < out.size()) {
      int end = start + 1;
      while (end < out.size() && out.get(end).preference() == out.get(start).preference()) {
        end++;
      }
      for (int i = end - 1; i > start; i--) { // Fisher-Yates within [start, end)
        int j = start + random.nextInt(i - start + 1);
        MxHost t = out.get(i);
        out.set(i, out.get(j));
        out.set(j, t);
      }
      start = end;
    }
    return new MxResolution(domain, out, source);
  }
}
