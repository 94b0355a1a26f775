package dev.peregrine.dkim.impl;

import dev.peregrine.dkim.DkimAlgorithm;
import dev.peregrine.dkim.DkimKeyException;
import dev.peregrine.dkim.DkimKeyOptions;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads DKIM private keys from PEM files with the JDK alone: PKCS#8 ({@code BEGIN PRIVATE KEY}, RSA or
 * Ed25519) and PKCS#1 ({@code BEGIN RSA PRIVATE KEY}, rewrapped as PKCS#8). Encrypted keys, other key types
 * and RSA keys under 2048 bits are refused with the reason. Blocking file I/O: call it on a worker or at
 * start.
 */
public final class PemKeys {

  public static final int MIN_RSA_BITS = 2048;

  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----\\s*(.*?)-----END \\1-----", Pattern.DOTALL);
  private static final byte[] RSA_OID = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
  private static final byte[] ED25519_OID = {0x06, 0x03, 0x2b, 0x65, 0x70};
  private static final byte[] ED448_OID = {0x06, 0x03, 0x2b, 0x65, 0x71};
  private static final byte[] EC_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

  private PemKeys() {
  }

  /** Loads the key of {@code options}; throws {@link DkimKeyException} naming the file and the reason. */
  public static DkimKey load(DkimKeyOptions options) {
    Path file = Path.of(options.getKeyPath());
    String text;
    try {
      text = Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (NoSuchFileException e) {
      throw new DkimKeyException(file, "no such file", e);
    } catch (AccessDeniedException e) {
      throw new DkimKeyException(file, "permission denied", e);
    } catch (IOException e) {
      throw new DkimKeyException(file, "cannot be read: " + e, e);
    }
    return parse(file, options, text);
  }

  /** Parses PEM {@code text} as the key of {@code options} ({@code file} only names it in errors). */
  public static DkimKey parse(Path file, DkimKeyOptions options, String text) {
    Matcher m = PEM.matcher(text);
    if (!m.find()) {
      throw new DkimKeyException(file, "not a PEM file (no -----BEGIN ...----- / -----END ...----- block)");
    }
    String type = m.group(1);
    String body = m.group(2);
    if (body.contains("ENCRYPTED") || type.equals("ENCRYPTED PRIVATE KEY")) {
      throw new DkimKeyException(file, "the key is encrypted; store it unencrypted, readable by this service only"
          + " (openssl pkey -in encrypted.pem -out key.pem)");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(body.replaceAll("(?m)^[A-Za-z-]+:.*$", ""));
    } catch (IllegalArgumentException e) {
      throw new DkimKeyException(file, "the PEM block is not valid base64: " + e.getMessage(), e);
    }
    byte[] pkcs8 = switch (type) {
      case "PRIVATE KEY" -> der;
      case "RSA PRIVATE KEY" -> pkcs1ToPkcs8(der);
      case "EC PRIVATE KEY" -> throw new DkimKeyException(file, "an EC key: DKIM signs with RSA or Ed25519 keys");
      case "OPENSSH PRIVATE KEY" -> throw new DkimKeyException(file, "an OpenSSH key: convert it to PKCS#8 PEM");
      default -> throw new DkimKeyException(file, "a PEM '" + type + "', not a private key (BEGIN PRIVATE KEY or"
          + " BEGIN RSA PRIVATE KEY)");
    };
    DkimAlgorithm algorithm;
    if (contains(pkcs8, RSA_OID)) {
      algorithm = DkimAlgorithm.RSA_SHA256;
    } else if (contains(pkcs8, ED25519_OID)) {
      algorithm = DkimAlgorithm.ED25519_SHA256;
    } else if (contains(pkcs8, ED448_OID)) {
      throw new DkimKeyException(file, "an Ed448 key: DKIM signs with RSA or Ed25519 keys (RFC 8463)");
    } else if (contains(pkcs8, EC_OID)) {
      throw new DkimKeyException(file, "an EC key: DKIM signs with RSA or Ed25519 keys");
    } else {
      throw new DkimKeyException(file, "neither an RSA nor an Ed25519 private key");
    }
    PrivateKey key;
    try {
      key = KeyFactory.getInstance(algorithm == DkimAlgorithm.RSA_SHA256 ? "RSA" : "Ed25519")
          .generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new DkimKeyException(file, "not a valid " + (algorithm == DkimAlgorithm.RSA_SHA256 ? "RSA" : "Ed25519")
          + " private key: " + e.getMessage(), e);
    }
    int bits = 256;
    if (key instanceof RSAPrivateKey rsa) {
      bits = rsa.getModulus().bitLength();
      if (bits < MIN_RSA_BITS) {
        throw new DkimKeyException(file, "an RSA key of " + bits + " bits; DKIM keys need at least " + MIN_RSA_BITS);
      }
    }
    return new DkimKey(options, algorithm, key, bits);
  }

  private static boolean contains(byte[] a, byte[] part) {
    // The algorithm identifier comes within the first few dozen octets of a PKCS#8 structure.
    int limit = Math.min(a.length, 40) - part.length;
    outer:
    for (int i = 0; i <= limit; i++) {
      for (int j = 0; j < part.length; j++) {
        if (a[i + j] != part[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** PKCS#8 PrivateKeyInfo around a PKCS#1 RSAPrivateKey: version 0, rsaEncryption with NULL, the key as an OCTET STRING. */
  static byte[] pkcs1ToPkcs8(byte[] pkcs1) {
    ByteArrayOutputStream inner = new ByteArrayOutputStream(pkcs1.length + 32);
    inner.writeBytes(new byte[] {0x02, 0x01, 0x00});
    inner.write(0x30);
    inner.write(RSA_OID.length + 2);
    inner.writeBytes(RSA_OID);
    inner.writeBytes(new byte[] {0x05, 0x00});
    inner.write(0x04);
    writeLength(inner, pkcs1.length);
    inner.writeBytes(pkcs1);
    ByteArrayOutputStream out = new ByteArrayOutputStream(inner.size() + 4);
    out.write(0x30);
    writeLength(out, inner.size());
    out.writeBytes(inner.toByteArray());
    return out.toByteArray();
  }

  private static void writeLength(ByteArrayOutputStream out, int length) {
    if (length < 0x80) {
      out.write(length);
    } else if (length < 0x100) {
      out.write(0x81);
      out.write(length);
    } else if (length < 0x10000) {
      out.write(0x82);
      out.write(length >>> 8);
      out.write(length);
    } else {
      out.write(0x83);
      out.write(length >>> 16);
      out.write(length >>> 8);
      out.write(length);
    }
  }
}
