package dev.peregrine.test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A private Postfix instance for tests, never the system one: its own config, queue and data directories
 * under {@code dir}, smtpd on 127.0.0.1:{@code port} only, no chroot. Mail for {@code example.test}
 * (users alice and bob) is delivered by Postfix's virtual agent to Maildirs under {@code dir/mail};
 * anything else goes to the error transport, so nothing ever leaves the machine. STARTTLS with the given
 * certificate; AUTH through Dovecot's SASL protocol on 127.0.0.1:{@code saslPort} (see {@link DovecotAuth}),
 * only after STARTTLS; mail from 127.0.0.0/8 may go to example.test, relaying needs AUTH.
 * Needs root (Postfix starts as root and drops to its own user).
 */
public final class PostfixInstance implements AutoCloseable {

  private final Path dir;
  private final Path conf;
  public final int port;

  private PostfixInstance(Path dir, int port) {
    this.dir = dir;
    this.conf = dir.resolve("conf");
    this.port = port;
  }

  public static PostfixInstance start(Path dir, String certPath, String keyPath, int saslPort, long messageSizeLimit)
      throws IOException, InterruptedException {
    int port = Peer.freePort();
    PostfixInstance p = new PostfixInstance(dir, port);
    for (String d : List.of("conf", "queue", "data", "mail")) {
      Files.createDirectories(dir.resolve(d));
    }
    // Postfix's daemons run as postfix and nobody: they must be able to reach the directories (a JUnit
    // temporary directory is private to root).
    var open = java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x");
    Files.setPosixFilePermissions(dir.getParent(), open);
    Files.setPosixFilePermissions(dir, open);
    UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
    Files.setOwner(dir.resolve("mail"), users.lookupPrincipalByName("nobody"));
    Files.setOwner(dir.resolve("data"), users.lookupPrincipalByName("postfix"));
    Files.copy(Path.of(certPath), p.conf.resolve("cert.pem"));
    Files.copy(Path.of(keyPath), p.conf.resolve("key.pem"));
    String d = dir.toString();
    Files.writeString(p.conf.resolve("main.cf"), String.join("\n",
        "compatibility_level = 3.6",
        "queue_directory = " + d + "/queue",
        "data_directory = " + d + "/data",
        "mail_owner = postfix",
        "myhostname = postfix.test",
        "mydomain = postfix.test",
        "inet_interfaces = 127.0.0.1",
        "inet_protocols = ipv4",
        "mydestination =",
        "mynetworks = 127.0.0.0/8",
        "smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination",
        "virtual_mailbox_domains = example.test",
        "virtual_mailbox_base = " + d + "/mail",
        "virtual_mailbox_maps = inline:{ {alice@example.test=alice/}, {bob@example.test=bob/} }",
        "virtual_uid_maps = static:65534",
        "virtual_gid_maps = static:65534",
        "default_transport = error:no delivery off this machine in tests",
        "relay_transport = error:no delivery off this machine in tests",
        "message_size_limit = " + messageSizeLimit,
        "smtpd_tls_cert_file = " + p.conf.resolve("cert.pem"),
        "smtpd_tls_key_file = " + p.conf.resolve("key.pem"),
        "smtpd_tls_security_level = may",
        "smtpd_tls_auth_only = yes",
        "smtpd_sasl_auth_enable = yes",
        "smtpd_sasl_type = dovecot",
        "smtpd_sasl_path = inet:127.0.0.1:" + saslPort,
        "smtputf8_enable = yes",
        "maillog_file = " + d + "/maillog",
        "maillog_file_prefixes = " + d,
        ""));
    List<String> services = List.of(
        "127.0.0.1:" + port + " inet n - n - - smtpd",
        "cleanup unix n - n - 0 cleanup", "qmgr unix n - n 300 1 qmgr", "rewrite unix - - n - - trivial-rewrite",
        "bounce unix - - n - 0 bounce", "defer unix - - n - 0 bounce", "trace unix - - n - 0 bounce",
        "verify unix - - n - 1 verify", "flush unix n - n 1000? 0 flush", "proxymap unix - - n - - proxymap",
        "error unix - - n - - error", "retry unix - - n - - error", "discard unix - - n - - discard",
        "virtual unix - n n - - virtual", "anvil unix - - n - 1 anvil", "scache unix - - n - 1 scache",
        "postlog unix-dgram n - n - 1 postlogd", "tlsmgr unix - - n 1000? 1 tlsmgr", "showq unix n - n - - showq",
        "pickup unix n - n 60 1 pickup");
    Files.writeString(p.conf.resolve("master.cf"), String.join("\n", services) + "\n");
    // postfix reports errors only to syslog or a terminal: script(1) gives it one, so they reach the test.
    Peer.Result r = Peer.run(List.of("script", "-qec", "/usr/sbin/postfix -c " + p.conf + " start", "/dev/null"), 60);
    if (r.exit() != 0) {
      throw new AssertionError("postfix did not start: " + r.output() + p.log());
    }
    try {
      Peer.awaitPort(port, 20);
    } catch (AssertionError e) {
      p.close();
      throw new AssertionError("postfix smtpd is not listening: " + p.log(), e);
    }
    return p;
  }

  /** The instance's mail log. */
  public String log() throws IOException {
    Path log = dir.resolve("maillog");
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no maillog)";
  }

  /** Messages delivered to {@code user}'s Maildir so far, oldest first by name. */
  public List<String> delivered(String user) throws IOException {
    Path nw = dir.resolve("mail").resolve(user).resolve("new");
    if (!Files.isDirectory(nw)) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(nw)) {
      for (Path f : files.sorted().toList()) {
        out.add(Files.readString(f, StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    Peer.run(List.of("script", "-qec", "/usr/sbin/postfix -c " + conf + " stop", "/dev/null"), 60);
  }
}
