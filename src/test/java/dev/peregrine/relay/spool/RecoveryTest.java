package dev.peregrine.relay.spool;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What recovery makes of damaged logs: a corrupt entry and a truncated one are moved aside with a WARNING and
 * the others kept intact; a torn last write is cut off; content never committed is dropped; and each of these
 * is dealt with once, not again at the next start.
 */
class RecoveryTest extends SpoolFixture {

  private static Path lastSegment(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir.resolve("log"))) {
      return s.filter(p -> p.toString().endsWith(".log")).sorted().reduce((a, b) -> b).orElseThrow();
    }
  }

  private static List<Path> segments(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir.resolve("log"))) {
      return s.sorted().toList();
    }
  }

  /** Where {@code needle} first occurs in the log's segments: the file and the offset. */
  private static Object[] find(Path dir, byte[] needle) throws Exception {
    for (Path seg : segments(dir)) {
      byte[] all = Files.readAllBytes(seg);
      outer:
      for (int i = 0; i + needle.length <= all.length; i++) {
        for (int j = 0; j < needle.length; j++) {
          if (all[i + j] != needle[j]) {
            continue outer;
          }
        }
        return new Object[] {seg, i};
      }
    }
    throw new AssertionError("not in the log");
  }

  private static void overwrite(Path file, long at, byte[] bytes) throws Exception {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(bytes), at);
    }
  }

  @Test
  void aCorruptEntryIsMovedAsideWithAWarningAndTheOthersAreKept(@TempDir Path dir) throws Exception {
    Spool spool = open(options(dir));
    byte[] c1 = random(5000, 11);
    byte[] c2 = random(5000, 12);
    byte[] c3 = random(5000, 13);
    SpoolEntry e1 = receive(spool, envelope("a@x.test"), c1, 1000);
    SpoolEntry e2 = receive(spool, envelope("b@x.test"), c2, 1000);
    SpoolEntry e3 = receive(spool, envelope("c@x.test"), c3, 1000);
    spool.close().await(WAIT, TimeUnit.SECONDS);
    Object[] at = find(dir, Arrays.copyOfRange(c2, 2000, 2032));
    overwrite((Path) at[0], (int) at[1] + 5, new byte[] {(byte) ~c2[2005]});

    Spool again;
    try (LogCapture log = new LogCapture()) {
      again = open(options(dir));
      assertThat(log.warnings()).anyMatch(l -> l.contains(e2.id()) && l.contains("corrupt") && l.contains("checksum"));
    }
    assertThat(again.recovery().movedAside()).containsExactly(e2.id());
    assertThat(again.recovery().entries()).extracting(SpoolEntry::id).containsExactly(e1.id(), e3.id());
    assertThat(read(again, e1.id())).isEqualTo(c1);
    assertThat(read(again, e3.id())).isEqualTo(c3);
    Path aside = dir.resolve("corrupt");
    assertThat(Files.size(aside.resolve(e2.id() + ".eml"))).isEqualTo(c2.length);
    assertThat(Files.readString(aside.resolve(e2.id() + ".json"))).contains("checksum").contains("b@x.test");
    again.close().await(WAIT, TimeUnit.SECONDS);

    Spool third = open(options(dir));
    assertThat(third.recovery().movedAside()).isEmpty();
    assertThat(third.recovery().entries()).extracting(SpoolEntry::id).containsExactly(e1.id(), e3.id());
    third.close().await(WAIT, TimeUnit.SECONDS);
  }

  @Test
  void anEntryMissingAChunkIsMovedAsideAsTruncated(@TempDir Path dir) throws Exception {
    Spool spool = open(options(dir));
    byte[] big = random(100 * 1024, 21);
    byte[] small = random(3000, 22);
    SpoolEntry a = receive(spool, envelope("a@x.test"), big, 8192);
    SpoolEntry b = receive(spool, envelope("b@x.test"), small, 8192);
    spool.close().await(WAIT, TimeUnit.SECONDS);
    // The header of the second 32 KiB chunk: its record cannot be read, so the scan skips to the next one.
    Object[] at = find(dir, Arrays.copyOfRange(big, 32 * 1024, 32 * 1024 + 32));
    overwrite((Path) at[0], (int) at[1] - 28, new byte[8]);

    Spool again;
    try (LogCapture log = new LogCapture()) {
      again = open(options(dir));
      assertThat(log.warnings()).anyMatch(l -> l.contains("not a readable record"))
          .anyMatch(l -> l.contains(a.id()) && l.contains("truncated"));
    }
    assertThat(again.recovery().movedAside()).containsExactly(a.id());
    assertThat(again.recovery().entries()).extracting(SpoolEntry::id).containsExactly(b.id());
    assertThat(read(again, b.id())).isEqualTo(small);
    assertThat(Files.size(dir.resolve("corrupt").resolve(a.id() + ".eml"))).isEqualTo(big.length - 32 * 1024);
    again.close().await(WAIT, TimeUnit.SECONDS);
  }

  @Test
  void aTornWriteIsCutOffAndContentNeverCommittedIsDropped(@TempDir Path dir) throws Exception {
    Spool spool = open(options(dir));
    byte[] kept = random(4000, 31);
    SpoolEntry e = receive(spool, envelope("a@x.test"), kept, 1000);
    // A client that stalls after 100,000 octets: three chunks reach the log, the commit never does.
    Context ctx = vertx.getOrCreateContext();
    Promise<Void> stalled = Promise.promise();
    ctx.runOnContext(v -> {
      BytesStream s = new BytesStream(ctx, random(200_000, 32), 4096).stallAt(100_000);
      spool.receive(envelope("b@x.test"), s);
      s.stalled().onComplete(stalled);
    });
    stalled.future().await(WAIT, TimeUnit.SECONDS);
    // Queued after the chunks already asked for, so they are written before the log closes.
    on(ctx, spool::close);
    Path last = lastSegment(dir);
    long size = Files.size(last);
    // A write torn by the crash: the first octets of a record header.
    overwrite(last, size, new byte[] {0x50, 0x47, 0x53, 0x31, 1, 0, 0, 0, 9, 9});

    Spool again = open(options(dir));
    assertThat(again.recovery().entries()).extracting(SpoolEntry::id).containsExactly(e.id());
    assertThat(again.recovery().discardedPartial()).isEqualTo(1);
    assertThat(again.recovery().truncatedBytes()).isEqualTo(10);
    assertThat(again.recovery().movedAside()).isEmpty();
    assertThat(Files.size(last)).isEqualTo(size);
    assertThat(read(again, e.id())).isEqualTo(kept);
    again.close().await(WAIT, TimeUnit.SECONDS);

    Spool third = open(options(dir));
    assertThat(third.recovery().discardedPartial()).isZero();
    assertThat(third.recovery().truncatedBytes()).isZero();
    assertThat(third.recovery().entries()).extracting(SpoolEntry::id).containsExactly(e.id());
    third.close().await(WAIT, TimeUnit.SECONDS);
  }

  @Test
  void segmentsAreDeletedOnceEverythingInThemIsDone(@TempDir Path dir) throws Exception {
    Spool spool = open(options(dir).setSegmentSize(64 * 1024));
    byte[] content = random(40 * 1024, 41);
    SpoolEntry keep = receive(spool, envelope("k@x.test"), content, 8192);
    Context ctx = vertx.getOrCreateContext();
    for (int i = 0; i < 6; i++) {
      SpoolEntry e = receive(spool, envelope("r@x.test"), content, 8192);
      on(ctx, () -> spool.markDelivered(e.id(), 0, dev.peregrine.protocol.Reply.of(250, "2.0.0", "ok")));
      on(ctx, () -> spool.remove(e.id()));
    }
    // The first segment still holds an unfinished entry: nothing after it may go before it does.
    assertThat(segments(dir).size()).isGreaterThan(2);
    on(ctx, () -> spool.remove(keep.id()));
    assertThat(segments(dir)).hasSize(1);
    SpoolEntry last = receive(spool, envelope("l@x.test"), content, 8192);
    assertThat(read(spool, last.id())).isEqualTo(content);
    spool.close().await(WAIT, TimeUnit.SECONDS);
    Spool again = open(options(dir));
    assertThat(again.recovery().entries()).extracting(SpoolEntry::id).containsExactly(last.id());
    again.close().await(WAIT, TimeUnit.SECONDS);
  }
}
