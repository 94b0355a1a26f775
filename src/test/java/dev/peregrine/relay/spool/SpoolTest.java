package dev.peregrine.relay.spool;

import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.protocol.Reply;
import io.vertx.core.Context;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The spool's contract on one process: what goes in comes back, progress, removal, failures, memory. */
class SpoolTest extends SpoolFixture {

  @Test
  void envelopeAndContentComeBackBinarySafeLargeAndEmpty(@TempDir Path dir) throws Exception {
    byte[] binary = new byte[256 * 3];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    byte[] large = random(3 * 1024 * 1024 + 17, 1);
    byte[] empty = new byte[0];
    SpoolEnvelope env = envelope("a@example.com", "b@example.net");
    Spool spool = open(options(dir));
    SpoolEntry e1 = receive(spool, env, binary, 100);
    SpoolEntry e2 = receive(spool, env, large, 8192);
    SpoolEntry e3 = receive(spool, env, empty, 1);
    assertThat(List.of(e1.size(), e2.size(), e3.size())).containsExactly((long) binary.length, (long) large.length, 0L);
    assertThat(e1.id()).matches("[0-9A-Z]+").isNotEqualTo(e2.id());
    assertThat(e1.recipients()).allMatch(r -> r.status() == RecipientState.Status.PENDING);
    assertThat(read(spool, e1.id())).isEqualTo(binary);
    assertThat(read(spool, e2.id())).isEqualTo(large);
    assertThat(read(spool, e3.id())).isEmpty();
    assertThat(spool.list()).extracting(SpoolEntry::id).containsExactly(e1.id(), e2.id(), e3.id());
    spool.close().await(WAIT, TimeUnit.SECONDS);

    Spool again = open(options(dir));
    assertThat(again.recovery().entries()).containsExactly(e1, e2, e3);
    SpoolEnvelope back = again.get(e2.id()).envelope();
    assertThat(back).isEqualTo(env);
    assertThat(back.envId()).isEqualTo("env+id");
    assertThat(back.ret()).isEqualTo(EsmtpParam.ReturnType.HDRS);
    assertThat(back.recipients().get(1).param(EsmtpParam.OriginalRecipient.class).address()).isEqualTo("b@example.net");
    assertThat(back.recipients().get(0).param(EsmtpParam.Notify.class).types())
        .containsExactlyInAnyOrder(EsmtpParam.NotifyType.SUCCESS, EsmtpParam.NotifyType.FAILURE);
    assertThat(read(again, e1.id())).isEqualTo(binary);
    assertThat(read(again, e2.id())).isEqualTo(large);
    assertThat(read(again, e3.id())).isEmpty();
    assertThat(again.recovery().discardedPartial()).isZero();
    assertThat(again.recovery().movedAside()).isEmpty();
    again.close().await(WAIT, TimeUnit.SECONDS);
  }

  @Test
  void progressMarksAndRemovalSurviveARestart(@TempDir Path dir) throws Exception {
    Spool spool = open(options(dir));
    SpoolEntry e = receive(spool, envelope("a@x.test", "b@y.test", "c@z.test"), "hi\r\n".getBytes(StandardCharsets.US_ASCII), 64);
    SpoolEntry gone = receive(spool, envelope("d@x.test"), "bye\r\n".getBytes(StandardCharsets.US_ASCII), 64);
    Instant next = Instant.parse("2030-01-01T00:00:00Z");
    Context ctx = vertx.getOrCreateContext();
    on(ctx, () -> spool.markDelivered(e.id(), 0, Reply.of(250, "2.0.0", "ok id=1")));
    on(ctx, () -> spool.markDeferred(e.id(), 1, Reply.of(451, "4.7.1", List.of("greylisted", "try later")), next));
    SpoolEntry now = on(ctx, () -> spool.markFailed(e.id(), 2, Reply.of(550, "5.1.1", "no such user")));
    assertThat(now.recipients()).extracting(RecipientState::status).containsExactly(RecipientState.Status.DELIVERED,
        RecipientState.Status.DEFERRED, RecipientState.Status.FAILED);
    on(ctx, () -> spool.markDelivered(gone.id(), 0, Reply.of(250, "2.0.0", "ok")));
    on(ctx, () -> spool.remove(gone.id()));
    assertThat(spool.get(gone.id())).isNull();
    // A final state never changes; unknown ids and indexes are refused.
    assertThatThrownBy(() -> on(ctx, () -> spool.markDeferred(e.id(), 0, Reply.of(421, "4.3.0", "x"), next)))
        .isInstanceOf(SpoolException.class).hasMessageContaining("already DELIVERED");
    assertThatThrownBy(() -> on(ctx, () -> spool.markDelivered(e.id(), 3, Reply.of(250, "2.0.0", "x"))))
        .isInstanceOf(SpoolException.class).hasMessageContaining("no recipient 3");
    assertThatThrownBy(() -> on(ctx, () -> spool.remove(gone.id()))).isInstanceOf(SpoolException.class);
    assertThatThrownBy(() -> spool.open("NOT-AN-ID")).isInstanceOf(SpoolException.class);
    spool.close().await(WAIT, TimeUnit.SECONDS);

    Spool again = open(options(dir));
    assertThat(again.recovery().entries()).hasSize(1);
    SpoolEntry back = again.recovery().entries().get(0);
    assertThat(back).isEqualTo(now);
    RecipientState deferred = back.recipients().get(1);
    assertThat(deferred.nextAttempt()).isEqualTo(next);
    assertThat(deferred.reply().lines()).containsExactly("greylisted", "try later");
    assertThat(deferred.reply().enhanced().toString()).isEqualTo("4.7.1");
    assertThat(deferred.attempts()).isEqualTo(1);
    assertThat(back.isFinished()).isFalse();
    again.close().await(WAIT, TimeUnit.SECONDS);
  }

  @Test
  void aReceiveWhoseContentFailsKeepsNothing(@TempDir Path dir) throws Exception {
    Spool spool = open(options(dir));
    Context ctx = vertx.getOrCreateContext();
    byte[] content = random(200_000, 2);
    assertThatThrownBy(() -> on(ctx, () -> spool.receive(envelope("a@x.test"), new BytesStream(ctx, content, 4096, 100_000))))
        .isInstanceOf(IllegalStateException.class).hasMessage("client went away");
    assertThat(spool.list()).isEmpty();
    SpoolEntry ok = receive(spool, envelope("a@x.test"), content, 4096);
    assertThat(read(spool, ok.id())).isEqualTo(content);
    spool.close().await(WAIT, TimeUnit.SECONDS);
    Spool again = open(options(dir));
    assertThat(again.recovery().entries()).extracting(SpoolEntry::id).containsExactly(ok.id());
    again.close().await(WAIT, TimeUnit.SECONDS);
  }

  @Test
  void headerFieldsKnownAtTheEndAreReadBackFirstAndSurviveARestart(@TempDir Path dir) throws Exception {
    Spool spool = open(options(dir));
    Context ctx = vertx.getOrCreateContext();
    byte[] content = random(100_000, 3);
    byte[] head = "Received: by us\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] late = "DKIM-Signature: v=1; \u00e9\r\n".getBytes(StandardCharsets.ISO_8859_1);
    java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
    SpoolEntry e = on(ctx, () -> spool.receive(envelope("a@x.test"), id -> io.vertx.core.buffer.Buffer.buffer(head),
        new BytesStream(ctx, content, 4096), () -> {
          asked.incrementAndGet();
          return io.vertx.core.Future.succeededFuture(io.vertx.core.buffer.Buffer.buffer(late));
        }));
    assertThat(asked).hasValue(1);
    byte[] expected = new byte[late.length + head.length + content.length];
    System.arraycopy(late, 0, expected, 0, late.length);
    System.arraycopy(head, 0, expected, late.length, head.length);
    System.arraycopy(content, 0, expected, late.length + head.length, content.length);
    assertThat(e.size()).isEqualTo(expected.length);
    assertThat(read(spool, e.id())).isEqualTo(expected);
    // None (an empty buffer) is no prefix; a failed one fails the receive and keeps nothing.
    SpoolEntry plain = on(ctx, () -> spool.receive(envelope("a@x.test"), null, new BytesStream(ctx, content, 4096),
        () -> io.vertx.core.Future.succeededFuture(io.vertx.core.buffer.Buffer.buffer())));
    assertThat(read(spool, plain.id())).isEqualTo(content);
    assertThatThrownBy(() -> on(ctx, () -> spool.receive(envelope("a@x.test"), null, new BytesStream(ctx, content, 4096),
        () -> io.vertx.core.Future.failedFuture(new IllegalStateException("no key")))))
        .isInstanceOf(IllegalStateException.class).hasMessage("no key");
    assertThat(spool.list()).extracting(SpoolEntry::id).containsExactly(e.id(), plain.id());
    spool.close().await(WAIT, TimeUnit.SECONDS);

    Spool again = open(options(dir));
    assertThat(again.recovery().entries()).containsExactly(e, plain);
    assertThat(read(again, e.id())).isEqualTo(expected);
    assertThat(read(again, plain.id())).isEqualTo(content);
    again.close().await(WAIT, TimeUnit.SECONDS);
  }

  @Test
  void aSpoolIsOpenedOnceAndRefusesWorkWhenClosed(@TempDir Path dir) throws Exception {
    Spool spool = open(options(dir));
    assertThatThrownBy(() -> open(options(dir))).isInstanceOf(SpoolException.class).hasMessageContaining("in use");
    spool.close().await(WAIT, TimeUnit.SECONDS);
    assertThatThrownBy(() -> receive(spool, envelope("a@x.test"), new byte[10], 10))
        .isInstanceOf(SpoolException.class).hasMessageContaining("closed");
    open(options(dir)).close().await(WAIT, TimeUnit.SECONDS);
  }

  /**
   * 40 messages of 1 MiB streamed at once: the spool never holds more than its three 32 KiB chunks per message
   * (the whole messages would be 40 MiB), so 1,000 messages of 10 MiB need about 96 MiB of heap, not 10 GiB.
   */
  @Test
  void contentStreamsToDiskWithBoundedMemory(@TempDir Path dir) throws Exception {
    Spool spool = open(options(dir));
    int n = 40;
    byte[] content = random(1 << 20, 3);
    List<io.vertx.core.Future<SpoolEntry>> all = new ArrayList<>();
    Context ctx = vertx.getOrCreateContext();
    io.vertx.core.Promise<Void> started = io.vertx.core.Promise.promise();
    ctx.runOnContext(v -> {
      for (int i = 0; i < n; i++) {
        all.add(spool.receive(envelope("a@x.test"), new BytesStream(ctx, content, 16 * 1024)));
      }
      started.complete();
    });
    started.future().await(WAIT, TimeUnit.SECONDS);
    io.vertx.core.Future.all(all).await(WAIT * 2, TimeUnit.SECONDS);
    SpoolStats stats = spool.stats();
    assertThat(stats.entriesCommitted()).isEqualTo(n);
    assertThat(stats.peakBufferedBytes()).isLessThanOrEqualTo(n * 3L * 32 * 1024).isLessThan((long) n * content.length / 8);
    assertThat(stats.bufferedBytes()).isZero();
    assertThat(read(spool, all.get(n - 1).result().id())).isEqualTo(content);
    spool.close().await(WAIT, TimeUnit.SECONDS);
  }
}
