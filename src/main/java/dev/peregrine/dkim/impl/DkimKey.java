package dev.peregrine.dkim.impl;

import dev.peregrine.dkim.DkimAlgorithm;
import dev.peregrine.dkim.DkimKeyOptions;

import java.security.PrivateKey;

/** A loaded private key with its domain, selector and algorithm; {@code bits} is the RSA modulus size (256 for Ed25519). */
public record DkimKey(DkimKeyOptions options, DkimAlgorithm algorithm, PrivateKey key, int bits) {

  public String domain() {
    return options.getDomain();
  }

  public String selector() {
    return options.getSelector();
  }
}
