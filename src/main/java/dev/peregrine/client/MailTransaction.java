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
 * server is ready for it). Content uses CRLF line endings; a bare CR or LF is turned into CRLF on the way,
 * except in binary content.
 *
 * <p>{@code body} declares the content's type (RFC 6152 / RFC 3030); null lets the client decide from a
 * {@code Buffer}: 8-bit when an octet has its high bit set, binary when it holds a NUL. Binary content
 * ({@link EsmtpParam.BodyType#BINARY_MIME}) is sent exactly as given, with BDAT and {@code BODY=BINARYMIME}, and
 * needs a server that offers both CHUNKING and BINARYMIME. A streamed message that is 8-bit or binary must
 * say so here, since it cannot be scanned before it is sent.
 */
public record MailTransaction(ReversePath from, List<Recipient> recipients, Buffer content, ReadStream<Buffer> stream,
                              EsmtpParam.ReturnType ret, String envelopeId, EsmtpParam.BodyType body) {

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

  /** Without a declared body type. */
  public MailTransaction(ReversePath from, List<Recipient> recipients, Buffer content, ReadStream<Buffer> stream,
                         EsmtpParam.ReturnType ret, String envelopeId) {
    this(from, recipients, content, stream, ret, envelopeId, null);
  }

  /** This transaction with the content's body type declared. */
  public MailTransaction withBody(EsmtpParam.BodyType type) {
    return new MailTransaction(from, recipients, content, stream, ret, envelopeId, type);
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
