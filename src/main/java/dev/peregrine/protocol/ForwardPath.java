package dev.peregrine.protocol;

/**
 * The RCPT TO path: a mailbox, or the bare {@code <Postmaster>} that every server must accept
 * (RFC 5321 §4.5.1), represented with a {@code null} mailbox.
 */
public record ForwardPath(Mailbox mailbox) {

  /** {@code <Postmaster>} with no domain. */
  public static final ForwardPath POSTMASTER = new ForwardPath(null);

  public static ForwardPath of(String address) {
    return "postmaster".equalsIgnoreCase(address) ? POSTMASTER : new ForwardPath(Mailbox.parse(address));
  }

  public boolean isPostmaster() {
    return mailbox == null;
  }

  @Override
  public String toString() {
    return isPostmaster() ? "<Postmaster>" : "<" + mailbox + ">";
  }
}
