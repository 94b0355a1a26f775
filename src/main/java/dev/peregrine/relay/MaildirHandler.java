package dev.peregrine.relay;

import dev.peregrine.protocol.ForwardPath;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.ServerReplies;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.server.Envelope;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpSession;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.streams.ReadStream;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Accepts mail for a set of local domains and stores each message durably in a Maildir ({@code tmp/} then
 * {@code new/}, RFC-less but universal), before answering 250. Recipients outside those domains are refused
 * (554 5.7.1): no open relay. Until the relay's spool and queue manager exist, this is what {@code serve}
 * runs.
 *
 * <p>Durability: the file is written with back-pressure through Vert.x's async file API, fsync'd, renamed
 * into {@code new/}, and the directory is fsync'd (on a worker) before the 250; a message acknowledged is on
 * stable storage. The envelope is kept in {@code X-Peregrine-Envelope-From/To} header lines put before the
 * content (with a {@code Received} line).
 *
 * <p>Calls back on the connection's context; never blocks it.
 */
public final class MaildirHandler implements SmtpHandler {

  private static final AtomicLong SEQUENCE = new AtomicLong();

  private final Vertx vertx;
  private final Path dir;
  private final Set<String> domains;
  private final String hostname;

  /**
   * @param dir the Maildir (created with {@code tmp/}, {@code new/} and {@code cur/} by {@link #prepare()})
   * @param domains the domains accepted, any case
   */
  public MaildirHandler(Vertx vertx, Path dir, Set<String> domains, String hostname) {
    this.vertx = vertx;
    this.dir = dir.toAbsolutePath();
    this.domains = domains.stream().map(d -> d.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    this.hostname = hostname;
  }

  /** Creates the Maildir folders; completes when they exist. */
  public Future<Void> prepare() {
    return vertx.fileSystem().mkdirs(dir.resolve("tmp").toString())
        .compose(v -> vertx.fileSystem().mkdirs(dir.resolve("new").toString()))
        .compose(v -> vertx.fileSystem().mkdirs(dir.resolve("cur").toString()));
  }

  @Override
  public Future<Reply> rcpt(SmtpSession session, Envelope envelope, SmtpCommand.RcptTo rcpt) {
    ForwardPath path = rcpt.path();
    if (path.isPostmaster() || domains.contains(path.mailbox().domain().toLowerCase(Locale.ROOT))) {
      return Future.succeededFuture();
    }
    return Future.succeededFuture(ServerReplies.R554_RELAY_DENIED.withText(path + ": Relay access denied"));
  }

  @Override
  public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
    content.pause();
    String id = Long.toString(System.currentTimeMillis(), 36) + "." + SEQUENCE.incrementAndGet() + "." + session.id();
    String tmp = dir.resolve("tmp").resolve(id).toString();
    String dst = dir.resolve("new").resolve(id).toString();
    Buffer header = Buffer.buffer(256)
        .appendString("X-Peregrine-Envelope-From: " + envelope.sender() + "\r\n");
    for (ForwardPath to : envelope.forwardPaths()) {
      header.appendString("X-Peregrine-Envelope-To: " + to + "\r\n");
    }
    header.appendString("Received: from " + session.heloName() + " (" + session.remoteAddress().hostAddress() + ")\r\n"
        + "\tby " + hostname + " with " + (session.isEsmtp() ? "ESMTP" : "SMTP") + (session.isTls() ? "S" : "")
        + (session.authenticatedUser() != null ? "A" : "") + " id " + id + ";\r\n"
        + "\t" + ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME) + "\r\n");
    return vertx.fileSystem().open(tmp, new OpenOptions().setWrite(true).setCreateNew(true))
        .compose(file -> file.write(header)
            .compose(v -> content.pipeTo(new NoEnd(file)))
            .compose(v -> file.flush())
            .eventually(file::close)
            .compose(v -> vertx.fileSystem().move(tmp, dst))
            .compose(v -> syncDirectory(dir.resolve("new")))
            .recover(e -> vertx.fileSystem().delete(tmp).transform(ignored -> Future.failedFuture(e))))
        .map(v -> Reply.of(250, "2.0.0", "OK queued as " + id));
  }

  private Future<Void> syncDirectory(Path d) {
    // The rename is durable only once the directory entry is; Vert.x has no async directory fsync.
    return vertx.executeBlocking(() -> {
      try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
        ch.force(true);
      }
      return null;
    });
  }

  /** Lets pipeTo() finish without closing the file, so it can be fsync'd first. */
  private static final class NoEnd implements io.vertx.core.streams.WriteStream<Buffer> {
    private final AsyncFile file;

    NoEnd(AsyncFile file) {
      this.file = file;
    }

    @Override
    public NoEnd exceptionHandler(io.vertx.core.Handler<Throwable> handler) {
      file.exceptionHandler(handler);
      return this;
    }

    @Override
    public Future<Void> write(Buffer data) {
      return file.write(data);
    }

    @Override
    public Future<Void> end() {
      return Future.succeededFuture();
    }

    @Override
    public NoEnd setWriteQueueMaxSize(int maxSize) {
      file.setWriteQueueMaxSize(maxSize);
      return this;
    }

    @Override
    public boolean writeQueueFull() {
      return file.writeQueueFull();
    }

    @Override
    public NoEnd drainHandler(io.vertx.core.Handler<Void> handler) {
      file.drainHandler(handler);
      return this;
    }
  }
}
