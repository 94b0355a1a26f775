package dev.peregrine.dkim;

/**
 * A signing algorithm, chosen by the key: {@code rsa-sha256} (RFC 6376, keys of 2048 bits and more) or
 * {@code ed25519-sha256} (RFC 8463).
 */
public enum DkimAlgorithm {
  RSA_SHA256("rsa-sha256", "rsa"),
  ED25519_SHA256("ed25519-sha256", "ed25519");

  private final String tag;
  private final String keyType;

  DkimAlgorithm(String tag, String keyType) {
    this.tag = tag;
    this.keyType = keyType;
  }

  /** The {@code a=} tag of the signature. */
  public String tag() {
    return tag;
  }

  /** The {@code k=} tag of the DNS key record. */
  public String keyType() {
    return keyType;
  }
}
