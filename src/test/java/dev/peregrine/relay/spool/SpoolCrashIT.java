package dev.peregrine.relay.spool;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 of a process writing to the spool from 20 writers: every message acknowledged before the kill is
 * recovered intact, whatever else was recovered is intact too, and content never committed (one receive
 * stalled mid-message, others cut short by the kill) is dropped, never moved aside or half-kept.
 */
class SpoolCrashIT extends SpoolFixture {

  private static final String END = "<end of output>";

  @Test
  void everyAcknowledgedMessageSurvivesKillDashNine(@TempDir Path dir) throws Exception {
    Path spoolDir = dir.resolve("spool");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        SpoolCrashWriter.class.getName(), spoolDir.toString(), "20")
        .redirectError(dir.resolve("child.err").toFile()).start();
    LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) {
          lines.add(l);
        }
      } catch (Exception e) {
        lines.add("READ FAILED " + e);
      }
      lines.add(END);
    }, "crash-child-reader");
    reader.start();
    Map<String, Integer> acked = new HashMap<>();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      boolean stalled = false;
      while (acked.size() < 300) {
        String l = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        assertThat(l).as("child output before the kill (acks so far: %d)", acked.size()).isNotNull().isNotEqualTo(END);
        stalled |= l.equals("STALLED");
        take(l, acked);
      }
      assertThat(stalled).isTrue();
      // Part way: 20 receives are in flight, some mid-content, some waiting for their fsync.
      p.destroyForcibly();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      reader.join(TimeUnit.SECONDS.toMillis(30));
      for (String l; (l = lines.poll()) != null; ) {
        take(l, acked);
      }
    } finally {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }

    Spool spool = open(options(spoolDir));
    Recovery r = spool.recovery();
    Map<String, SpoolEntry> byId = new HashMap<>();
    r.entries().forEach(e -> byId.put(e.id(), e));
    for (Map.Entry<String, Integer> a : acked.entrySet()) {
      assertThat(byId).as("acknowledged %s (message %d)", a.getKey(), a.getValue()).containsKey(a.getKey());
    }
    for (SpoolEntry e : r.entries()) {
      String to = e.envelope().recipients().get(0).path().mailbox().localPart();
      assertThat(to).startsWith("m");
      int n = Integer.parseInt(to.substring(1));
      assertThat(read(spool, e.id())).as("content of %s (message %d)", e.id(), n).isEqualTo(SpoolCrashWriter.content(n));
    }
    assertThat(r.movedAside()).isEmpty();
    assertThat(r.discardedPartial()).as("the stalled receive at least").isGreaterThanOrEqualTo(1);
    System.out.printf("crash: %d acknowledged, %d recovered, %d partial dropped, %d octets of torn tail cut%n",
        acked.size(), r.entries().size(), r.discardedPartial(), r.truncatedBytes());
    spool.close().await(WAIT, TimeUnit.SECONDS);
    Spool again = open(options(spoolDir));
    assertThat(again.recovery().entries()).hasSize(r.entries().size());
    assertThat(again.recovery().discardedPartial()).isZero();
    again.close().await(WAIT, TimeUnit.SECONDS);
  }

  private static void take(String line, Map<String, Integer> acked) {
    if (line.startsWith("ACK ")) {
      List<String> f = List.of(line.split(" "));
      acked.put(f.get(1), Integer.parseInt(f.get(2)));
    }
    assertThat(line).doesNotStartWith("FAILED");
  }
}
