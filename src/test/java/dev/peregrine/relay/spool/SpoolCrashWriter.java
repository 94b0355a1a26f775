package dev.peregrine.relay.spool;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The child process of {@link SpoolCrashIT}: opens the spool in {@code args[0]}, starts one receive that
 * stalls mid-content (never committed), then runs {@code args[1]} writers sending message after message
 * until killed, printing {@code ACK <queue id> <message number>} the moment each is acknowledged.
 * Message {@code n} goes to {@code m<n>@example.com} and its content is {@link #content(int)}.
 */
public final class SpoolCrashWriter {

  private SpoolCrashWriter() {
  }

  /** Message n's content: 1 to 160 KiB of octets seeded by n, so the parent can check it after the crash. */
  static byte[] content(int n) {
    Random r = new Random(n);
    byte[] b = new byte[1 + r.nextInt(160 * 1024)];
    r.nextBytes(b);
    return b;
  }

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    Spool spool = Spool.open(vertx, new SpoolOptions().setDir(args[0])).await();
    int writers = Integer.parseInt(args[1]);
    AtomicInteger numbers = new AtomicInteger();
    Context stallCtx = vertx.getOrCreateContext();
    stallCtx.runOnContext(v -> {
      BytesStream stalled = new BytesStream(stallCtx, SpoolFixture.random(300_000, 99), 8192).stallAt(150_000);
      spool.receive(SpoolFixture.envelope("stalled@example.com"), stalled);
      // Only once its chunks are queued do the writers start: their commits come after them in the log.
      stalled.stalled().onComplete(x -> {
        System.out.println("STALLED");
        System.out.flush();
        for (int w = 0; w < writers; w++) {
          Context ctx = vertx.getOrCreateContext();
          ctx.runOnContext(y -> next(spool, ctx, numbers));
        }
      });
    });
  }

  private static void next(Spool spool, Context ctx, AtomicInteger numbers) {
    int n = numbers.incrementAndGet();
    spool.receive(SpoolFixture.envelope("m" + n + "@example.com"), new BytesStream(ctx, content(n), 8192))
        .onSuccess(e -> {
          System.out.println("ACK " + e.id() + " " + n);
          System.out.flush();
          next(spool, ctx, numbers);
        })
        .onFailure(t -> {
          System.out.println("FAILED " + n + " " + t);
          System.out.flush();
        });
  }
}
