package dev.peregrine.bench;

import dev.peregrine.dkim.Canonicalization;
import dev.peregrine.dkim.DkimKeyOptions;
import dev.peregrine.dkim.DkimMessage;
import dev.peregrine.dkim.DkimOptions;
import dev.peregrine.dkim.DkimSigner;
import dev.peregrine.dkim.impl.BodyCanonicalizer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * DKIM signing cost per message of {@code size} octets (headers of a bulk message, then {@link MessageContent}
 * text), relaxed/relaxed, on the calling thread. One op = one message. Where the time goes:
 * <ul>
 *   <li>{@link #sign}: all of it, as {@code DkimMessage.endNow()} does it: header scan, body canonicalization
 *       and SHA-256, the signed header fields, the private-key operation, the folded field;</li>
 *   <li>{@link #bodyHash}: the per-octet part alone (relaxed body canonicalization and SHA-256);</li>
 *   <li>{@link #privateKey}: the private-key operation alone over a typical 600-octet header hash input
 *       (RSA-2048 {@code SHA256withRSA}; Ed25519 over the SHA-256 of it, RFC 8463), with the JDK's providers.</li>
 * </ul>
 * Keys are made by the JDK in the set-up and written as PKCS#8 PEM, as a user's would be.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DkimSignBench {

  @Param({"rsa-2048", "ed25519"})
  public String key;

  @Param({"1024", "102400"})
  public int size;

  private Vertx vertx;
  private DkimSigner signer;
  private Buffer message;
  private byte[] body;
  private byte[] headerInput;
  private KeyPair pair;
  private Path dir;

  static final String HEADERS = "From: News <news@example.org>\r\nTo: reader@example.com\r\n"
      + "Subject: The weekly news, issue 42\r\nDate: Tue, 14 Jan 2025 10:00:00 +0000\r\n"
      + "Message-ID: <0123456789abcdef@example.org>\r\nMIME-Version: 1.0\r\n"
      + "Content-Type: text/plain; charset=UTF-8\r\nList-Unsubscribe: <https://example.org/u/0123456789abcdef>\r\n"
      + "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\n";

  @Setup
  public void setup() throws Exception {
    dir = Files.createTempDirectory("dkim-bench");
    Path pem = writeKey(dir, key);
    pair = lastPair;
    vertx = Vertx.vertx();
    signer = DkimSigner.loadNow(vertx, new DkimOptions().setReloadPeriod(Duration.ZERO)
        .addKey(new DkimKeyOptions("example.org", "s", pem.toString())));
    body = MessageContent.generate(size);
    message = Buffer.buffer(HEADERS).appendBytes(body);
    headerInput = (HEADERS + HEADERS).substring(0, 600).getBytes(StandardCharsets.US_ASCII);
    if (sign().length() == 0) {
      throw new IllegalStateException("the message was not signed");
    }
  }

  private static KeyPair lastPair;

  /** A fresh key pair of {@code key} written as PKCS#8 PEM in {@code dir}. */
  static Path writeKey(Path dir, String key) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance(key.startsWith("rsa") ? "RSA" : "Ed25519");
    if (key.startsWith("rsa")) {
      g.initialize(2048);
    }
    lastPair = g.generateKeyPair();
    Path pem = dir.resolve(key + ".pem");
    Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(lastPair.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n");
    return pem;
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    signer.close().await(10, TimeUnit.SECONDS);
    vertx.close().await(10, TimeUnit.SECONDS);
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.delete(p);
      }
    }
    Files.delete(dir);
  }

  @Benchmark
  public Buffer sign() {
    DkimMessage m = signer.message(false);
    m.update(message);
    return m.endNow();
  }

  @Benchmark
  public byte[] bodyHash() throws Exception {
    BodyCanonicalizer c = new BodyCanonicalizer(Canonicalization.RELAXED, MessageDigest.getInstance("SHA-256"));
    c.update(body, 0, body.length);
    return c.finish();
  }

  @Benchmark
  public byte[] privateKey() throws Exception {
    if (key.startsWith("rsa")) {
      Signature s = Signature.getInstance("SHA256withRSA");
      s.initSign(pair.getPrivate());
      s.update(headerInput);
      return s.sign();
    }
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(pair.getPrivate());
    s.update(MessageDigest.getInstance("SHA-256").digest(headerInput));
    return s.sign();
  }
}
