package dev.peregrine.server.impl;

import dev.peregrine.server.Credentials;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Decoding of the SASL mechanisms the server speaks: PLAIN (RFC 4616) and LOGIN (the de-facto
 * draft-murchison-sasl-login). Pure functions; {@code null} means "malformed".
 */
final class Sasl {

  /** "Username:" and "Password:" in base64, the LOGIN challenges every client expects. */
  static final String LOGIN_USERNAME = "VXNlcm5hbWU6";
  static final String LOGIN_PASSWORD = "UGFzc3dvcmQ6";

  private Sasl() {
  }

  /** Base64 text → UTF-8 string, or {@code null} when either layer is malformed. "=" is the empty string. */
  static String decode(String base64) {
    if (base64.equals("=")) {
      return "";
    }
    try {
      byte[] raw = Base64.getDecoder().decode(base64);
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw)).toString();
    } catch (IllegalArgumentException | CharacterCodingException e) {
      return null;
    }
  }

  /** PLAIN's {@code authzid NUL authcid NUL passwd}, or {@code null} when malformed. */
  static Credentials plain(String base64) {
    String s = decode(base64);
    if (s == null) {
      return null;
    }
    int a = s.indexOf('\0');
    int b = a < 0 ? -1 : s.indexOf('\0', a + 1);
    if (a < 0 || b < 0 || s.indexOf('\0', b + 1) >= 0 || b == a + 1) {
      return null;
    }
    return new Credentials("PLAIN", s.substring(0, a), s.substring(a + 1, b), s.substring(b + 1));
  }
}
