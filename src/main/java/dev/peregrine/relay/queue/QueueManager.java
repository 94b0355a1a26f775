package dev.peregrine.relay.queue;

import dev.peregrine.client.MailTransaction;
import dev.peregrine.mailer.MailMessage;
import dev.peregrine.mailer.MailResult;
import dev.peregrine.mailer.Mailer;
import dev.peregrine.mailer.RecipientOutcome;
import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.protocol.ForwardPath;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.ReversePath;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.relay.Maildir;
import dev.peregrine.relay.RelayPolicy;
import dev.peregrine.relay.dsn.DeliveryReport;
import dev.peregrine.relay.spool.RecipientState;
import dev.peregrine.relay.spool.Spool;
import dev.peregrine.relay.spool.SpoolEntry;
import dev.peregrine.relay.spool.SpoolEnvelope;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Delivers what the {@link Spool} holds: each entry's due recipients go to the local {@link Maildir} (our
 * domains) or to the {@link Mailer} (everyone else: MX lookup, pooled sessions, failover), and every
 * recipient's outcome is made durable in the spool before anything else follows from it. A 2xx is final;
 * a 5xx fails the recipient; a 4xx (or no exchanger reachable) defers it with exponential back-off and
 * jitter until the message is {@code max-age} old, when it fails too. Our own congestion is not an attempt:
 * a recipient the Mailer could not start for want of a session or a turn ({@code 451 4.4.5} with no host:
 * the exchanger's cap, held by this node or, in a cluster, by the others) is recorded nowhere and tried again
 * after {@link #CONGESTION_RETRY} (jittered, at most {@code min-backoff}), the way Postfix's queue manager
 * keeps such mail in its active queue. The recipients that failed in an
 * attempt get a delivery status notification to the sender at once, when their NOTIFY asks for it (never to
 * the null sender: a bounce that fails goes to the postmaster instead, and one to the postmaster that fails
 * is logged and dropped). Once every recipient is final the entry is removed. A recipient deferred for
 * longer than {@code delay-warning} whose NOTIFY asks for DELAY gets one delay report; one whose NOTIFY asks for
 * SUCCESS gets a "delivered" report for local delivery and a "relayed" one when the next hop does not offer
 * DSN (one that does takes the request on with the message).
 *
 * <p>Crash safety: a failure or success report is spooled (durably) before the outcome is recorded, so a crash in
 * between repeats the attempt and its report rather than losing the report; a crash otherwise repeats at
 * most the attempt in flight (its recipients are still pending or deferred on disk). Delay reports are
 * remembered in memory only: a restart may send one again.
 *
 * <p>Threads: all state is touched on the manager's own event-loop context; {@link #submit} and
 * {@link #overloaded} may be called from any thread.
 */
public final class QueueManager {

  private static final System.Logger LOG = System.getLogger("dev.peregrine.relay.queue");

  private final Vertx vertx;
  private final Context ctx;
  private final Spool spool;
  private final Mailer mailer;
  private final Maildir maildir;
  private final RelayPolicy policy;
  private final QueueOptions options;
  private final String hostname;
  private final ForwardPath postmaster;

  private final PriorityQueue<Due> due = new PriorityQueue<>(Comparator.comparing(Due::at).thenComparing(Due::id));
  /** The wait of a recipient our own congestion held back (see the class comment). */
  static final Duration CONGESTION_RETRY = Duration.ofSeconds(1);

  private final Map<String, Instant> scheduled = new HashMap<>();
  private final Set<String> busy = new HashSet<>();
  private final Set<String> delayReported = new HashSet<>();
  private final AtomicInteger queued = new AtomicInteger();
  private long timer = -1;
  private Instant timerAt;
  private long spaceTimer = -1;
  private volatile dev.peregrine.relay.RelayMetrics metrics;
  private volatile long freeSpace = Long.MAX_VALUE;
  private final java.nio.file.Path storage;
  private boolean stopping;
  private Promise<Void> idle;
  private Promise<Void> quiet;

  private record Due(Instant at, String id) {
  }

  /**
   * @param policy tells local recipients (to the Maildir) from the rest (to the Mailer)
   * @param hostname our name, in reports
   * @param storage a path on the spool's file system, whose free space is watched
   */
  public QueueManager(Vertx vertx, Spool spool, Mailer mailer, Maildir maildir, RelayPolicy policy,
                      QueueOptions options, String hostname, java.nio.file.Path storage) {
    this.storage = storage;
    this.vertx = vertx;
    this.ctx = vertx.getOrCreateContext();
    this.spool = spool;
    this.mailer = mailer;
    this.maildir = maildir;
    this.policy = policy;
    this.options = new QueueOptions(options);
    this.hostname = hostname;
    this.postmaster = ForwardPath.of(options.getPostmaster());
  }

  /** Queues every entry the spool holds (what recovery found); completes once they are scheduled. */
  public Future<Void> start() {
    Promise<Void> started = Promise.promise();
    ctx.runOnContext(v -> {
      measureSpace();
      spaceTimer = vertx.setPeriodic(1000, t -> measureSpace());
      List<SpoolEntry> entries = spool.list();
      queued.addAndGet(entries.size());
      for (SpoolEntry e : entries) {
        LOG.log(System.Logger.Level.INFO, e.id() + ": requeued at start, " + pending(e) + " recipient(s) to go");
        schedule(e);
      }
      started.complete();
    });
    return started.future();
  }

  /** Counts outcomes and reports in {@code m} from now on. */
  public QueueManager metrics(dev.peregrine.relay.RelayMetrics m) {
    metrics = m;
    return this;
  }

  /**
   * An operator's delete: the entry leaves the queue without any report.
   *
   * @return fails with an {@link IllegalStateException} while the entry is being delivered (try again), or a
   *     {@link dev.peregrine.relay.spool.SpoolException} for an unknown id
   */
  public Future<Void> delete(String id) {
    Promise<Void> done = Promise.promise();
    ctx.runOnContext(v -> {
      if (busy.contains(id)) {
        done.fail(new IllegalStateException(id + " is being delivered now; try again"));
        return;
      }
      if (spool.get(id) == null) {
        done.fail(new dev.peregrine.relay.spool.SpoolException("no entry " + id + " in the queue"));
        return;
      }
      busy.add(id);
      scheduled.remove(id);
      spool.remove(id).onComplete(ar -> ctx.runOnContext(x -> {
        busy.remove(id);
        if (ar.succeeded()) {
          queued.decrementAndGet();
          LOG.log(System.Logger.Level.INFO, id + ": removed by the operator");
        }
        settled();
        done.handle(ar);
      }));
    });
    return done.future();
  }

  /** A message the server just spooled: tries it at once. Any thread. */
  public void submit(SpoolEntry entry) {
    queued.incrementAndGet();
    ctx.runOnContext(v -> schedule(entry));
  }

  /**
   * Why new mail should wait ({@code 452 4.3.1}, RFC 3463: mail system full): the queue holds
   * {@code max-messages}, or the spool's file system has less than {@code min-free-space} free (measured
   * every second on a worker); {@code null} when mail is welcome. Any thread.
   */
  public Reply refusal() {
    if (queued.get() >= options.getMaxMessages()) {
      return Reply.of(452, "4.3.1", "Insufficient system storage: the queue is full, try again later");
    }
    if (freeSpace < options.getMinFreeSpace()) {
      return Reply.of(452, "4.3.1", "Insufficient system storage: the spool's disk is full, try again later");
    }
    return null;
  }

  private void measureSpace() {
    vertx.executeBlocking(() -> java.nio.file.Files.getFileStore(storage).getUsableSpace(), false).onComplete(ar -> {
      if (ar.succeeded()) {
        long before = freeSpace;
        freeSpace = ar.result();
        boolean low = freeSpace < options.getMinFreeSpace();
        if (low != before < options.getMinFreeSpace()) {
          LOG.log(low ? System.Logger.Level.WARNING : System.Logger.Level.INFO, "spool: " + freeSpace
              + " octets free on " + storage + (low ? ", under queue.min-free-space: MAIL gets 452 4.3.1"
              : ", enough again: taking mail"));
        }
      } else {
        LOG.log(System.Logger.Level.WARNING, "spool: cannot measure the free space of " + storage, ar.cause());
      }
    });
  }

  /** Messages in the queue now. */
  public int size() {
    return queued.get();
  }

  /** Makes every deferred message due now (an operator's flush). */
  public Future<Void> flush() {
    Promise<Void> done = Promise.promise();
    ctx.runOnContext(v -> {
      Instant now = Instant.now();
      for (String id : new ArrayList<>(scheduled.keySet())) {
        scheduled.put(id, now);
        due.add(new Due(now, id));
      }
      arm();
      done.complete();
    });
    return done.future();
  }

  /**
   * Starts no new attempt and completes once the attempts under way have recorded their outcomes. What is
   * left stays in the spool for the next start.
   */
  public Future<Void> stop() {
    Promise<Void> done = Promise.promise();
    ctx.runOnContext(v -> {
      stopping = true;
      if (spaceTimer >= 0) {
        vertx.cancelTimer(spaceTimer);
        spaceTimer = -1;
      }
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
      if (busy.isEmpty()) {
        done.complete();
      } else {
        idle = done;
      }
    });
    return done.future();
  }

  /**
   * A drain's delivery phase: goes on delivering what is due (the listeners are closed by now) until nothing
   * is due and no attempt is under way, or {@code deliverFor} has passed, then stops as {@link #stop()}
   * does. Entries deferred to a later time are not waited for: they are left for the hand-off.
   */
  public Future<Void> drain(Duration deliverFor) {
    Promise<Void> done = Promise.promise();
    ctx.runOnContext(v -> {
      if (stopping) {
        done.complete();
        return;
      }
      quiet = done;
      long timer = vertx.setTimer(Math.max(1, deliverFor.toMillis()), t -> ctx.runOnContext(x -> done.tryComplete()));
      done.future().onComplete(ar -> vertx.cancelTimer(timer));
      checkQuiet();
    });
    return done.future().compose(v -> stop());
  }

  /** During a drain: completes its delivery phase once nothing is due now and nothing is under way. */
  private void checkQuiet() {
    if (quiet == null || !busy.isEmpty()) {
      return;
    }
    Due head = liveHead();
    if (head == null || head.at().isAfter(Instant.now())) {
      quiet.tryComplete();
    }
  }

  /** The earliest entry still scheduled at its time; stale ones (rescheduled or gone) are dropped on the way. */
  private Due liveHead() {
    Due head = due.peek();
    while (head != null && !head.at().equals(scheduled.get(head.id()))) {
      due.poll();
      head = due.peek();
    }
    return head;
  }

  // ---- scheduling (on ctx) ----

  private void schedule(SpoolEntry e) {
    schedule(e, Instant.EPOCH);
  }

  /** Schedules {@code e}'s next attempt when its earliest recipient is due, and not before {@code notBefore}. */
  private void schedule(SpoolEntry e, Instant notBefore) {
    if (stopping) {
      return;
    }
    if (e.isFinished()) {
      finish(e);
      return;
    }
    Instant at = null;
    for (RecipientState r : e.recipients()) {
      Instant t = switch (r.status()) {
        case PENDING -> Instant.EPOCH;
        case DEFERRED -> r.nextAttempt();
        default -> null;
      };
      if (t != null && (at == null || t.isBefore(at))) {
        at = t;
      }
    }
    if (at != null && at.isBefore(notBefore)) {
      at = notBefore;
    }
    scheduled.put(e.id(), at);
    due.add(new Due(at, e.id()));
    arm();
  }

  private void arm() {
    dispatch();
    Due head = due.peek();
    if (head == null || stopping) {
      return;
    }
    if (timer >= 0 && !timerAt.isAfter(head.at())) {
      return;
    }
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    long ms = Math.max(1, Duration.between(Instant.now(), head.at()).toMillis());
    timerAt = head.at();
    timer = vertx.setTimer(ms, t -> ctx.runOnContext(v -> {
      timer = -1;
      arm();
    }));
  }

  private void dispatch() {
    Instant now = Instant.now();
    while (!stopping && busy.size() < options.getMaxDeliveries()) {
      Due head = liveHead();
      if (head == null || head.at().isAfter(now)) {
        return;
      }
      due.poll();
      scheduled.remove(head.id());
      attempt(head.id());
    }
  }

  /** An attempt or a removal has settled (its id already out of {@code busy}): go on, or report idle when stopping. */
  private void settled() {
    if (stopping) {
      if (busy.isEmpty() && idle != null) {
        idle.complete();
      }
    } else {
      arm();
      checkQuiet();
    }
  }

  // ---- one attempt ----

  private void attempt(String id) {
    SpoolEntry e = spool.get(id);
    if (e == null || !busy.add(id)) {
      return;
    }
    Instant now = Instant.now();
    List<Integer> local = new ArrayList<>();
    List<Integer> remote = new ArrayList<>();
    for (int i = 0; i < e.recipients().size(); i++) {
      RecipientState r = e.recipients().get(i);
      boolean dueNow = r.status() == RecipientState.Status.PENDING
          || r.status() == RecipientState.Status.DEFERRED && !r.nextAttempt().isAfter(now);
      if (dueNow) {
        (policy.isLocal(r.rcpt().path()) ? local : remote).add(i);
      }
    }
    Map<Integer, RecipientOutcome> outcomes = new HashMap<>();
    List<Future<?>> parts = new ArrayList<>();
    if (!local.isEmpty()) {
      parts.add(deliverLocally(e, local, outcomes));
    }
    if (!remote.isEmpty()) {
      parts.add(deliverRemotely(e, remote, outcomes));
    }
    Future.join(parts).onComplete(ar -> ctx.runOnContext(v -> record(e, outcomes, now)));
  }

  private Future<Void> deliverLocally(SpoolEntry e, List<Integer> idx, Map<Integer, RecipientOutcome> out) {
    List<ForwardPath> paths = idx.stream().map(i -> e.recipients().get(i).rcpt().path()).toList();
    Future<String> stored;
    try {
      stored = maildir.deliver(e.id(), e.envelope().sender(), paths, spool.open(e.id()));
    } catch (RuntimeException ex) {
      stored = Future.failedFuture(ex);
    }
    return stored.transform(ar -> {
      for (int i : idx) {
        ForwardPath p = e.recipients().get(i).rcpt().path();
        out.put(i, ar.succeeded()
            ? new RecipientOutcome(p, RecipientOutcome.Status.DELIVERED,
                Reply.of(250, "2.0.0", "delivered to maildir as " + ar.result()), "local")
            : new RecipientOutcome(p, RecipientOutcome.Status.DEFERRED,
                Reply.of(451, "4.3.0", "local delivery failed: " + Reply.lineText(String.valueOf(ar.cause().getMessage()))),
                "local"));
      }
      return Future.succeededFuture();
    });
  }

  /**
   * The message to send for recipients {@code idx} of {@code e}: its sender, RET, ENVID and BODY, each
   * recipient's NOTIFY and ORCPT, the content read from the spool (each attempt reads it afresh).
   */
  static MailMessage message(Spool spool, SpoolEntry e, List<Integer> idx) {
    SpoolEnvelope env = e.envelope();
    List<MailTransaction.Recipient> rcpts = new ArrayList<>();
    for (int i : idx) {
      SmtpCommand.RcptTo rcpt = e.recipients().get(i).rcpt();
      EsmtpParam.Notify notify = rcpt.param(EsmtpParam.Notify.class);
      EsmtpParam.OriginalRecipient orcpt = rcpt.param(EsmtpParam.OriginalRecipient.class);
      rcpts.add(new MailTransaction.Recipient(rcpt.path(), notify == null ? Set.of() : notify.types(),
          orcpt == null ? null : orcpt.address()));
    }
    EsmtpParam.Body body = env.mail().param(EsmtpParam.Body.class);
    String id = e.id();
    return new MailMessage(env.sender(), rcpts, null, () -> spool.open(id), env.ret(), env.envId(),
        body == null ? null : body.type());
  }

  private Future<Void> deliverRemotely(SpoolEntry e, List<Integer> idx, Map<Integer, RecipientOutcome> out) {
    MailMessage message = message(spool, e, idx);
    List<MailTransaction.Recipient> rcpts = message.recipients();
    return mailer.send(message).transform(ar -> {
      MailResult result = ar.succeeded() ? ar.result() : null;
      for (int k = 0; k < idx.size(); k++) {
        RecipientOutcome o = result != null ? result.recipients().get(k)
            : new RecipientOutcome(rcpts.get(k).path(), RecipientOutcome.Status.DEFERRED, Reply.of(451, "4.3.0",
                "Local error in processing: " + Reply.lineText(String.valueOf(ar.cause().getMessage()))), null);
        out.put(idx.get(k), o);
      }
      return Future.succeededFuture();
    });
  }

  /** Makes the outcomes durable, logs them, then finishes the entry or schedules its next attempt. */
  private void record(SpoolEntry e, Map<Integer, RecipientOutcome> outcomes, Instant started) {
    Instant now = Instant.now();
    Instant expires = e.envelope().receivedAt().plus(options.getMaxAge());
    List<Spool.Mark> marks = new ArrayList<>();
    Map<Integer, String> hosts = new HashMap<>();
    // Recipients not sent for want of a session or a turn here: no attempt, nothing to record.
    boolean congested = now.isBefore(expires) && outcomes.values().stream().anyMatch(QueueManager::congestion);
    outcomes.forEach((i, o) -> {
      RecipientState r = e.recipients().get(i);
      if (congested && congestion(o)) {
        LOG.log(System.Logger.Level.DEBUG, () -> e.id() + ": to=" + r.rcpt().path() + ", status=waiting (" + o.reply().text() + ")");
        return;
      }
      hosts.put(i, o.host());
      String status;
      Spool.Mark mark;
      switch (o.status()) {
        case DELIVERED -> {
          mark = new Spool.Mark(i, RecipientState.Status.DELIVERED, o.reply(), null);
          status = "sent";
        }
        case FAILED -> {
          mark = new Spool.Mark(i, RecipientState.Status.FAILED, o.reply(), null);
          status = "bounced";
        }
        default -> {
          if (!now.isBefore(expires)) {
            mark = new Spool.Mark(i, RecipientState.Status.FAILED, o.reply(), null);
            status = "expired";
          } else {
            Instant next = now.plus(backoff(r.attempts() + 1));
            mark = new Spool.Mark(i, RecipientState.Status.DEFERRED, o.reply(), next);
            status = "deferred";
          }
        }
      }
      marks.add(mark);
      dev.peregrine.relay.RelayMetrics m = metrics;
      if (m != null) {
        m.outcome(status, "local".equals(o.host()) ? "local" : "smtp",
            r.rcpt().path().isPostmaster() ? "postmaster" : r.rcpt().path().mailbox().domain());
      }
      LOG.log(System.Logger.Level.INFO, e.id() + ": to=" + r.rcpt().path() + ", relay=" + (o.host() == null ? "none"
          : o.host()) + ", delay=" + seconds(Duration.between(e.envelope().receivedAt(), now)) + ", attempt="
          + (r.attempts() + 1) + ", dsn=" + DeliveryReport.status(o.reply(), DeliveryReport.Action.FAILED) + ", status="
          + status + " (" + o.reply().code() + " " + o.reply().text() + ")");
    });
    lastHosts.put(e.id(), hosts);
    // Failures are reported before they are recorded: a crash in between repeats the attempt (and the
    // report), it never loses the report.
    SpoolEntry updated = apply(e, marks);
    // Likewise the success reports NOTIFY=SUCCESS asks for (RFC 3461 §6.2): "delivered" for our Maildir,
    // "relayed" for a next hop without DSN; one that offers DSN got NOTIFY with the message and reports itself.
    Map<DeliveryReport.Action, List<Integer>> toReport = new java.util.EnumMap<>(DeliveryReport.Action.class);
    for (Spool.Mark m : marks) {
      DeliveryReport.Action action = null;
      if (m.status() == RecipientState.Status.FAILED) {
        action = DeliveryReport.Action.FAILED;
      } else if (m.status() == RecipientState.Status.DELIVERED) {
        RecipientOutcome o = outcomes.get(m.recipient());
        action = "local".equals(o.host()) ? DeliveryReport.Action.DELIVERED
            : o.dsnPassedOn() ? null : DeliveryReport.Action.RELAYED;
      }
      if (action != null && DeliveryReport.wanted(updated.recipients().get(m.recipient()).rcpt(), action)) {
        toReport.computeIfAbsent(action, a -> new ArrayList<>()).add(m.recipient());
      }
    }
    Future<Void> reported = Future.succeededFuture();
    for (Map.Entry<DeliveryReport.Action, List<Integer>> r : toReport.entrySet()) {
      r.getValue().sort(null);
      reported = reported.compose(v -> report(updated, r.getValue(), r.getKey()));
    }
    Future<SpoolEntry> stored = reported.compose(v -> marks.isEmpty() ? Future.succeededFuture(spool.get(e.id()))
        : spool.mark(e.id(), marks));
    stored.onComplete(ar -> ctx.runOnContext(v -> {
      busy.remove(e.id());
      if (ar.failed() || ar.result() == null) {
        // Nothing recorded: try again later (the recipients are still pending or deferred on disk).
        LOG.log(System.Logger.Level.ERROR, e.id() + ": cannot record the outcomes, retrying after "
            + options.getMinBackoff(), ar.cause());
        retryLater(e.id());
      } else if (ar.result().isFinished()) {
        finish(ar.result());
      } else {
        reportDelays(ar.result());
        schedule(ar.result(), congested ? Instant.now().plus(congestionRetry()) : Instant.EPOCH);
      }
      settled();
    }));
  }

  private void retryLater(String id) {
    Instant at = Instant.now().plus(options.getMinBackoff());
    scheduled.put(id, at);
    due.add(new Due(at, id));
  }

  /** {@code e} with {@code marks} applied in memory, as the spool will have it once they are recorded. */
  private static SpoolEntry apply(SpoolEntry e, List<Spool.Mark> marks) {
    List<RecipientState> rs = new ArrayList<>(e.recipients());
    for (Spool.Mark m : marks) {
      RecipientState r = rs.get(m.recipient());
      rs.set(m.recipient(), new RecipientState(r.rcpt(), m.status(), m.reply(), m.nextAttempt(), r.attempts() + 1));
    }
    return new SpoolEntry(e.id(), e.envelope(), e.size(), rs);
  }

  private final Map<String, Map<Integer, String>> lastHosts = new HashMap<>();

  /** Our own congestion: the Mailer's {@code 451 4.4.5} for a transaction it could not start (no host tried). */
  static boolean congestion(RecipientOutcome o) {
    return o.status() == RecipientOutcome.Status.DEFERRED && o.host() == null && o.reply().enhanced() != null
        && o.reply().enhanced().toString().equals("4.4.5");
  }

  /** How long a recipient held back by our own congestion waits: {@link #CONGESTION_RETRY} ±50 %, at most min-backoff. */
  Duration congestionRetry() {
    long ms = Math.min(CONGESTION_RETRY.toMillis(), options.getMinBackoff().toMillis());
    return Duration.ofMillis(Math.max(1, (long) (ms * (0.5 + ThreadLocalRandom.current().nextDouble()))));
  }

  /** The wait before attempt {@code n + 1} (n ≥ 1): min-backoff doubled per attempt, capped, ±10 % jitter. */
  Duration backoff(int attempts) {
    long min = options.getMinBackoff().toMillis();
    long max = options.getMaxBackoff().toMillis();
    long ms = min;
    for (int k = 1; k < attempts && ms < max; k++) {
      ms *= 2;
    }
    ms = Math.min(ms, max);
    double jitter = 0.9 + 0.2 * ThreadLocalRandom.current().nextDouble();
    return Duration.ofMillis(Math.max(1, (long) (ms * jitter)));
  }

  /** Seconds with two decimals, without String.format (this runs for every recipient of every attempt). */
  static String seconds(Duration d) {
    long cs = Math.max(0, d.toMillis() / 10);
    long frac = cs % 100;
    return cs / 100 + (frac < 10 ? ".0" : ".") + frac;
  }

  private static int pending(SpoolEntry e) {
    return (int) e.recipients().stream().filter(r -> !r.isFinal()).count();
  }

  // ---- the end of an entry: reports, then removal ----

  /** Every recipient is final and its failure reported: the entry goes. */
  private void finish(SpoolEntry e) {
    if (!busy.add(e.id())) {
      return;
    }
    spool.remove(e.id()).onComplete(ar -> ctx.runOnContext(v -> {
      busy.remove(e.id());
      lastHosts.remove(e.id());
      delayReported.remove(e.id());
      if (ar.succeeded()) {
        queued.decrementAndGet();
        LOG.log(System.Logger.Level.INFO, e.id() + ": removed");
      } else {
        LOG.log(System.Logger.Level.ERROR, e.id() + ": cannot remove, retrying after " + options.getMinBackoff(),
            ar.cause());
        retryLater(e.id());
      }
      settled();
    }));
  }

  private void reportDelays(SpoolEntry e) {
    if (delayReported.contains(e.id())) {
      return;
    }
    if (Instant.now().isBefore(e.envelope().receivedAt().plus(options.getDelayWarning()))) {
      return;
    }
    List<Integer> delayed = new ArrayList<>();
    for (int i = 0; i < e.recipients().size(); i++) {
      RecipientState r = e.recipients().get(i);
      if (r.status() == RecipientState.Status.DEFERRED && DeliveryReport.wanted(r.rcpt(), DeliveryReport.Action.DELAYED)) {
        delayed.add(i);
      }
    }
    if (delayed.isEmpty()) {
      return;
    }
    delayReported.add(e.id());
    report(e, delayed, DeliveryReport.Action.DELAYED).onFailure(t ->
        LOG.log(System.Logger.Level.WARNING, e.id() + ": cannot spool the delay report", t));
  }

  /**
   * Spools a report on {@code recipients} of {@code e} and queues it. To the sender; for a message from the
   * null sender (a bounce that bounced), to the postmaster, unless it was already to the postmaster.
   */
  private Future<Void> report(SpoolEntry e, List<Integer> recipients, DeliveryReport.Action action) {
    SpoolEnvelope env = e.envelope();
    ForwardPath to;
    if (!env.sender().isNull()) {
      to = new ForwardPath(env.sender().mailbox());
    } else {
      boolean toPostmaster = recipients.stream().allMatch(i -> isPostmaster(e.recipients().get(i).rcpt().path()));
      if (toPostmaster || action != DeliveryReport.Action.FAILED) {
        LOG.log(System.Logger.Level.WARNING, e.id() + ": " + action.name().toLowerCase(java.util.Locale.ROOT)
            + " report not sent: the message is from the null sender" + (toPostmaster ? " to the postmaster" : ""));
        return Future.succeededFuture();
      }
      to = postmaster;
    }
    // RET is for failure reports (RFC 3461 §4.3): the others return the header section only.
    boolean headersOnly = action != DeliveryReport.Action.FAILED || env.ret() == EsmtpParam.ReturnType.HDRS
        || e.size() > options.getBounceSizeLimit();
    long limit = headersOnly ? Math.min(e.size(), options.getBounceSizeLimit()) : e.size();
    Map<Integer, String> hosts = lastHosts.getOrDefault(e.id(), Map.of());
    return readUpTo(e.id(), limit).compose(original -> {
      SpoolEntry forReport = env.sender().isNull() ? withSender(e, to) : e;
      Buffer dsn = DeliveryReport.build(forReport, recipients, action, original, !headersOnly, hostname, Instant.now(),
          env.receivedAt().plus(options.getMaxAge()), hosts::get);
      List<EsmtpParam> params = DeliveryReport.eightBit(dsn.getBytes())
          ? List.of(new EsmtpParam.Body(EsmtpParam.BodyType.EIGHT_BIT_MIME)) : List.of();
      SpoolEnvelope reportEnv = new SpoolEnvelope(new SmtpCommand.MailFrom(ReversePath.NULL, params),
          List.of(new SmtpCommand.RcptTo(to, List.of())), Instant.now(),
          new SpoolEnvelope.ClientInfo(hostname, null, "ESMTP", null));
      return spool.receive(reportEnv, new BufferStream(ctx, dsn));
    }).map(entry -> {
      LOG.log(System.Logger.Level.INFO, e.id() + ": " + action.name().toLowerCase(java.util.Locale.ROOT)
          + " report " + entry.id() + " to " + to);
      dev.peregrine.relay.RelayMetrics m = metrics;
      if (m != null) {
        m.report(action.name().toLowerCase(java.util.Locale.ROOT));
      }
      submit(entry);
      return null;
    });
  }

  private boolean isPostmaster(ForwardPath p) {
    return p.isPostmaster() || p.equals(postmaster)
        || p.mailbox().localPart().equalsIgnoreCase("postmaster") && policy.isLocal(p);
  }

  /** The entry as if sent by {@code to}'s mailbox: a double bounce is addressed to the postmaster. */
  private SpoolEntry withSender(SpoolEntry e, ForwardPath to) {
    SpoolEnvelope env = e.envelope();
    ReversePath sender = to.isPostmaster() ? ReversePath.of("postmaster@" + hostname) : new ReversePath(to.mailbox());
    SpoolEnvelope changed = new SpoolEnvelope(new SmtpCommand.MailFrom(sender, env.mail().params()), env.recipients(),
        env.receivedAt(), env.client());
    return new SpoolEntry(e.id(), changed, e.size(), e.recipients());
  }

  /** The first {@code limit} octets of an entry's content (the rest is read and dropped: the reader ends cleanly). */
  private Future<Buffer> readUpTo(String id, long limit) {
    ReadStream<Buffer> in;
    try {
      in = spool.open(id);
    } catch (RuntimeException ex) {
      return Future.failedFuture(ex);
    }
    Promise<Buffer> all = Promise.promise();
    Buffer acc = Buffer.buffer((int) Math.min(limit, 1 << 20));
    in.exceptionHandler(all::tryFail);
    in.endHandler(v -> all.tryComplete(acc));
    in.handler(b -> {
      long room = limit - acc.length();
      if (room > 0) {
        acc.appendBuffer(b.length() <= room ? b : b.slice(0, (int) room));
      }
    });
    return all.future();
  }
}
