package dev.peregrine.protocol;

/**
 * A failure that an SMTP reply explains: the server refused (or would refuse) with {@link #reply()}.
 * Transient when the reply is 4xx, permanent when 5xx.
 */
public class SmtpException extends RuntimeException {

  private final Reply reply;

  public SmtpException(Reply reply) {
    this(reply, null);
  }

  public SmtpException(Reply reply, Throwable cause) {
    super(reply.toString(), cause);
    this.reply = reply;
  }

  public Reply reply() {
    return reply;
  }

  public boolean isTransient() {
    return reply.isTransient();
  }

  public boolean isPermanent() {
    return reply.isPermanent();
  }
}
