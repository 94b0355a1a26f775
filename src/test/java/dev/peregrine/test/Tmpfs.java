package dev.peregrine.test;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A small tmpfs the test mounts (and unmounts in teardown) to run a file system out of space for real. Needs
 * root (or CAP_SYS_ADMIN); where mounting is not allowed the test is reported as skipped, never as passed.
 */
public final class Tmpfs implements AutoCloseable {

  private final Path dir;

  private Tmpfs(Path dir) {
    this.dir = dir;
  }

  public static Tmpfs mount(Path dir, long octets) throws Exception {
    Files.createDirectories(dir);
    Peer.Result r = Peer.run(List.of("mount", "-t", "tmpfs", "-o", "size=" + octets, "tmpfs", dir.toString()), 30);
    Assumptions.assumeTrue(r.exit() == 0, "cannot mount a tmpfs here (needs root): " + r.output());
    return new Tmpfs(dir);
  }

  public Path dir() {
    return dir;
  }

  /**
   * Fills the file system until at most {@code leave} octets are free, with a file that {@code close()} or
   * deleting it gives back.
   */
  public Path fill(long leave) throws Exception {
    Path filler = dir.resolve("filler");
    long free = Files.getFileStore(dir).getUsableSpace();
    byte[] block = new byte[4096];
    try (var out = Files.newOutputStream(filler, java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND)) {
      for (long n = 0; n + block.length <= free - leave; n += block.length) {
        out.write(block);
      }
    }
    return filler;
  }

  @Override
  public void close() throws Exception {
    Peer.Result r = Peer.run(List.of("umount", "-l", dir.toString()), 30);
    if (r.exit() != 0) {
      throw new IllegalStateException("umount " + dir + ": " + r.output());
    }
  }
}
