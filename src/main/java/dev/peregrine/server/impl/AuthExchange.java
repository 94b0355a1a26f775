package dev.peregrine.server.impl;

import dev.peregrine.server.Credentials;

import java.util.Map;
import java.util.function.Supplier;

/**
 * One SASL exchange (RFC 4954) from the AUTH command to the credentials to check, driven by a table of
 * mechanisms: each turns the client's responses into the next challenge or the credentials. No I/O, no
 * verification: the connection sends the challenges and asks the handler.
 *
 * <p>Used on the connection's context only.
 */
final class AuthExchange {

  /** What the exchange needs next. */
  sealed interface Step {
  }

  /** Send {@code 334 base64} and read one more response line. */
  record Challenge(String base64) implements Step {
  }

  /** The exchange is complete: check these. */
  record Verify(Credentials credentials) implements Step {
  }

  /** A response that is not valid base64 or not valid for the mechanism (501 5.5.2). */
  record Malformed() implements Step {
  }

  private interface Mechanism {
    /** The first step, with the initial response of the AUTH command or {@code null} when none was sent. */
    Step start(String initialResponse);

    /** The step after a response to a challenge. */
    Step next(String response);
  }

  /** The mechanisms the server speaks, by their IANA names. */
  private static final Map<String, Supplier<Mechanism>> MECHANISMS = Map.of(
      "PLAIN", Plain::new,
      "LOGIN", Login::new);

  private final Mechanism mechanism;

  private AuthExchange(Mechanism mechanism) {
    this.mechanism = mechanism;
  }

  static boolean supports(String mechanism) {
    return MECHANISMS.containsKey(mechanism);
  }

  /** Starts an exchange; the mechanism must be one that {@link #supports(String)} accepts. */
  static AuthExchange start(String mechanism) {
    Supplier<Mechanism> m = MECHANISMS.get(mechanism);
    if (m == null) {
      throw new IllegalArgumentException("unsupported SASL mechanism: " + mechanism);
    }
    return new AuthExchange(m.get());
  }

  Step first(String initialResponse) {
    return mechanism.start(initialResponse);
  }

  Step next(String response) {
    return mechanism.next(response);
  }

  /** RFC 4616: one message, {@code authzid NUL authcid NUL passwd}; an empty challenge when none came first. */
  private static final class Plain implements Mechanism {
    @Override
    public Step start(String initialResponse) {
      return initialResponse == null ? new Challenge("") : next(initialResponse);
    }

    @Override
    public Step next(String response) {
      Credentials c = Sasl.plain(response);
      return c == null ? new Malformed() : new Verify(c);
    }
  }

  /** The de-facto LOGIN mechanism (draft-murchison-sasl-login): user name, then password. */
  private static final class Login implements Mechanism {
    private String user;

    @Override
    public Step start(String initialResponse) {
      return initialResponse == null ? new Challenge(Sasl.LOGIN_USERNAME) : next(initialResponse);
    }

    @Override
    public Step next(String response) {
      String decoded = Sasl.decode(response);
      if (decoded == null) {
        return new Malformed();
      }
      if (user == null) {
        user = decoded;
        return new Challenge(Sasl.LOGIN_PASSWORD);
      }
      return new Verify(new Credentials("LOGIN", "", user, decoded));
    }
  }
}
