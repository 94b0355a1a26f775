package dev.peregrine.test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a real peer program (swaks, smtp-source, python3 ...) to completion from the test thread: output
 * captured to a file, a bounded wait, and the process killed if it outlives it.
 */
public final class Peer {

  /** How a run ended. */
  public record Result(int exit, String output) {
  }

  private Peer() {
  }

  public static Result run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
    Path out = Files.createTempFile("peer", ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    try {
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        throw new AssertionError(command.get(0) + " did not finish within " + timeoutSeconds + " s:\n"
            + Files.readString(out, StandardCharsets.UTF_8));
      }
      return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(out);
    }
  }
}
