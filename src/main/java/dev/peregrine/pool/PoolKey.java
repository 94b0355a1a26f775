package dev.peregrine.pool;

import dev.peregrine.client.TlsPolicy;

/**
 * What makes two sessions interchangeable: the MX host's address and port, the TLS policy, the AUTH
 * identity (null = none) and the local (source) address (null = any). Domains whose mail exchangers share an
 * address share sessions.
 */
public record PoolKey(String address, int port, TlsPolicy tlsPolicy, String authIdentity, String localAddress) {

  public PoolKey {
    if (address == null || address.isEmpty()) {
      throw new IllegalArgumentException("a pool key needs an address");
    }
  }

  @Override
  public String toString() {
    return address + ":" + port + "/" + tlsPolicy + (authIdentity == null ? "" : "/" + authIdentity)
        + (localAddress == null ? "" : " from " + localAddress);
  }
}
