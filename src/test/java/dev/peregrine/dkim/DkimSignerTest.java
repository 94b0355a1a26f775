package dev.peregrine.dkim;

import dev.peregrine.dkim.impl.DkimSignerImpl;
import dev.peregrine.mailer.Mailer;
import dev.peregrine.mailer.MailerOptions;
import dev.peregrine.test.Peer;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Keys: the PEM forms openssl writes are read; a key that cannot be used fails at start naming the file and
 * the reason (in {@link Mailer#create} and {@link Mailer#load} too); a changed file is read again, a broken
 * one keeps the previous key. Which messages are signed, by which domain.
 */
class DkimSignerTest extends VertxFixture {

  @TempDir
  Path dir;

  private Path openssl(String name, String... args) throws Exception {
    Path out = dir.resolve(name);
    List<String> cmd = new java.util.ArrayList<>(List.of("openssl", args[0], "-out", out.toString()));
    cmd.addAll(List.of(args).subList(1, args.length)); // genrsa wants the size last
    Peer.Result r = Peer.run(cmd, 60);
    assertThat(r.exit()).as(r.output()).isZero();
    return out;
  }

  private static DkimOptions options(String domain, String selector, Path key) {
    return new DkimOptions().addKey(new DkimKeyOptions(domain, selector, key.toString())).setReloadPeriod(Duration.ZERO);
  }

  private static String signed(DkimSigner signer, String message) {
    DkimMessage m = signer.message(false);
    m.update(Buffer.buffer(message));
    return m.endNow().toString(StandardCharsets.US_ASCII);
  }

  @Test
  void thePemFormsOpensslWritesAreRead() throws Exception {
    Path pkcs1 = openssl("pkcs1.pem", "genrsa", "-traditional", "2048");
    Path pkcs8 = openssl("pkcs8.pem", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072");
    Path ed = openssl("ed.pem", "genpkey", "-algorithm", "ed25519");
    assertThat(Files.readString(pkcs1)).startsWith("-----BEGIN RSA PRIVATE KEY-----");
    DkimSigner s = DkimSigner.loadNow(vertx, new DkimOptions().setReloadPeriod(Duration.ZERO)
        .addKey(new DkimKeyOptions("a.test", "one", pkcs1.toString()))
        .addKey(new DkimKeyOptions("a.test", "two", pkcs8.toString()))
        .addKey(new DkimKeyOptions("a.test", "three", ed.toString())));
    assertThat(((DkimSignerImpl) s).keys().get("a.test")).extracting(k -> k.algorithm() + "/" + k.bits())
        .containsExactly("RSA_SHA256/2048", "RSA_SHA256/3072", "ED25519_SHA256/256");
    String fields = signed(s, "From: x@a.test\r\nSubject: s\r\n\r\nbody\r\n");
    assertThat(fields.split("DKIM-Signature:", -1)).hasSize(4);
    assertThat(fields).contains("a=rsa-sha256;", "a=ed25519-sha256;", "s=one;", "s=two;", "s=three;",
        "h=from:from:subject;").doesNotContain(" l=", " x=");
    for (String line : fields.split("\r\n")) {
      assertThat(line.length()).as(line).isLessThanOrEqualTo(78);
    }
    s.close().await(5, TimeUnit.SECONDS);
  }

  @Test
  void aKeyThatCannotBeUsedFailsAtStartNamingTheFileAndTheReason() throws Exception {
    Path small = openssl("small.pem", "genrsa", "-traditional", "1024");
    Path encrypted = openssl("enc.pem", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
        "-aes-128-cbc", "-pass", "pass:secret");
    Path ec = openssl("ec.pem", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a key\n");
    Path missing = dir.resolve("missing.pem");
    for (Object[] c : new Object[][] {{small, "1024 bits"}, {encrypted, "encrypted"}, {ec, "an EC key"},
        {garbage, "not a PEM file"}, {missing, "no such file"}}) {
      Path file = (Path) c[0];
      assertThatThrownBy(() -> DkimSigner.loadNow(vertx, options("a.test", "s", file)))
          .isInstanceOf(DkimKeyException.class).hasMessageContaining(file.toString()).hasMessageContaining((String) c[1]);
    }
    MailerOptions mailer = new MailerOptions().setDkim(options("a.test", "s", small));
    assertThatThrownBy(() -> Mailer.create(vertx, mailer)).isInstanceOf(DkimKeyException.class)
        .hasMessageContaining(small.toString()).hasMessageContaining("1024 bits");
    Throwable failed = Mailer.load(vertx, mailer).transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause()))
        .await(10, TimeUnit.SECONDS);
    assertThat(failed).isInstanceOf(DkimKeyException.class).hasMessageContaining(small.toString());
  }

  @Test
  void aChangedKeyFileIsReadAgainAndABrokenOneKeepsThePreviousKey() throws Exception {
    Path key = openssl("key.pem", "genpkey", "-algorithm", "ed25519");
    Path rsa = openssl("rsa.pem", "genrsa", "2048");
    DkimSignerImpl s = (DkimSignerImpl) DkimSigner.loadNow(vertx, options("a.test", "s", key));
    assertThat(s.keys().get("a.test").get(0).algorithm()).isEqualTo(DkimAlgorithm.ED25519_SHA256);
    Files.copy(rsa, key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.setLastModifiedTime(key, FileTime.fromMillis(System.currentTimeMillis() + 5000));
    s.reload();
    assertThat(s.keys().get("a.test").get(0).algorithm()).isEqualTo(DkimAlgorithm.RSA_SHA256);
    Files.writeString(key, "broken");
    s.reload();
    assertThat(s.keys().get("a.test").get(0).algorithm()).as("the previous key is kept").isEqualTo(DkimAlgorithm.RSA_SHA256);
    s.close().await(5, TimeUnit.SECONDS);
  }

  @Test
  void theReloadTimerChecksTheFilesOnAWorker() throws Exception {
    Path key = openssl("key.pem", "genpkey", "-algorithm", "ed25519");
    Path rsa = openssl("rsa.pem", "genrsa", "2048");
    DkimSignerImpl s = (DkimSignerImpl) DkimSigner.load(vertx, options("a.test", "s", key)
        .setReloadPeriod(Duration.ofMillis(50))).await(10, TimeUnit.SECONDS);
    Files.copy(rsa, key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.setLastModifiedTime(key, FileTime.fromMillis(System.currentTimeMillis() + 5000));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (s.keys().get("a.test").get(0).algorithm() != DkimAlgorithm.RSA_SHA256 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(s.keys().get("a.test").get(0).algorithm()).isEqualTo(DkimAlgorithm.RSA_SHA256);
    s.close().await(5, TimeUnit.SECONDS);
  }

  @Test
  void theFromDomainPicksTheKeysThroughTheMapping() throws Exception {
    Path key = openssl("key.pem", "genpkey", "-algorithm", "ed25519");
    DkimSigner s = DkimSigner.loadNow(vertx, options("example.org", "s", key)
        .addDomain("news.example.net", "example.org").addDomain("*.example.com", "example.org"));
    assertThat(s.signingDomain("example.org")).isEqualTo("example.org");
    assertThat(s.signingDomain("EXAMPLE.ORG")).isEqualTo("example.org");
    assertThat(s.signingDomain("news.example.net")).isEqualTo("example.org");
    assertThat(s.signingDomain("other.example.net")).isNull();
    assertThat(s.signingDomain("a.b.example.com")).isEqualTo("example.org");
    assertThat(s.signingDomain("example.com")).isNull();
    assertThat(s.signingDomain("sub.example.org")).as("no implicit parent").isNull();
    assertThat(signed(s, "From: a@other.test\r\n\r\nx\r\n")).isEmpty();
    assertThat(signed(s, "Subject: no from\r\n\r\nx\r\n")).isEmpty();
    assertThat(signed(s, "From: \"x@other.test\" <a@news.example.net>\r\n\r\nx\r\n")).contains("d=example.org;");
    DkimMessage m = s.message(false);
    m.update(Buffer.buffer("From: a@news.example.net\r\nSubject: x\r\n\r\n"));
    assertThat(m.signingDomain()).isEqualTo("example.org");
    s.close().await(5, TimeUnit.SECONDS);
  }

  @Test
  void expiryAddsXAfterT() throws Exception {
    Path key = openssl("key.pem", "genpkey", "-algorithm", "ed25519");
    DkimSigner s = DkimSigner.loadNow(vertx, options("a.test", "s", key).setExpiry(Duration.ofDays(7)));
    String fields = signed(s, "From: a@a.test\r\n\r\nx\r\n");
    long t = Long.parseLong(fields.replaceAll("(?s).*\\bt=(\\d+);.*", "$1"));
    long x = Long.parseLong(fields.replaceAll("(?s).*\\bx=(\\d+);.*", "$1"));
    assertThat(x - t).isEqualTo(7 * 24 * 3600);
    s.close().await(5, TimeUnit.SECONDS);
  }
}
