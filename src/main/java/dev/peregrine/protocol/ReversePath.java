package dev.peregrine.protocol;

/**
 * The MAIL FROM path: a mailbox, or the null path {@code <>} used for bounces (RFC 5321 §4.5.5).
 */
public record ReversePath(Mailbox mailbox) {

  /** The null reverse path {@code <>}. */
  public static final ReversePath NULL = new ReversePath(null);

  public static ReversePath of(String address) {
    return address.isEmpty() ? NULL : new ReversePath(Mailbox.parse(address));
  }

  public boolean isNull() {
    return mailbox == null;
  }

  @Override
  public String toString() {
    return isNull() ? "<>" : "<" + mailbox + ">";
  }
}
