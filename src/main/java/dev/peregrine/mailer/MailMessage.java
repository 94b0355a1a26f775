package dev.peregrine.mailer;

import dev.peregrine.client.MailTransaction;
import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.protocol.ReversePath;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.util.List;
import java.util.function.Supplier;

/**
 * One message for the {@link Mailer}: a sender, recipients in any number of domains, and content that can
 * be sent more than once (one transaction per group of recipients, and again on failover): a
 * {@link Buffer}, or a factory that opens a fresh {@link ReadStream} each time.
 */
public record MailMessage(ReversePath from, List<MailTransaction.Recipient> recipients, Buffer content,
                          Supplier<ReadStream<Buffer>> contentFactory, EsmtpParam.ReturnType ret, String envelopeId,
                          EsmtpParam.BodyType body) {

  public MailMessage {
    if (recipients == null || recipients.isEmpty()) {
      throw new IllegalArgumentException("a message needs at least one recipient");
    }
    if ((content == null) == (contentFactory == null)) {
      throw new IllegalArgumentException("give the content as a Buffer or as a stream factory, not both");
    }
    recipients = List.copyOf(recipients);
  }

  public static MailMessage of(String from, List<String> to, Buffer content) {
    return new MailMessage(ReversePath.of(from), to.stream().map(MailTransaction.Recipient::of).toList(), content,
        null, null, null, null);
  }

  public static MailMessage streamed(String from, List<String> to, Supplier<ReadStream<Buffer>> contentFactory) {
    return new MailMessage(ReversePath.of(from), to.stream().map(MailTransaction.Recipient::of).toList(), null,
        contentFactory, null, null, null);
  }

  /** The transaction that carries this message to {@code subset} of its recipients. */
  public MailTransaction transaction(List<MailTransaction.Recipient> subset) {
    return new MailTransaction(from, subset, content, content == null ? contentFactory.get() : null, ret, envelopeId,
        body);
  }
}
