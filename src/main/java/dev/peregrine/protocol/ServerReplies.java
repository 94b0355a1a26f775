package dev.peregrine.protocol;

/**
 * The catalogue of replies the server sends, named code first. Enhanced codes per RFC 3463/5248; 3xx
 * replies carry none (RFC 2034 §3). Texts avoid revealing software or versions.
 */
public final class ServerReplies {

  private ServerReplies() {
  }

  /** The greeting: {@code 220 <host> ESMTP <text>}. */
  public static Reply greeting(String hostname, String text) {
    return Reply.of(220, null, hostname + " ESMTP " + text);
  }

  /** The first line of the EHLO reply. */
  public static String ehloGreeting(String hostname, String clientName) {
    return hostname + " greets " + clientName;
  }

  public static final Reply R214_HELP = Reply.of(214, "2.0.0", "See RFC 5321, https://www.rfc-editor.org/rfc/rfc5321");
  public static final Reply R220_READY_FOR_TLS = Reply.of(220, "2.0.0", "Ready to start TLS");
  public static final Reply R221_BYE = Reply.of(221, "2.0.0", "Bye");
  public static final Reply R235_AUTH_OK = Reply.of(235, "2.7.0", "Authentication successful");
  public static final Reply R250_OK = Reply.of(250, "2.0.0", "OK");
  public static final Reply R250_SENDER_OK = Reply.of(250, "2.1.0", "Sender OK");
  public static final Reply R250_RECIPIENT_OK = Reply.of(250, "2.1.5", "Recipient OK");
  public static final Reply R250_RESET = Reply.of(250, "2.0.0", "Reset state");
  public static final Reply R252_CANNOT_VRFY = Reply.of(252, "2.5.0",
      "Cannot VRFY user, but will accept message and attempt delivery");
  public static final Reply R354_START_DATA = Reply.of(354, null, "End data with <CR><LF>.<CR><LF>");

  public static final Reply R421_SHUTTING_DOWN = Reply.of(421, "4.3.2", "Service shutting down, closing connection");
  public static final Reply R421_TIMEOUT = Reply.of(421, "4.4.2", "Timeout exceeded, closing connection");
  public static final Reply R421_TOO_MANY_CONNECTIONS = Reply.of(421, "4.7.0", "Too many connections, try again later");
  public static final Reply R421_TOO_MANY_ERRORS = Reply.of(421, "4.7.0", "Too many errors, closing connection");
  public static final Reply R451_LOCAL_ERROR = Reply.of(451, "4.3.0", "Local error in processing, try again later");
  public static final Reply R452_TOO_MANY_RECIPIENTS = Reply.of(452, "4.5.3", "Too many recipients");
  public static final Reply R454_TLS_NOT_AVAILABLE = Reply.of(454, "4.7.0", "TLS not available");
  public static final Reply R454_AUTH_TEMPORARY_FAILURE = Reply.of(454, "4.7.0", "Temporary authentication failure");

  public static final Reply R500_UNRECOGNIZED = Reply.of(500, "5.5.2", "Command unrecognized");
  public static final Reply R500_LINE_TOO_LONG = Reply.of(500, "5.5.2", "Line too long");
  public static final Reply R500_AUTH_LINE_TOO_LONG = Reply.of(500, "5.5.6", "Authentication exchange line is too long");
  public static final Reply R501_SYNTAX = Reply.of(501, "5.5.4", "Syntax error in parameters or arguments");
  public static final Reply R501_AUTH_CANCELLED = Reply.of(501, "5.0.0", "Authentication cancelled");
  public static final Reply R502_NOT_IMPLEMENTED = Reply.of(502, "5.5.1", "Command not implemented");
  public static final Reply R502_EXPN_DISABLED = Reply.of(502, "5.5.1", "EXPN command disabled");
  public static final Reply R503_BAD_SEQUENCE = Reply.of(503, "5.5.1", "Bad sequence of commands");
  public static final Reply R503_EHLO_FIRST = Reply.of(503, "5.5.1", "Send EHLO or HELO first");
  public static final Reply R503_MAIL_FIRST = Reply.of(503, "5.5.1", "Need MAIL command");
  public static final Reply R503_RCPT_FIRST = Reply.of(503, "5.5.1", "Need RCPT command");
  public static final Reply R503_NESTED_MAIL = Reply.of(503, "5.5.1", "Sender already specified");
  public static final Reply R503_ALREADY_AUTHENTICATED = Reply.of(503, "5.5.1", "Already authenticated");
  public static final Reply R503_AUTH_IN_TRANSACTION = Reply.of(503, "5.5.1", "AUTH not allowed during a mail transaction");
  public static final Reply R503_ALREADY_TLS = Reply.of(503, "5.5.1", "TLS already active");
  public static final Reply R503_BDAT_AFTER_DATA = Reply.of(503, "5.5.1", "BDAT and DATA cannot be mixed in one transaction");
  public static final Reply R504_AUTH_MECHANISM = Reply.of(504, "5.5.4", "Unrecognized authentication mechanism");
  public static final Reply R530_STARTTLS_FIRST = Reply.of(530, "5.7.0", "Must issue a STARTTLS command first");
  public static final Reply R530_AUTH_REQUIRED = Reply.of(530, "5.7.0", "Authentication required");
  public static final Reply R535_AUTH_FAILED = Reply.of(535, "5.7.8", "Authentication credentials invalid");
  public static final Reply R538_ENCRYPTION_REQUIRED = Reply.of(538, "5.7.11",
      "Encryption required for requested authentication mechanism");
  public static final Reply R550_BARE_LINE_ENDING = Reply.of(550, "5.6.0", "Message refused: bare CR or LF");
  public static final Reply R552_MESSAGE_TOO_BIG = Reply.of(552, "5.3.4", "Message size exceeds fixed maximum message size");
  public static final Reply R554_RELAY_DENIED = Reply.of(554, "5.7.1", "Relay access denied");
  public static final Reply R554_NO_VALID_RECIPIENTS = Reply.of(554, "5.5.1", "No valid recipients");
  public static final Reply R555_UNSUPPORTED_PARAMETER = Reply.of(555, "5.5.4", "Parameter not recognized or not implemented");
}
