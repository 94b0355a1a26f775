package dev.peregrine.relay;

import dev.peregrine.protocol.ForwardPath;
import dev.peregrine.protocol.ReversePath;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Final delivery to a Maildir ({@code tmp/}, then {@code new/}): the relay's local transport. Each delivery
 * is one file that starts with {@code Return-Path:} (RFC 5321 §4.4) and one {@code Delivered-To:} line per
 * recipient (as Postfix's local delivery adds), followed by the content as spooled (our {@code Received:}
 * line included).
 *
 * <p>Durability: the file is written with back-pressure through Vert.x's async file API, fsync'd, renamed
 * into {@code new/}, and the directory is fsync'd (on a worker) before the returned future completes. Never
 * blocks the caller's event loop.
 */
public final class Maildir {

  private static final AtomicLong SEQUENCE = new AtomicLong();

  private final Vertx vertx;
  private final Path dir;

  public Maildir(Vertx vertx, Path dir) {
    this.vertx = vertx;
    this.dir = dir.toAbsolutePath();
  }

  public Path dir() {
    return dir;
  }

  /** Creates the Maildir folders; completes when they exist. */
  public Future<Void> prepare() {
    return vertx.fileSystem().mkdirs(dir.resolve("tmp").toString())
        .compose(v -> vertx.fileSystem().mkdirs(dir.resolve("new").toString()))
        .compose(v -> vertx.fileSystem().mkdirs(dir.resolve("cur").toString()));
  }

  /**
   * Stores one message for {@code recipients}.
   *
   * @param queueId the spool's id, part of the file name (with a sequence number: one message may be
   *     delivered here more than once, e.g. to recipients deferred and then delivered)
   * @param content read with back-pressure from now on
   * @return the file's name in {@code new/}, once it and its directory entry are on stable storage; on
   *     failure nothing is left in {@code tmp/}
   */
  public Future<String> deliver(String queueId, ReversePath sender, List<ForwardPath> recipients,
                                ReadStream<Buffer> content) {
    content.pause();
    String name = System.currentTimeMillis() / 1000 + "." + queueId + "_" + SEQUENCE.incrementAndGet() + ".peregrine";
    String tmp = dir.resolve("tmp").resolve(name).toString();
    String dst = dir.resolve("new").resolve(name).toString();
    Buffer header = Buffer.buffer(256).appendString(TraceHeaders.returnPath(sender));
    for (ForwardPath to : recipients) {
      header.appendString("Delivered-To: " + (to.isPostmaster() ? "postmaster" : to.mailbox()) + "\r\n");
    }
    return vertx.fileSystem().open(tmp, new OpenOptions().setWrite(true).setCreateNew(true))
        .compose(file -> file.write(header)
            .compose(v -> content.pipeTo(new NoEnd(file)))
            .compose(v -> file.flush())
            .eventually(file::close)
            .compose(v -> vertx.fileSystem().move(tmp, dst))
            .compose(v -> syncDirectory(dir.resolve("new")))
            .recover(e -> vertx.fileSystem().delete(tmp).transform(ignored -> Future.failedFuture(e))))
        .map(v -> name);
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
  private static final class NoEnd implements WriteStream<Buffer> {
    private final AsyncFile file;

    NoEnd(AsyncFile file) {
      this.file = file;
    }

    @Override
    public NoEnd exceptionHandler(Handler<Throwable> handler) {
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
    public NoEnd drainHandler(Handler<Void> handler) {
      file.drainHandler(handler);
      return this;
    }
  }
}
