package dev.peregrine.config;

import dev.peregrine.server.SmtpServerOptions;

/**
 * One SMTP listener of {@code serve}: a name, a role that fixes its security rules, its server options and
 * how many verticle instances serve it (one per event loop by default).
 */
public record Listener(String name, Role role, SmtpServerOptions options, int instances) {

  /** What a listener is for, and so what it requires before MAIL. */
  public enum Role {
    /** Port 25 style: mail for our local and relay domains from anyone; STARTTLS offered, not required. */
    MX,
    /** Port 587 (RFC 6409): STARTTLS and then AUTH required before MAIL. */
    SUBMISSION,
    /** Port 465 (RFC 8314): TLS from the first byte, AUTH required before MAIL. */
    SUBMISSIONS
  }
}
