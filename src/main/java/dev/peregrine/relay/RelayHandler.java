package dev.peregrine.relay;

import dev.peregrine.dkim.DkimMessage;
import dev.peregrine.dkim.DkimSigner;
import dev.peregrine.dkim.impl.SignedStream;
import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.relay.queue.QueueManager;
import dev.peregrine.relay.spool.Spool;
import dev.peregrine.relay.spool.SpoolEntry;
import dev.peregrine.relay.spool.SpoolEnvelope;
import dev.peregrine.relay.spool.SpoolException;
import dev.peregrine.server.Credentials;
import dev.peregrine.server.Envelope;
import dev.peregrine.server.SmtpHandler;
import dev.peregrine.server.SmtpSession;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.net.InetAddress;
import java.time.ZonedDateTime;
import java.util.function.Function;

/**
 * What {@code serve} runs: accepts mail under the {@link RelayPolicy} (local domains, relay domains, and
 * anywhere for authenticated clients and client networks; {@code 554 5.7.1} otherwise), streams each message
 * into the {@link Spool} behind our {@code Received:} line, answers {@code 250 2.0.0 OK queued as ID} only
 * once the spool has it on stable storage, and hands the entry to the {@link QueueManager}. When the queue
 * is over its high-water mark or the spool's disk is short of space, MAIL gets {@code 452 4.3.1} (RFC 3463:
 * mail system full); when the spool
 * cannot store a message, the end of data gets {@code 451 4.3.0} and nothing of it is kept. With a
 * {@link DkimSigner}, the mail of clients that may relay is signed as it streams into the spool.
 *
 * <p>Calls back on the connection's context; never blocks it.
 */
public final class RelayHandler implements SmtpHandler {

  private static final System.Logger LOG = System.getLogger("dev.peregrine.relay");

  public static final Reply R451_NOT_STORED = Reply.of(451, "4.3.0",
      "Local error: the message could not be stored, try again later");

  private final Spool spool;
  private final QueueManager queue;
  private final RelayPolicy policy;
  private final String hostname;
  private final boolean showAuthUser;
  private final PasswordFile passwords;
  private final RelayMetrics metrics;
  private final DkimSigner signer;

  /**
   * @param showAuthUser name the authenticated user in the {@code Received:} line
   * @param passwords the users AUTH accepts; {@code null}: none (every AUTH gets 535)
   * @param metrics where connections, acceptances and refusals are counted
   * @param signer signs the mail of clients that may relay, at acceptance; {@code null}: no DKIM
   */
  public RelayHandler(Spool spool, QueueManager queue, RelayPolicy policy, String hostname, boolean showAuthUser,
                      PasswordFile passwords, RelayMetrics metrics, DkimSigner signer) {
    this.metrics = metrics;
    this.signer = signer;
    this.spool = spool;
    this.queue = queue;
    this.policy = policy;
    this.hostname = hostname;
    this.showAuthUser = showAuthUser;
    this.passwords = passwords;
  }

  /**
   * Signs the mail of clients that may relay (authenticated, or in the client networks), as OpenDKIM does for
   * its internal hosts; mail from anyone else (the MX listener's inbound mail) is never signed, so that a
   * stranger cannot get our signature on a From: of ours.
   */
  private boolean signs(SmtpSession session) {
    if (signer == null) {
      return false;
    }
    InetAddress client = session.remoteAddress() == null ? null : Cidr.address(session.remoteAddress().hostAddress());
    return policy.mayRelay(client, session.authenticatedUser() != null);
  }

  @Override
  public Future<Boolean> authenticate(SmtpSession session, Credentials credentials) {
    return passwords == null ? Future.succeededFuture(false) : passwords.verify(credentials);
  }

  @Override
  public Future<Reply> connect(SmtpSession session) {
    metrics.connected();
    return Future.succeededFuture();
  }

  @Override
  public void disconnect(SmtpSession session) {
    metrics.disconnected();
  }

  @Override
  public Future<Reply> mail(SmtpSession session, Envelope envelope) {
    Reply refusal = queue.refusal();
    if (refusal != null) {
      metrics.refused(refusal.text().contains("disk") ? "disk_full" : "queue_full");
    }
    return Future.succeededFuture(refusal);
  }

  @Override
  public Future<Reply> rcpt(SmtpSession session, Envelope envelope, SmtpCommand.RcptTo rcpt) {
    InetAddress client = session.remoteAddress() == null ? null : Cidr.address(session.remoteAddress().hostAddress());
    return Future.succeededFuture(switch (policy.decide(rcpt.path(), client, session.authenticatedUser() != null)) {
      case LOCAL, RELAY -> null;
      case DENIED -> {
        metrics.refused("relay_denied");
        yield RelayPolicy.R554_RELAY_DENIED.withText(rcpt.path() + ": Relay access denied");
      }
    });
  }

  @Override
  public Future<Reply> data(SmtpSession session, Envelope envelope, ReadStream<Buffer> content) {
    SpoolEnvelope env = SpoolEnvelope.of(session, envelope);
    Function<String, Buffer> received = id -> Buffer.buffer(TraceHeaders.received(session, hostname, id,
        envelope.forwardPaths(), showAuthUser, ZonedDateTime.now()));
    Future<SpoolEntry> stored;
    if (signs(session)) {
      // Signed as the content streams to the spool; the signature is stored with the commit and sent first by
      // every delivery attempt. Our Received: line is not signed (not in the header list), so it may sit
      // between the signature and the content.
      EsmtpParam.Body body = envelope.mail().param(EsmtpParam.Body.class);
      DkimMessage dkim = signer.message(body != null && body.type() == EsmtpParam.BodyType.BINARY_MIME);
      SignedStream signed = new SignedStream(dkim, content);
      stored = spool.receive(env, received, signed, () -> signed.failure() != null
          ? Future.failedFuture(new SpoolException("DKIM signing failed: " + signed.failure().getMessage(),
              signed.failure()))
          : dkim.end());
    } else {
      stored = spool.receive(env, received, content);
    }
    return stored
        .map(entry -> {
          LOG.log(System.Logger.Level.INFO, entry.id() + ": accepted from=" + env.sender() + ", size=" + entry.size()
              + ", nrcpt=" + entry.recipients().size() + ", client=" + env.client().helo() + "["
              + env.client().address() + "], session=" + session.id());
          queue.submit(entry);
          metrics.accepted();
          return Reply.of(250, "2.0.0", "OK queued as " + entry.id());
        })
        .recover(t -> {
          if (t instanceof SpoolException) {
            LOG.log(System.Logger.Level.ERROR, "session " + session.id() + ": cannot spool a message", t);
            metrics.refused("spool_error");
            return Future.succeededFuture(R451_NOT_STORED);
          }
          return Future.failedFuture(t);
        });
  }
}
