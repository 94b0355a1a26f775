package dev.peregrine.relay.spool;

import dev.peregrine.test.Tmpfs;
import io.vertx.core.Context;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The spool on a file system that runs out of space (a 2 MiB tmpfs): a receive that cannot be written fails
 * with a {@link SpoolException} naming the problem, the entries already committed stay readable, the spool
 * takes messages again once space returns, and a reopen finds exactly the committed entries (nothing moved
 * aside, no torn tail).
 */
class SpoolDiskFullIT extends SpoolFixture {

  @TempDir
  Path dir;

  @Test
  void aFullDiskFailsTheReceiveAndTheSpoolGoesOnWhenSpaceReturns() throws Exception {
    try (Tmpfs fs = Tmpfs.mount(dir.resolve("fs"), 2L << 20)) {
      SpoolOptions options = new SpoolOptions().setDir(fs.dir().resolve("queue").toString()).setSegmentSize(1L << 20);
      Spool spool = Spool.open(vertx, options).await(WAIT, TimeUnit.SECONDS);
      byte[] content = random(100 * 1024, 1);
      List<String> kept = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        kept.add(receive(spool, envelope("a@x.test"), content, 8192).id());
      }
      Path filler = fs.fill(40 * 1024);
      Context ctx = vertx.getOrCreateContext();
      assertThatThrownBy(() -> receive(spool, envelope("b@x.test"), content, 8192))
          .isInstanceOf(SpoolException.class).hasMessageContaining("No space left on device");
      for (String id : kept) {
        assertThat(read(spool, id)).isEqualTo(content);
      }
      Files.delete(filler);
      kept.add(receive(spool, envelope("c@x.test"), content, 8192).id());
      assertThat(read(spool, kept.get(3))).isEqualTo(content);
      on(ctx, spool::close);

      Spool again = Spool.open(vertx, options).await(WAIT, TimeUnit.SECONDS);
      assertThat(again.recovery().entries()).extracting(SpoolEntry::id).containsExactlyElementsOf(kept);
      assertThat(again.recovery().movedAside()).isEmpty();
      assertThat(again.recovery().truncatedBytes()).isZero();
      for (String id : kept) {
        assertThat(read(again, id)).isEqualTo(content);
      }
      again.close().await(WAIT, TimeUnit.SECONDS);
    }
  }
}
