package dev.peregrine.client;

/** When a client session uses STARTTLS. */
public enum TlsPolicy {
  /** Never; plaintext only. */
  DISABLED,
  /** When the server offers it, without checking the certificate (RFC 7435); plaintext otherwise. */
  OPPORTUNISTIC,
  /** Always; a server without STARTTLS or a failed handshake fails the session. Certificate not checked. */
  REQUIRED,
  /** Always, with the certificate checked against the trust store and the host name. */
  REQUIRED_VERIFIED
}
