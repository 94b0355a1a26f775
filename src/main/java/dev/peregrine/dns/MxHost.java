package dev.peregrine.dns;

import java.util.List;

/**
 * One mail exchanger of a domain: its name, MX preference, the SMTP port to use and its addresses in the
 * order of the {@link AddressPolicy}. {@code addresses} is never empty in a {@link MxResolution}.
 */
public record MxHost(String name, int preference, int port, List<String> addresses) {

  public MxHost {
    addresses = List.copyOf(addresses);
  }
}
