package dev.peregrine.dkim.impl;

import dev.peregrine.dkim.Canonicalization;
import dev.peregrine.dkim.DkimAlgorithm;
import dev.peregrine.dkim.DkimMessage;
import dev.peregrine.protocol.DotStuffer;
import dev.peregrine.protocol.impl.Bytes;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * A {@link DkimMessage}: line endings made CRLF as the client makes them, the header section kept until the
 * empty line that ends it, then the keys are chosen by the From domain and the body runs through one
 * {@link BodyCanonicalizer} (every signature of a message shares its canonicalization and so its body hash).
 * A message no key signs costs the header scan only.
 */
final class DkimMessageImpl implements DkimMessage {

  private enum State { HEADERS, BODY, UNSIGNED, ENDED }

  /** What one key signs: the field up to {@code b=} and the octets its signature covers. */
  record Pending(DkimKey key, String unsigned, byte[] data) {
  }

  private final DkimSignerImpl signer;
  private final DotStuffer lines;
  private State state = State.HEADERS;
  private byte[] head = new byte[2048];
  private int headLength;
  /** Where the current header line starts in {@link #head}. */
  private int lineStart;
  private HeaderBlock headers;
  private List<DkimKey> keys = List.of();
  private String signingDomain;
  private BodyCanonicalizer body;

  DkimMessageImpl(DkimSignerImpl signer, boolean binary) {
    this.signer = signer;
    this.lines = binary ? null : DotStuffer.lineEndingsOnly();
  }

  @Override
  public void update(Buffer chunk) {
    if (state == State.ENDED) {
      throw new IllegalStateException("the message has ended");
    }
    if (state == State.UNSIGNED) {
      return;
    }
    Buffer b = lines == null ? chunk : lines.encode(chunk);
    Bytes.Slice s = Bytes.slice(b);
    feed(s.array(), s.offset(), s.length());
  }

  private void feed(byte[] a, int off, int len) {
    int i = off;
    int end = off + len;
    if (state == State.HEADERS) {
      while (i < end) {
        if (headLength == head.length) {
          if (head.length >= MAX_HEADER_OCTETS) {
            unsigned();
            return;
          }
          head = Arrays.copyOf(head, Math.min(MAX_HEADER_OCTETS, head.length * 2));
        }
        byte c = a[i++];
        head[headLength++] = c;
        if (c == '\n' && headLength >= 2 && head[headLength - 2] == '\r') {
          if (headLength - 2 == lineStart) {
            // The empty line: the header section is head[0, lineStart).
            startBody(lineStart);
            break;
          }
          lineStart = headLength;
        }
      }
    }
    if (state == State.BODY && i < end) {
      body.update(a, i, end - i);
    }
  }

  private void startBody(int headerEnd) {
    headers = HeaderBlock.parse(head, headerEnd);
    String from = headers.fromDomain();
    signingDomain = from == null ? null : signer.signingDomain(from);
    keys = signingDomain == null ? List.of() : signer.keys(signingDomain);
    if (keys.isEmpty()) {
      unsigned();
      return;
    }
    body = new BodyCanonicalizer(signer.bodyCanonicalization(), sha256());
    state = State.BODY;
  }

  private void unsigned() {
    state = State.UNSIGNED;
    signingDomain = null;
    head = null;
    headers = null;
  }

  @Override
  public String signingDomain() {
    return signingDomain;
  }

  @Override
  public Future<Buffer> end() {
    List<Pending> pending = prepare();
    if (pending.isEmpty()) {
      return Future.succeededFuture(Buffer.buffer());
    }
    return signer.onWorker(() -> signAll(pending));
  }

  @Override
  public Buffer endNow() {
    List<Pending> pending = prepare();
    return pending.isEmpty() ? Buffer.buffer() : signAll(pending);
  }

  /** Ends the body hash and writes what each key signs; empty when the message goes unsigned. */
  List<Pending> prepare() {
    if (state == State.ENDED) {
      throw new IllegalStateException("the message has ended");
    }
    if (lines != null && state != State.UNSIGNED) {
      Buffer tail = lines.finish(); // what ends the last line on the wire
      feed(tail.getBytes(), 0, tail.length());
    }
    if (state == State.HEADERS) {
      // No empty line: all of it is header, the body is empty.
      startBody(headLength);
    }
    if (state == State.UNSIGNED) {
      state = State.ENDED;
      return List.of();
    }
    state = State.ENDED;
    String bodyHash = Base64.getEncoder().encodeToString(body.finish());
    List<String> names = signer.signedHeaderNames(headers);
    List<HeaderBlock.Field> fields = headers.select(names);
    Canonicalization hc = signer.headerCanonicalization();
    long t = signer.now();
    long x = signer.expirySeconds() > 0 ? t + signer.expirySeconds() : 0;
    ByteArrayOutputStream signedFields = new ByteArrayOutputStream(1024);
    for (HeaderBlock.Field f : fields) {
      HeaderCanonicalizer.canonicalize(hc, headers.bytes(), f.start(), f.end(), signedFields);
    }
    byte[] signedBytes = signedFields.toByteArray();
    List<Pending> out = new ArrayList<>(keys.size());
    for (DkimKey key : keys) {
      String unsigned = SignatureHeader.unsigned(key, hc, signer.bodyCanonicalization(), t, x, names, bodyHash);
      ByteArrayOutputStream data = new ByteArrayOutputStream(signedBytes.length + unsigned.length() + 2);
      data.writeBytes(signedBytes);
      byte[] own = (unsigned + "\r\n").getBytes(StandardCharsets.US_ASCII);
      ByteArrayOutputStream canonical = new ByteArrayOutputStream(own.length);
      HeaderCanonicalizer.canonicalize(hc, own, 0, own.length, canonical);
      // The signature's own field is signed without its final CRLF (RFC 6376 §3.7).
      data.write(canonical.toByteArray(), 0, canonical.size() - 2);
      out.add(new Pending(key, unsigned, data.toByteArray()));
    }
    head = null;
    return out;
  }

  /** The private-key operations: about a millisecond each (RSA-2048, Ed25519 in the JDK). */
  static Buffer signAll(List<Pending> pending) {
    StringBuilder fields = new StringBuilder(pending.size() * 600);
    for (Pending p : pending) {
      fields.append(SignatureHeader.signed(p.unsigned(), Base64.getEncoder().encodeToString(sign(p.key(), p.data()))));
    }
    return Buffer.buffer(fields.toString().getBytes(StandardCharsets.US_ASCII));
  }

  static byte[] sign(DkimKey key, byte[] data) {
    try {
      if (key.algorithm() == DkimAlgorithm.RSA_SHA256) {
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(key.key());
        s.update(data);
        return s.sign();
      }
      // RFC 8463 §3: PureEdDSA over the SHA-256 hash of the signed data.
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(key.key());
      s.update(sha256().digest(data));
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("DKIM signing with " + key.options().getKeyPath() + " failed: " + e, e);
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
