package dev.peregrine.relay;

import dev.peregrine.server.Credentials;
import dev.peregrine.test.VertxFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The AUTH password file: bcrypt hashes only, checks off the event loop, re-read when it changes. */
class PasswordFileTest extends VertxFixture {

  @TempDir
  Path dir;

  private boolean check(PasswordFile p, String authz, String user, String password) throws Exception {
    return p.verify(new Credentials("PLAIN", authz, user, password)).await(30, TimeUnit.SECONDS);
  }

  @Test
  void storesSaltedBcryptAndChecksIt() throws Exception {
    Path file = dir.resolve("passwd");
    PasswordFile.set(file, "alice", "s3cret".toCharArray(), 4);
    PasswordFile.set(file, "bob", "s3cret".toCharArray(), 4);
    String text = Files.readString(file);
    assertThat(text).doesNotContain("s3cret").containsPattern("(?m)^alice:\\$2y\\$04\\$").containsPattern("(?m)^bob:\\$2y\\$04\\$");
    assertThat(text.lines().map(l -> l.substring(l.indexOf(':'))).distinct()).as("salted: same password, two hashes").hasSize(2);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    PasswordFile p = PasswordFile.load(vertx, file).await(30, TimeUnit.SECONDS);
    assertThat(check(p, "", "alice", "s3cret")).isTrue();
    assertThat(check(p, "alice", "alice", "s3cret")).isTrue();
    assertThat(check(p, "bob", "alice", "s3cret")).as("acting as someone else").isFalse();
    assertThat(check(p, "", "alice", "S3cret")).isFalse();
    assertThat(check(p, "", "carol", "s3cret")).isFalse();
  }

  @Test
  void anEditTakesEffectAtTheNextCheck() throws Exception {
    Path file = dir.resolve("passwd");
    PasswordFile.set(file, "alice", "old".toCharArray(), 4);
    PasswordFile p = PasswordFile.load(vertx, file).await(30, TimeUnit.SECONDS);
    assertThat(check(p, "", "alice", "old")).isTrue();
    PasswordFile.set(file, "alice", "new".toCharArray(), 4);
    assertThat(check(p, "", "alice", "new")).isTrue();
    assertThat(check(p, "", "alice", "old")).isFalse();
    assertThat(p.users()).containsExactly("alice");
  }

  @Test
  void plaintextIsRefusedNamingTheLine() throws Exception {
    Path file = dir.resolve("passwd");
    Files.writeString(file, "# users\nalice:s3cret\n");
    var load = PasswordFile.load(vertx, file);
    assertThat(load.toCompletionStage().toCompletableFuture()).failsWithin(30, TimeUnit.SECONDS)
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withMessageContaining(file + ":2: not a bcrypt hash");
    assertThatThrownBy(() -> PasswordFile.set(file, "bob", "x".toCharArray(), 4)).hasMessageContaining("not a bcrypt hash");
    assertThatThrownBy(() -> PasswordFile.set(dir.resolve("other"), "a:b", "x".toCharArray(), 4))
        .hasMessageContaining("must not be empty nor contain ':'");
  }
}
