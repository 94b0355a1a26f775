package dev.peregrine.protocol;

/**
 * The peer broke the SMTP wire protocol: a malformed reply line, a continuation with a different code,
 * an overlong line. Never used for a well-formed negative reply; those are {@link Reply} values.
 */
public class SmtpProtocolException extends RuntimeException {

  public SmtpProtocolException(String message) {
    super(message);
  }
}
