package dev.peregrine.relay.queue;

import dev.peregrine.mailer.Mailer;
import dev.peregrine.mailer.RecipientOutcome;
import dev.peregrine.relay.spool.RecipientState;
import dev.peregrine.relay.spool.Spool;
import dev.peregrine.relay.spool.SpoolEntry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The last step of a drain: re-injects every message left in the spool into the other nodes of the cluster
 * over SMTP (a {@link Mailer} whose every route leads to the peer address, usually the cluster's Service), and
 * removes each locally only once the peer has answered 250 for all its recipients still to go. A recipient
 * the peer accepted is recorded as such in the spool before anything else, so a crash repeats at most the
 * recipients not yet accepted; one the peer refused or deferred stays, and the whole hand-off is tried again
 * (with a growing pause) until {@code within} has passed. What is left then stays in the spool, and is logged:
 * nothing is removed that the peer has not taken.
 *
 * <p>The hand-off keeps each message's envelope (sender, RET, ENVID, BODY, NOTIFY, ORCPT) and content as
 * spooled (with our trace and any DKIM signature); the peer queues it as new mail, so its retry schedule and
 * its {@code max-age} start again there. The queue manager must be stopped (the drain's delivery phase ends
 * with that): the hand-off and the manager would otherwise both act on the same entries.
 */
public final class HandOff {

  private static final System.Logger LOG = System.getLogger("dev.peregrine.relay.queue");

  /** How many messages are being handed off at once. */
  static final int CONCURRENCY = 16;

  /** What a hand-off did: messages the peer took, and messages left in the spool. */
  public record Result(int handedOff, int left) {
  }

  private final Vertx vertx;
  private final Context ctx;
  private final Spool spool;
  private final Mailer mailer;
  private final String peer;
  private final long deadline;
  private final Promise<Result> done = Promise.promise();
  private int handedOff;
  private int round;
  private int failuresThisRound;

  private HandOff(Vertx vertx, Spool spool, Mailer mailer, String peer, Duration within) {
    this.vertx = vertx;
    this.ctx = vertx.getOrCreateContext();
    this.spool = spool;
    this.mailer = mailer;
    this.peer = peer;
    this.deadline = System.nanoTime() + within.toNanos();
  }

  /**
   * Hands every entry of {@code spool} to {@code mailer} (routed to {@code peer}, named in the logs), for up
   * to {@code within}. Never fails: the result counts what is left.
   */
  public static Future<Result> run(Vertx vertx, Spool spool, Mailer mailer, String peer, Duration within) {
    HandOff h = new HandOff(vertx, spool, mailer, peer, within);
    h.ctx.runOnContext(v -> h.round());
    return h.done.future();
  }

  private void round() {
    round++;
    failuresThisRound = 0;
    Deque<SpoolEntry> todo = new ArrayDeque<>(spool.list());
    if (todo.isEmpty()) {
      done.complete(new Result(handedOff, 0));
      return;
    }
    if (round == 1) {
      LOG.log(System.Logger.Level.INFO, "drain: handing " + todo.size() + " message(s) to " + peer);
    }
    List<Future<Void>> workers = new ArrayList<>();
    for (int k = 0; k < CONCURRENCY; k++) {
      workers.add(next(todo));
    }
    Future.join(workers).onComplete(ar -> ctx.runOnContext(v -> {
      int left = spool.list().size();
      long remaining = deadline - System.nanoTime();
      if (left == 0) {
        LOG.log(System.Logger.Level.INFO, "drain: " + handedOff + " message(s) handed to " + peer + ", the spool is empty");
        done.complete(new Result(handedOff, 0));
      } else if (remaining <= 0) {
        LOG.log(System.Logger.Level.WARNING, "drain: " + handedOff + " message(s) handed to " + peer + ", " + left
            + " left in the spool: the peer did not take them within cluster.drain.hand-off-for");
        done.complete(new Result(handedOff, left));
      } else {
        // 0.5 s, 1 s, 2 s, ... at most 5 s between rounds, and never past the deadline.
        long pause = Math.min(Math.min(5000, 500L << Math.min(round - 1, 4)), Math.max(1, remaining / 1_000_000));
        LOG.log(System.Logger.Level.INFO, "drain: hand-off round " + round + ": " + handedOff + " handed to " + peer
            + " so far, " + left + " left, trying again in " + pause + " ms");
        vertx.setTimer(pause, t -> ctx.runOnContext(x -> round()));
      }
    }));
  }

  /** Hands off entries from {@code todo} one after the other until it is empty or time is up. */
  private Future<Void> next(Deque<SpoolEntry> todo) {
    SpoolEntry e = todo.poll();
    if (e == null || System.nanoTime() - deadline >= 0) {
      return Future.succeededFuture();
    }
    return one(e).eventually(() -> {
      Promise<Void> p = Promise.promise();
      ctx.runOnContext(v -> next(todo).onComplete(p));
      return p.future();
    });
  }

  /** The first failure of a round is a WARNING, the others DEBUG: a peer that is down fails every message. */
  private void failed(String message) {
    LOG.log(failuresThisRound++ == 0 ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG, message);
  }

  private Future<Void> one(SpoolEntry e) {
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < e.recipients().size(); i++) {
      if (!e.recipients().get(i).isFinal()) {
        idx.add(i);
      }
    }
    if (idx.isEmpty()) {
      return spool.remove(e.id());
    }
    return mailer.send(QueueManager.message(spool, e, idx)).compose(result -> {
      List<Spool.Mark> taken = new ArrayList<>();
      String refused = null;
      for (int k = 0; k < idx.size(); k++) {
        RecipientOutcome o = result.recipients().get(k);
        if (o.status() == RecipientOutcome.Status.DELIVERED) {
          taken.add(new Spool.Mark(idx.get(k), RecipientState.Status.DELIVERED, o.reply(), null));
        } else if (refused == null) {
          refused = o.recipient() + ": " + o.reply().code() + " " + o.reply().text();
        }
      }
      if (taken.size() == idx.size()) {
        handedOff++;
        LOG.log(System.Logger.Level.INFO, e.id() + ": handed off to " + peer + " (" + result.recipients().get(0).reply()
            .code() + " " + result.recipients().get(0).reply().text() + ")");
        return spool.remove(e.id());
      }
      failed(e.id() + ": hand-off to " + peer + " failed for " + refused + "; it stays in the spool");
      return taken.isEmpty() ? Future.<Void>succeededFuture() : spool.mark(e.id(), taken).<Void>mapEmpty();
    }, t -> {
      failed(e.id() + ": hand-off to " + peer + " failed: " + t.getMessage());
      return Future.succeededFuture();
    }).recover(t -> {
      LOG.log(System.Logger.Level.WARNING, e.id() + ": hand-off to " + peer + " not recorded: " + t.getMessage());
      return Future.succeededFuture();
    });
  }
}
