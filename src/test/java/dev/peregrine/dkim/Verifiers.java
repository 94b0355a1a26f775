package dev.peregrine.dkim;

import dev.peregrine.test.DnsFixture;
import dev.peregrine.test.Peer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Two independent DKIM verifiers from Debian, with the public keys served by a {@link DnsFixture}:
 * dkimpy (python3-dkim, asked to query the fixture) and OpenDKIM's {@code opendkim-testmsg}, which reads its
 * name server from resolv.conf: it runs in a mount namespace of its own ({@code unshare -m}, needs root) where
 * /etc/resolv.conf names the fixture, which listens on port 53 of a random 127.53.x.y address. Keys are made
 * with openssl: RSA-2048 in PKCS#1 form and Ed25519 in PKCS#8, selectors {@code rsa} and {@code ed}.
 */
public final class Verifiers implements AutoCloseable {

  public static final String DOMAIN = "example.test";

  public final Path dir;
  public final Path rsaKey;
  public final Path edKey;
  public final DnsFixture dns;
  private final Path resolvConf;
  private final Path script;

  public Verifiers(Path dir) throws Exception {
    this.dir = dir;
    rsaKey = dir.resolve("rsa.pem");
    edKey = dir.resolve("ed25519.pem");
    openssl("genrsa", "-traditional", "-out", rsaKey.toString(), "2048");
    openssl("genpkey", "-algorithm", "ed25519", "-out", edKey.toString());
    String rsaPublic = Base64.getEncoder().encodeToString(publicDer(rsaKey));
    byte[] ed = publicDer(edKey);
    // RFC 8463 §4.2: the raw 32-octet public key, not its SubjectPublicKeyInfo.
    String edPublic = Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(ed, ed.length - 32, ed.length));
    ThreadLocalRandom r = ThreadLocalRandom.current();
    dns = DnsFixture.start("127.53." + r.nextInt(1, 255) + "." + r.nextInt(1, 255), 53);
    dns.txt("rsa._domainkey." + DOMAIN, 300, "v=DKIM1; k=rsa; p=" + rsaPublic);
    dns.txt("ed._domainkey." + DOMAIN, 300, "v=DKIM1; k=ed25519; p=" + edPublic);
    resolvConf = dir.resolve("resolv.conf");
    Files.writeString(resolvConf, "nameserver " + dns.address() + "\noptions timeout:2 attempts:2\n");
    script = dir.resolve("dkimpy-verify.py");
    try (InputStream in = Verifiers.class.getResourceAsStream("/dkim/dkimpy-verify.py")) {
      Files.write(script, in.readAllBytes());
    }
  }

  /** Signing options with both keys of {@link #DOMAIN} (dual signing). */
  public DkimOptions options() {
    return new DkimOptions().addKey(new DkimKeyOptions(DOMAIN, "rsa", rsaKey.toString()))
        .addKey(new DkimKeyOptions(DOMAIN, "ed", edKey.toString()));
  }

  private void openssl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Peer.Result r = Peer.run(cmd, 60);
    if (r.exit() != 0) {
      throw new AssertionError("openssl " + String.join(" ", args) + ": " + r.output());
    }
  }

  private byte[] publicDer(Path key) throws Exception {
    Path out = dir.resolve(key.getFileName() + ".pub.der");
    openssl("pkey", "-in", key.toString(), "-pubout", "-outform", "DER", "-out", out.toString());
    return Files.readAllBytes(out);
  }

  /** One dkimpy line per signature of each file: {@code <file> <index> pass|fail <d> <s> <a> [reason]}. */
  public List<String> dkimpy(List<Path> files) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", script.toString(), dns.address(), "53"));
    files.forEach(f -> cmd.add(f.toString()));
    Peer.Result r = Peer.run(cmd, 120);
    if (r.exit() != 0) {
      throw new AssertionError("dkimpy-verify.py failed: " + r.output());
    }
    List<String> lines = new ArrayList<>();
    for (String l : r.output().split("\n")) {
      if (!l.isBlank()) {
        lines.add(l);
      }
    }
    return lines;
  }

  /**
   * opendkim-testmsg on {@code message} (which should hold one signature: it reports one result): exit 0
   * when the signature verifies.
   */
  public Peer.Result opendkim(Path message) throws Exception {
    return Peer.run(List.of("unshare", "-m", "sh", "-c",
        "mount --bind \"$1\" /etc/resolv.conf && exec /usr/sbin/opendkim-testmsg < \"$2\"", "sh",
        resolvConf.toString(), message.toString()), 60);
  }

  /** {@code message} keeping only its {@code keep}-th DKIM-Signature field (0 = topmost). */
  public static byte[] onlySignature(byte[] message, int keep) {
    List<int[]> sigs = new ArrayList<>();
    int i = 0;
    while (i < message.length && startsWithIgnoreCase(message, i, "DKIM-Signature:")) {
      int end = i;
      do {
        while (message[end] != '\n') {
          end++;
        }
        end++;
      } while (end < message.length && (message[end] == ' ' || message[end] == '\t'));
      sigs.add(new int[] {i, end});
      i = end;
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(message.length);
    out.write(message, sigs.get(keep)[0], sigs.get(keep)[1] - sigs.get(keep)[0]);
    out.write(message, i, message.length - i);
    return out.toByteArray();
  }

  /** How many DKIM-Signature fields open {@code message}. */
  public static int signatures(byte[] message) {
    String head = new String(message, 0, Math.min(message.length, 8192), StandardCharsets.ISO_8859_1);
    return head.split("(?i)(^|\r\n)DKIM-Signature:", -1).length - 1;
  }

  private static boolean startsWithIgnoreCase(byte[] a, int at, String s) {
    return a.length - at >= s.length()
        && new String(a, at, s.length(), StandardCharsets.ISO_8859_1).equalsIgnoreCase(s);
  }

  @Override
  public void close() throws Exception {
    dns.close();
  }

  static void write(Path file, byte[] bytes) throws IOException {
    Files.write(file, bytes);
  }
}
