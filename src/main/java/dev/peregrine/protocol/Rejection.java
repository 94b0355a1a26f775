package dev.peregrine.protocol;

/**
 * Why a command line was refused, and the reply that says so. Address problems map to X.1.7 on MAIL and
 * X.1.3 on RCPT (RFC 3463 §3.2).
 */
public enum Rejection {
  /** Not a verb Peregrine knows (and not a parameter-less unknown verb the caller wants to see). */
  UNRECOGNIZED_COMMAND(500, "5.5.2", "Command unrecognized"),
  /** The command line is longer than the limit (RFC 5321 §4.5.3.1.4). */
  LINE_TOO_LONG(500, "5.5.2", "Line too long"),
  /** An AUTH exchange line is longer than the limit (RFC 4954 §4). */
  AUTH_LINE_TOO_LONG(500, "5.5.6", "Authentication exchange line is too long"),
  /** NUL, a bare CR, another control character or invalid UTF-8 in the command line. */
  INVALID_CHARACTER(500, "5.5.2", "Invalid character in command"),
  /** A required argument is missing (EHLO without a domain, MAIL without FROM:). */
  MISSING_ARGUMENT(501, "5.5.4", "Syntax error: missing argument"),
  /** A command that takes no argument got one (DATA, RSET, QUIT, STARTTLS). */
  UNEXPECTED_ARGUMENT(501, "5.5.4", "Syntax error: no arguments allowed"),
  /** Arguments that do not follow the command's grammar. */
  SYNTAX_ERROR(501, "5.5.4", "Syntax error in parameters or arguments"),
  /** The path is not {@code <mailbox>} per RFC 5321 §4.1.2. */
  ADDRESS_SYNTAX(501, "5.1.3", "Bad address syntax"),
  /** The local part is longer than 64 octets (RFC 5321 §4.5.3.1.1). */
  LOCAL_PART_TOO_LONG(501, "5.1.3", "Local part too long"),
  /** The domain is longer than 255 octets (RFC 5321 §4.5.3.1.2). */
  DOMAIN_TOO_LONG(501, "5.1.3", "Domain too long"),
  /** The path is longer than 256 octets (RFC 5321 §4.5.3.1.3). */
  PATH_TOO_LONG(501, "5.1.3", "Path too long"),
  /** A UTF-8 address without SMTPUTF8 in force (RFC 6531 §3.5). */
  NON_ASCII_ADDRESS(553, "5.6.7", "Non-ASCII address requires SMTPUTF8"),
  /** A known ESMTP parameter with a bad value, or given twice. */
  PARAMETER_SYNTAX(501, "5.5.4", "Syntax error in parameters"),
  /** An ESMTP parameter keyword that is not recognised for this command (RFC 5321 §4.1.1.11). */
  UNRECOGNIZED_PARAMETER(555, "5.5.4", "Parameter not recognized or not implemented");

  private final int code;
  private final String enhanced;
  private final String text;

  Rejection(int code, String enhanced, String text) {
    this.code = code;
    this.enhanced = enhanced;
    this.text = text;
  }

  public int code() {
    return code;
  }

  /** The default text of the reply. */
  public String text() {
    return text;
  }

  /** True for the reasons that concern the address of a MAIL or RCPT. */
  public boolean isAddressProblem() {
    return enhanced.equals("5.1.3");
  }

  /**
   * The reply for this reason on the given verb, with {@code detail} (may be {@code null}) appended to
   * the text.
   */
  public Reply reply(String verb, String detail) {
    String enh = isAddressProblem() && "MAIL".equals(verb) ? "5.1.7" : enhanced;
    String t = detail == null || detail.isEmpty() ? text : text + ": " + detail;
    return Reply.of(code, enh, t);
  }
}
