package dev.peregrine.relay;

import dev.peregrine.server.Credentials;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The users {@code serve} accepts in AUTH: a file of {@code user:hash} lines ({@code #} comments), each hash a
 * salted bcrypt string ({@code $2y$COST$...}, Bouncy Castle's {@link OpenBSDBCrypt}: a well-kept
 * implementation, and the format Dovecot and htpasswd read too). Plaintext or unknown hash formats are
 * refused when the file is read, naming the line. {@code peregrine passwd USER} adds or changes a user.
 *
 * <p>Checks run on a worker (bcrypt is slow on purpose, ~0.1-0.3 s at cost 11-12), never on the event loop;
 * each check first compares the file's modification time and re-reads it when it changed, so an edit takes
 * effect at the next AUTH without a restart. An unknown user costs the same time as a wrong password.
 */
public final class PasswordFile {

  /** bcrypt's work factor for new hashes (2^cost rounds). */
  public static final int DEFAULT_COST = 11;

  /** A hash to check unknown users against; made on first use, on a worker (it costs one bcrypt). */
  private static final class Dummy {
    static final String HASH = OpenBSDBCrypt.generate("2y", "dummy".toCharArray(), new byte[16], DEFAULT_COST);
  }

  private final Vertx vertx;
  private final Path file;
  private volatile Map<String, String> users;
  private volatile FileTime loaded;

  private PasswordFile(Vertx vertx, Path file) {
    this.vertx = vertx;
    this.file = file;
  }

  /** Reads {@code file} on a worker; fails naming the file and line when it cannot be read or is malformed. */
  public static Future<PasswordFile> load(Vertx vertx, Path file) {
    PasswordFile p = new PasswordFile(vertx, file.toAbsolutePath());
    return vertx.executeBlocking(() -> {
      p.reloadIfChanged();
      return p;
    });
  }

  /** Checks credentials on a worker: true when the user exists and the password matches. */
  public Future<Boolean> verify(Credentials c) {
    return vertx.executeBlocking(() -> {
      try {
        reloadIfChanged();
      } catch (IOException | IllegalArgumentException e) {
        // Keep serving with the users we had: a half-written edit must not lock everyone out.
        System.getLogger("dev.peregrine.relay").log(System.Logger.Level.WARNING,
            "password file not reloaded, keeping the previous one: " + e.getMessage());
      }
      String hash = users.get(c.username());
      boolean authzOk = c.authorizationId() == null || c.authorizationId().isEmpty()
          || c.authorizationId().equals(c.username());
      boolean match = OpenBSDBCrypt.checkPassword(hash == null ? Dummy.HASH : hash, c.password().toCharArray());
      return hash != null && match && authzOk;
    }, false);
  }

  /** The user names in the file, as last read. */
  public java.util.Set<String> users() {
    return users.keySet();
  }

  private synchronized void reloadIfChanged() throws IOException {
    FileTime now = Files.getLastModifiedTime(file);
    if (users != null && now.equals(loaded)) {
      return;
    }
    users = parse(file, Files.readAllLines(file, StandardCharsets.UTF_8));
    loaded = now;
  }

  static Map<String, String> parse(Path file, List<String> lines) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      String where = file + ":" + (i + 1);
      if (colon <= 0) {
        throw new IllegalArgumentException(where + ": expected user:hash");
      }
      String hash = line.substring(colon + 1);
      if (!hash.matches("\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}")) {
        throw new IllegalArgumentException(where + ": not a bcrypt hash (plaintext passwords are refused;"
            + " use peregrine passwd)");
      }
      out.put(line.substring(0, colon), hash);
    }
    return out;
  }

  /** A new bcrypt hash of {@code password} with a random salt. */
  public static String hash(char[] password, int cost) {
    byte[] salt = new byte[16];
    new SecureRandom().nextBytes(salt);
    return OpenBSDBCrypt.generate("2y", password, salt, cost);
  }

  /**
   * Adds or replaces {@code user} in {@code file} (created when missing), atomically: a temporary file, fsync,
   * rename, directory fsync; owner-only permissions. Blocking: for the command line, not an event loop.
   */
  public static void set(Path file, String user, char[] password, int cost) throws IOException {
    if (user.isEmpty() || user.indexOf(':') >= 0 || user.chars().anyMatch(ch -> ch <= ' ')) {
      throw new IllegalArgumentException("a user name must not be empty nor contain ':' or white space: '" + user + "'");
    }
    Path abs = file.toAbsolutePath();
    List<String> lines = Files.exists(abs) ? Files.readAllLines(abs, StandardCharsets.UTF_8) : List.of();
    parse(abs, lines);
    StringBuilder sb = new StringBuilder();
    boolean replaced = false;
    for (String l : lines) {
      if (l.strip().startsWith(user + ":")) {
        sb.append(user).append(':').append(hash(password, cost)).append('\n');
        replaced = true;
      } else {
        sb.append(l).append('\n');
      }
    }
    if (!replaced) {
      sb.append(user).append(':').append(hash(password, cost)).append('\n');
    }
    Path dir = abs.getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".passwd", ".tmp", PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(java.nio.ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
    try {
      Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
    }
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }
}
