package dev.peregrine.relay.spool;

import dev.peregrine.protocol.CommandParser;
import dev.peregrine.protocol.ParseResult;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.test.VertxFixture;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Shared helpers of the spool tests: envelopes, content, and running spool calls on an event loop. */
abstract class SpoolFixture extends VertxFixture {

  static final long WAIT = 30;

  static SmtpCommand command(String line) {
    return ((ParseResult.Parsed) new CommandParser().parse(line, true)).command();
  }

  static SpoolEnvelope envelope(String... rcpts) {
    List<SmtpCommand.RcptTo> list = new ArrayList<>();
    for (String r : rcpts) {
      list.add((SmtpCommand.RcptTo) command("RCPT TO:<" + r + "> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;" + r));
    }
    return new SpoolEnvelope((SmtpCommand.MailFrom) command("MAIL FROM:<sender@example.org> RET=HDRS ENVID=env+2Bid BODY=8BITMIME"),
        list, Instant.parse("2025-01-02T03:04:05.678Z"), new SpoolEnvelope.ClientInfo("client.test", "192.0.2.7", "ESMTPS", null));
  }

  static byte[] random(int length, long seed) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }

  SpoolOptions options(Path dir) {
    return new SpoolOptions().setDir(dir.toString());
  }

  Spool open(SpoolOptions options) throws Exception {
    return Spool.open(vertx, options).await(WAIT, TimeUnit.SECONDS);
  }

  /** Runs {@code call} on {@code ctx} and waits (bounded) for its result on the test thread. */
  static <T> T on(Context ctx, Supplier<Future<T>> call) throws Exception {
    Promise<T> p = Promise.promise();
    ctx.runOnContext(v -> call.get().onComplete(p));
    return p.future().await(WAIT, TimeUnit.SECONDS);
  }

  /** Receives {@code content} on a fresh event-loop context, in pieces of {@code piece} octets. */
  SpoolEntry receive(Spool spool, SpoolEnvelope envelope, byte[] content, int piece) throws Exception {
    Context ctx = vertx.getOrCreateContext();
    return on(ctx, () -> spool.receive(envelope, new BytesStream(ctx, content, piece)));
  }

  /** The content of an entry as read back through {@link Spool#open(String)}, one fetch at a time. */
  byte[] read(Spool spool, String queueId) throws Exception {
    Context ctx = vertx.getOrCreateContext();
    return on(ctx, () -> Future.succeededFuture(spool.open(queueId)).compose(stream -> {
      Promise<Buffer> all = Promise.promise();
      Buffer acc = Buffer.buffer();
      ReadStream<Buffer> s = stream.pause();
      s.handler(b -> {
        acc.appendBuffer(b);
        s.fetch(1);
      });
      s.exceptionHandler(all::tryFail);
      s.endHandler(v -> all.tryComplete(acc));
      s.fetch(1);
      return all.future();
    })).getBytes();
  }
}
