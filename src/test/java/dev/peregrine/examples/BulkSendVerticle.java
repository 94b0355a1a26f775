package dev.peregrine.examples;

import dev.peregrine.mailer.MailMessage;
import dev.peregrine.mailer.MailerOptions;
import dev.peregrine.mutiny.MutinyMailer;
import io.smallrye.mutiny.Multi;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An example a Vert.x developer can copy: a verticle that sends {@code count} messages through the Mailer
 * with the Mutiny API, at most {@code concurrency} in flight, and completes its {@link #done()} future with
 * the number delivered. Config: {@code count}, {@code concurrency}, {@code mailer} (the mailer keys).
 */
public class BulkSendVerticle extends VerticleBase {

  private final Promise<Integer> done = Promise.promise();

  @Override
  public Future<?> start() {
    int count = config().getInteger("count", 10_000);
    int concurrency = config().getInteger("concurrency", 100);
    MutinyMailer mailer = MutinyMailer.create(vertx, new MailerOptions(config().getJsonObject("mailer")));
    AtomicInteger delivered = new AtomicInteger();
    Multi<MailMessage> messages = Multi.createFrom().range(0, count).map(i ->
        MailMessage.of("news@example.org", List.of("reader" + i + "@example.com"),
            Buffer.buffer("Subject: issue " + i + "\r\n\r\nHello, reader " + i + ".\r\n")));
    mailer.sendAll(messages, concurrency)
        .onItem().invoke(result -> {
          if (result.allDelivered()) {
            delivered.incrementAndGet();
          }
        })
        .collect().last()
        .onTermination().call(mailer::close)
        .subscribe().with(last -> done.tryComplete(delivered.get()), done::tryFail);
    return Future.succeededFuture();
  }

  /** The number of messages delivered, once every result is in. */
  public Future<Integer> done() {
    return done.future();
  }
}
