package dev.peregrine.server;

import dev.peregrine.protocol.Reply;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A handler that keeps every message (envelope and content) for the test to check; thread-safe, so one can
 * serve several verticle instances.
 */
public class RecordingHandler implements SmtpHandler {

  public record Message(String sender, List<String> recipients, Buffer content, String remote, String helo, String user,
                 boolean tls) {
  }

  public final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
  final BlockingQueue<String> events = new LinkedBlockingQueue<>();
  final Map<String, String> users = Map.of("alice", "s3cret");

  public Message next() throws InterruptedException {
    Message m = messages.poll(10, TimeUnit.SECONDS);
    if (m == null) {
      throw new AssertionError("no message within 10 s");
    }
    return m;
  }

  @Override
  public Future<Reply> connect(SmtpSession session) {
    events.add("connect " + session.remoteAddress().hostAddress() + ":" + session.remoteAddress().port());
    return Future.succeededFuture();
  }

  @Override
  public Future<Boolean> authenticate(SmtpSession session, Credentials credentials) {
    return Future.succeededFuture(credentials.password().equals(users.get(credentials.username())));
  }

  @Override
  public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
    Promise<Reply> done = Promise.promise();
    Buffer all = Buffer.buffer();
    content.handler(all::appendBuffer).exceptionHandler(done::tryFail).endHandler(v -> {
      messages.add(new Message(envelope.sender().toString(),
          envelope.forwardPaths().stream().map(Object::toString).toList(), all,
          session.remoteAddress().hostAddress(), session.heloName(), session.authenticatedUser(), session.isTls()));
      done.tryComplete(Reply.of(250, "2.0.0", "OK queued as " + session.id()));
    });
    return done.future();
  }

  @Override
  public void reset(SmtpSession session, Envelope envelope) {
    events.add("reset");
  }

  @Override
  public void disconnect(SmtpSession session) {
    events.add("disconnect");
  }
}
