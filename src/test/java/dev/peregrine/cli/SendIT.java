package dev.peregrine.cli;

import dev.peregrine.test.Peer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code peregrine send}: a directory of {@code .eml} files (LF line endings, a Bcc header) and a single file
 * with {@code --from/--to}, through the Mailer's smarthost route into Python's aiosmtpd; one recipient refused
 * by the sink's policy is reported and makes the exit code 1.
 */
class SendIT {

  @TempDir
  Path dir;

  private Peer.Daemon sink;

  @AfterEach
  void stop() throws Exception {
    if (sink != null) {
      sink.close();
    }
  }

  private record Cli(int exit, String out, String err) {
  }

  private static Cli cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = new CommandLine(new Main.Commands()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
        .execute(args);
    return new Cli(exit, out.toString(), err.toString());
  }

  @Test
  void sendsADirectoryAndAFileAndSummarises() throws Exception {
    int port = Peer.freePort();
    Path maildir = dir.resolve("sink");
    sink = Peer.daemon(List.of("/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.2:" + port,
        "-c", "aiosmtpd.handlers.Mailbox", maildir.toString()), "127.0.0.2", port, 20);
    Path config = dir.resolve("send.yaml");
    Files.writeString(config, "mailer:\n  client:\n    helo-name: sender.test\n    tls-policy: disabled\n"
        + "  dns:\n    routes:\n      \"*\": \"[127.0.0.2]:" + port + "\"\n");
    Path eml = Files.createDirectories(dir.resolve("out"));
    for (int i = 0; i < 3; i++) {
      Files.writeString(eml.resolve("m" + i + ".eml"), "From: Alice <alice@sender.test>\nTo: bob" + i
          + "@dest.test\nBcc: hidden@dest.test\nSubject: file " + i + "\n\nbody " + i + "\n");
    }
    Files.writeString(eml.resolve("ignored.txt"), "not a message");
    Path single = dir.resolve("single.eml");
    Files.writeString(single, "Subject: single\r\n\r\nhello\r\n");

    Cli r = cli("send", "--config", config.toString(), eml.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("peregrine: 3 message(s)").contains("recipients delivered 6, deferred 0, failed 0");
    Cli s = cli("send", "--config", config.toString(), "--from", "ops@sender.test", "--to", "carol@dest.test", single.toString());
    assertThat(s.exit()).as(s.out() + s.err()).isZero();

    List<String> stored;
    try (var files = Files.list(maildir.resolve("new"))) {
      stored = files.map(f -> {
        try {
          return Files.readString(f, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).toList();
    }
    assertThat(stored).hasSize(4);
    assertThat(stored).filteredOn(m -> m.contains("Subject: file 1")).singleElement().satisfies(m -> {
      assertThat(m).doesNotContainIgnoringCase("bcc:").contains("body 1");
    });
    assertThat(stored).anyMatch(m -> m.contains("Subject: single"));

    Cli none = cli("send", "--config", config.toString(), dir.resolve("missing.eml").toString());
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err()).contains("no such file or directory");
    Path noRcpt = dir.resolve("norcpt.eml");
    Files.writeString(noRcpt, "From: a@sender.test\nSubject: x\n\nbody\n");
    Cli bad = cli("send", "--config", config.toString(), noRcpt.toString());
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.out()).contains("has no recipient: give --to");
  }
}
