package dev.peregrine.relay;

import dev.peregrine.protocol.ForwardPath;
import dev.peregrine.protocol.Reply;
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
import java.net.InetAddress;
import java.time.ZonedDateTime;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Accepts mail for the local domains of a {@link RelayPolicy} and stores each message durably in a Maildir
 * ({@code tmp/} then {@code new/}, RFC-less but universal), before answering 250. A recipient the client
 * may not relay to is refused ({@code 554 5.7.1}): no open relay. A recipient the client may relay to is
 * refused with {@code 554 5.3.3} until the relay's queue lands (nothing would deliver it). Until then, this
 * is what {@code serve} runs.
 *
 * <p>Each stored message starts with {@code Return-Path:} (RFC 5321 §4.4, final delivery), one
 * {@code X-Peregrine-Envelope-To:} line per recipient, and our {@code Received:} line (with the TLS
 * protocol and cipher, and the authenticated user when {@code showAuthUser}).
 *
 * <p>Durability: the file is written with back-pressure through Vert.x's async file API, fsync'd, renamed
 * into {@code new/}, and the directory is fsync'd (on a worker) before the 250; a message acknowledged is on
 * stable storage.
 *
 * <p>Calls back on the connection's context; never blocks it.
 */
public final class MaildirHandler implements SmtpHandler {

  /** Relaying is allowed for this client, but this build has no queue to relay with. */
  public static final Reply R554_CANNOT_RELAY = Reply.of(554, "5.3.3",
      "Relaying is not available on this server yet: it delivers to its local domains only");

  private static final AtomicLong SEQUENCE = new AtomicLong();

  private final Vertx vertx;
  private final Path dir;
  private final RelayPolicy policy;
  private final String hostname;
  private final boolean showAuthUser;
  private final PasswordFile passwords;

  /**
   * @param dir the Maildir (created with {@code tmp/}, {@code new/} and {@code cur/} by {@link #prepare()})
   * @param policy which recipients are local, relayed or refused
   * @param showAuthUser name the authenticated user in the {@code Received:} line
   * @param passwords the users AUTH accepts; {@code null}: none (every AUTH gets 535)
   */
  public MaildirHandler(Vertx vertx, Path dir, RelayPolicy policy, String hostname, boolean showAuthUser,
                        PasswordFile passwords) {
    this.vertx = vertx;
    this.dir = dir.toAbsolutePath();
    this.policy = policy;
    this.hostname = hostname;
    this.showAuthUser = showAuthUser;
    this.passwords = passwords;
  }

  @Override
  public Future<Boolean> authenticate(SmtpSession session, dev.peregrine.server.Credentials credentials) {
    return passwords == null ? Future.succeededFuture(false) : passwords.verify(credentials);
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
    InetAddress client = session.remoteAddress() == null ? null : Cidr.address(session.remoteAddress().hostAddress());
    return Future.succeededFuture(switch (policy.decide(path, client, session.authenticatedUser() != null)) {
      case LOCAL -> null;
      case RELAY -> R554_CANNOT_RELAY.withText(path + ": " + R554_CANNOT_RELAY.lines().get(0));
      case DENIED -> RelayPolicy.R554_RELAY_DENIED.withText(path + ": Relay access denied");
    });
  }

  @Override
  public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
    content.pause();
    String id = Long.toString(System.currentTimeMillis(), 36) + "." + SEQUENCE.incrementAndGet() + "." + session.id();
    String tmp = dir.resolve("tmp").resolve(id).toString();
    String dst = dir.resolve("new").resolve(id).toString();
    Buffer header = Buffer.buffer(512).appendString(TraceHeaders.returnPath(envelope.sender()));
    for (ForwardPath to : envelope.forwardPaths()) {
      header.appendString("X-Peregrine-Envelope-To: " + to + "\r\n");
    }
    header.appendString(TraceHeaders.received(session, hostname, id, envelope.forwardPaths(), showAuthUser,
        ZonedDateTime.now()));
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
