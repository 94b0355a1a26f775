package dev.peregrine.client;

import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.protocol.ForwardPath;
import dev.peregrine.protocol.ReversePath;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.util.List;
import java.util.Set;

/**
 * One message to send: the reverse path, the recipients (with DSN options), and the content as a whole
 * {@link Buffer} or a {@link ReadStream} (then sent with back-pressure; the stream is paused until the
 * server is ready for it). Content uses CRLF line endings; a bare CR or LF is turned into CRLF on the way.
 */
public record MailTransaction(ReversePath from, List<Recipient> recipients, Buffer content, ReadStream<Buffer> stream,
                              EsmtpParam.ReturnType ret, String envelopeId) {

  /** A recipient with its DSN options ({@code notifyOn} empty = server default; {@code orcpt} may be null). */
  public record Recipient(ForwardPath path, Set<EsmtpParam.NotifyType> notifyOn, String orcpt) {
    public static Recipient of(String address) {
      return new Recipient(ForwardPath.of(address), Set.of(), null);
    }
  }

  public MailTransaction {
    if (recipients.isEmpty()) {
      throw new IllegalArgumentException("a transaction needs at least one recipient");
    }
    if ((content == null) == (stream == null)) {
      throw new IllegalArgumentException("give the content as a Buffer or as a ReadStream, not both");
    }
    recipients = List.copyOf(recipients);
  }

  /** A message in a buffer to plain recipients. */
  public static MailTransaction of(String from, List<String> to, Buffer content) {
    return new MailTransaction(ReversePath.of(from), to.stream().map(Recipient::of).toList(), content, null, null, null);
  }

  /** A streamed message to plain recipients. */
  public static MailTransaction of(String from, List<String> to, ReadStream<Buffer> content) {
    return new MailTransaction(ReversePath.of(from), to.stream().map(Recipient::of).toList(), null, content, null, null);
  }
}
