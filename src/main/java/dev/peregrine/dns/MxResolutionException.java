package dev.peregrine.dns;

import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.SmtpException;

/**
 * A domain's mail exchangers could not be found. The reply says what to tell the sender: permanent for a
 * domain that does not exist (550 5.1.2), a null MX (556 5.1.10, RFC 7505) or MX hosts without addresses
 * (554 5.4.4); transient for a DNS failure or timeout (451 4.4.3).
 */
public class MxResolutionException extends SmtpException {

  private final String domain;

  public MxResolutionException(String domain, Reply reply, Throwable cause) {
    super(reply, cause);
    this.domain = domain;
  }

  public String domain() {
    return domain;
  }

  @Override
  public String getMessage() {
    return domain + ": " + reply();
  }
}
