package dev.peregrine.protocol;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * An ESMTP parameter of MAIL FROM or RCPT TO. The ones Peregrine implements are typed; any other keyword
 * is kept verbatim as {@link Unknown} so that the server can answer 555 and a relay can pass it on.
 * Values of ENVID, AUTH and ORCPT are held decoded; the encoder writes them as xtext (RFC 3461 §4).
 */
public sealed interface EsmtpParam {

  /** One constant per record type, for exhaustive switch expressions (see {@link SmtpCommand.Kind}). */
  enum Kind {
    SIZE, BODY, SMTPUTF8, REQUIRETLS, RET, ENVID, AUTH, NOTIFY, ORCPT, UNKNOWN
  }

  /** The record type as an enum constant. */
  Kind kind();

  /** The keyword as written by the encoder (upper case). */
  String keyword();

  /** {@code SIZE=n} (RFC 1870): the declared message size in octets. */
  record Size(long size) implements EsmtpParam {

    @Override
    public Kind kind() {
      return Kind.SIZE;
    }
    public Size {
      if (size < 0) {
        throw new IllegalArgumentException("SIZE must not be negative");
      }
    }

    @Override
    public String keyword() {
      return "SIZE";
    }
  }

  /** {@code BODY=} (RFC 6152, RFC 3030). */
  record Body(BodyType type) implements EsmtpParam {

    @Override
    public Kind kind() {
      return Kind.BODY;
    }
    @Override
    public String keyword() {
      return "BODY";
    }
  }

  /** The BODY parameter's values. */
  enum BodyType {
    SEVEN_BIT("7BIT"), EIGHT_BIT_MIME("8BITMIME"), BINARY_MIME("BINARYMIME");

    private final String token;

    BodyType(String token) {
      this.token = token;
    }

    public String token() {
      return token;
    }

    /** The type for a token, any case; {@code null} if unknown. */
    public static BodyType of(String token) {
      for (BodyType t : values()) {
        if (CommandParser.equalsIgnoreCase(token, t.token)) {
          return t;
        }
      }
      return null;
    }
  }

  /** {@code SMTPUTF8} (RFC 6531): the transaction may carry UTF-8 addresses and headers. */
  record SmtpUtf8() implements EsmtpParam {

    @Override
    public Kind kind() {
      return Kind.SMTPUTF8;
    }
    @Override
    public String keyword() {
      return "SMTPUTF8";
    }
  }

  /** {@code REQUIRETLS} (RFC 8689). */
  record RequireTls() implements EsmtpParam {

    @Override
    public Kind kind() {
      return Kind.REQUIRETLS;
    }
    @Override
    public String keyword() {
      return "REQUIRETLS";
    }
  }

  /** {@code RET=FULL|HDRS} (RFC 3461 §4.3). */
  record Ret(ReturnType type) implements EsmtpParam {

    @Override
    public Kind kind() {
      return Kind.RET;
    }
    @Override
    public String keyword() {
      return "RET";
    }
  }

  /** The RET parameter's values. */
  enum ReturnType {
    FULL, HDRS
  }

  /** {@code ENVID=} (RFC 3461 §4.4), decoded from xtext. */
  record EnvId(String envelopeId) implements EsmtpParam {

    @Override
    public Kind kind() {
      return Kind.ENVID;
    }
    @Override
    public String keyword() {
      return "ENVID";
    }
  }

  /** {@code AUTH=} on MAIL (RFC 4954 §5), decoded from xtext; {@code "<>"} when unknown. */
  record Auth(String mailbox) implements EsmtpParam {

    @Override
    public Kind kind() {
      return Kind.AUTH;
    }
    @Override
    public String keyword() {
      return "AUTH";
    }
  }

  /** {@code NOTIFY=} (RFC 3461 §4.1): NEVER alone, or any of SUCCESS, FAILURE, DELAY. */
  record Notify(Set<NotifyType> types) implements EsmtpParam {

    @Override
    public Kind kind() {
      return Kind.NOTIFY;
    }
    public Notify {
      if (types.isEmpty()) {
        throw new IllegalArgumentException("NOTIFY needs at least one value");
      }
      if (types.contains(NotifyType.NEVER) && types.size() > 1) {
        throw new IllegalArgumentException("NOTIFY=NEVER cannot be combined with other values");
      }
      types = Collections.unmodifiableSet(EnumSet.copyOf(types));
    }

    @Override
    public String keyword() {
      return "NOTIFY";
    }
  }

  /** The NOTIFY parameter's values. */
  enum NotifyType {
    NEVER, SUCCESS, FAILURE, DELAY
  }

  /** {@code ORCPT=addr-type;xtext} (RFC 3461 §4.2), the address decoded. */
  record OriginalRecipient(String addressType, String address) implements EsmtpParam {

    @Override
    public Kind kind() {
      return Kind.ORCPT;
    }
    @Override
    public String keyword() {
      return "ORCPT";
    }
  }

  /** A parameter Peregrine does not implement, kept as received; {@code value} is {@code null} if absent. */
  record Unknown(String keyword, String value) implements EsmtpParam {

    @Override
    public Kind kind() {
      return Kind.UNKNOWN;
    }
    public Unknown {
      keyword = CommandParser.upper(keyword);
    }
  }
}
