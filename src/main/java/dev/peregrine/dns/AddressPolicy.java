package dev.peregrine.dns;

/** Which address families of an MX host to use, and in which order. */
public enum AddressPolicy {
  IPV4_ONLY, IPV6_ONLY, IPV4_FIRST, IPV6_FIRST;

  public boolean wantsV4() {
    return this != IPV6_ONLY;
  }

  public boolean wantsV6() {
    return this != IPV4_ONLY;
  }
}
