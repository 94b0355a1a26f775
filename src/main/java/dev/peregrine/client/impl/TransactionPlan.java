package dev.peregrine.client.impl;

import dev.peregrine.client.MailTransaction;
import dev.peregrine.protocol.Capabilities;
import dev.peregrine.protocol.DotStuffer;
import dev.peregrine.protocol.EsmtpParam;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.protocol.impl.Bytes;
import io.vertx.core.buffer.Buffer;

import java.util.ArrayList;
import java.util.List;

/**
 * What one transaction sends, decided from the message and the server's capabilities without I/O: the
 * commands (an RSET owed by the previous transaction, MAIL with its parameters, the RCPTs, then DATA or
 * {@code BDAT n LAST}), how the content goes (DATA or BDAT, from a buffer or a stream) and its wire form,
 * or the reply that refuses the message locally, sparing a round trip the server would refuse anyway.
 */
final class TransactionPlan {

  static final Reply R552_TOO_BIG_LOCAL = Reply.of(552, "5.3.4", "Message larger than the server's SIZE limit (checked locally)");
  static final Reply R553_UTF8_LOCAL = Reply.of(553, "5.6.7", "An address needs SMTPUTF8, which the server does not offer");
  static final Reply R554_8BIT_LOCAL = Reply.of(554, "5.6.3", "8-bit content, and the server does not offer 8BITMIME");
  static final Reply R554_BINARY_LOCAL = Reply.of(554, "5.6.3",
      "Binary content, and the server does not offer BINARYMIME with CHUNKING (or CHUNKING is disabled)");

  enum Content {
    /** DATA, then the buffer, dot-stuffed as it is written, and the terminator. */
    DATA_BUFFER,
    /** DATA, then the stream, dot-stuffed while it flows. */
    DATA_STREAM,
    /** {@code BDAT n LAST} with the whole buffer, in the same write as the commands. */
    BDAT_BUFFER,
    /** After the MAIL/RCPT replies, one BDAT per stream chunk and {@code BDAT 0 LAST} (or the last octets). */
    BDAT_STREAM
  }

  final Reply refusal;
  final List<SmtpCommand> commands;
  final int mailIndex;
  final Content content;
  /** DATA_BUFFER: the content as given (stuffed as it is written); BDAT_BUFFER: the one chunk; null for streams. */
  final List<Buffer> wire;
  /** Content sent exactly as given (BODY=BINARYMIME): no line-ending repair. */
  final boolean binary;

  private TransactionPlan(Reply refusal, List<SmtpCommand> commands, int mailIndex, Content content, List<Buffer> wire,
                          boolean binary) {
    this.refusal = refusal;
    this.commands = commands;
    this.mailIndex = mailIndex;
    this.content = content;
    this.wire = wire;
    this.binary = binary;
  }

  private static TransactionPlan refuse(Reply reply) {
    return new TransactionPlan(reply, List.of(), 0, null, null, false);
  }

  /**
   * @param chunking  BDAT allowed by the client's options (and used only when the server offers CHUNKING)
   * @param rsetFirst the previous transaction ended part-way and owes an RSET
   */
  static TransactionPlan of(MailTransaction tx, Capabilities caps, boolean chunking, boolean rsetFirst) {
    boolean utf8 = needsUtf8(tx);
    if (utf8 && !caps.smtpUtf8()) {
      return refuse(R553_UTF8_LOCAL);
    }
    Buffer buffer = tx.content();
    EsmtpParam.BodyType body = tx.body();
    if (body == null && buffer != null) {
      body = switch (Bytes.classify(buffer)) {
        case BINARY -> EsmtpParam.BodyType.BINARY_MIME;
        case EIGHT_BIT -> EsmtpParam.BodyType.EIGHT_BIT_MIME;
        case SEVEN_BIT -> null;
      };
    }
    boolean bdat = chunking && caps.chunking();
    boolean binaryOk = bdat && caps.binaryMime();
    boolean binary = body == EsmtpParam.BodyType.BINARY_MIME;
    boolean eightBit = body == EsmtpParam.BodyType.EIGHT_BIT_MIME;
    if (binary && !binaryOk) {
      return refuse(R554_BINARY_LOCAL);
    }
    if (eightBit && !caps.eightBitMime() && !binaryOk) {
      return refuse(R554_8BIT_LOCAL);
    }

    Content content;
    List<Buffer> wire = null;
    long size = -1;
    if (buffer == null) {
      content = bdat ? Content.BDAT_STREAM : Content.DATA_STREAM;
    } else if (bdat) {
      content = Content.BDAT_BUFFER;
      Buffer chunk = buffer;
      if (!binary) {
        DotStuffer lines = DotStuffer.lineEndingsOnly();
        Buffer fixed = lines.encode(buffer);
        Buffer tail = lines.finish();
        chunk = tail.length() == 0 ? fixed : Bytes.concat(List.of(fixed, tail));
      }
      wire = List.of(chunk);
      size = chunk.length();
    } else {
      content = Content.DATA_BUFFER;
      // Dot-stuffed when it is written, straight into the socket's buffer (ClientSessionImpl.flush).
      wire = List.of(buffer);
      // SIZE (RFC 1870) counts the message with its CRLFs, but neither the doubled dots nor the terminator.
      // A line end the client adds at the end is counted; one that repairs a bare CR or LF inside is not.
      int n = buffer.length();
      byte last = n == 0 ? Bytes.LF : buffer.getByte(n - 1);
      size = n + (last == Bytes.LF ? 0 : last == Bytes.CR ? 1 : 2);
    }
    if (size >= 0 && caps.size().isPresent() && size > caps.size().getAsLong()) {
      return refuse(R552_TOO_BIG_LOCAL);
    }

    List<EsmtpParam> mailParams = new ArrayList<>(4);
    if (size >= 0 && caps.sizeAdvertised()) {
      mailParams.add(new EsmtpParam.Size(size));
    }
    if (binary) {
      mailParams.add(new EsmtpParam.Body(EsmtpParam.BodyType.BINARY_MIME));
    } else if (eightBit) {
      mailParams.add(new EsmtpParam.Body(caps.eightBitMime() ? EsmtpParam.BodyType.EIGHT_BIT_MIME : EsmtpParam.BodyType.BINARY_MIME));
    }
    if (utf8) {
      mailParams.add(new EsmtpParam.SmtpUtf8());
    }
    if (caps.dsn() && tx.ret() != null) {
      mailParams.add(new EsmtpParam.Ret(tx.ret()));
    }
    if (caps.dsn() && tx.envelopeId() != null) {
      mailParams.add(new EsmtpParam.EnvId(tx.envelopeId()));
    }

    List<SmtpCommand> commands = new ArrayList<>(tx.recipients().size() + 3);
    if (rsetFirst) {
      commands.add(new SmtpCommand.Rset());
    }
    commands.add(new SmtpCommand.MailFrom(tx.from(), mailParams));
    for (MailTransaction.Recipient r : tx.recipients()) {
      List<EsmtpParam> p = new ArrayList<>(2);
      if (caps.dsn() && !r.notifyOn().isEmpty()) {
        p.add(new EsmtpParam.Notify(r.notifyOn()));
      }
      if (caps.dsn() && r.orcpt() != null) {
        p.add(new EsmtpParam.OriginalRecipient("rfc822", r.orcpt()));
      }
      commands.add(new SmtpCommand.RcptTo(r.path(), p));
    }
    switch (content) {
      case DATA_BUFFER, DATA_STREAM -> commands.add(new SmtpCommand.Data());
      case BDAT_BUFFER -> commands.add(new SmtpCommand.Bdat(size, true));
      case BDAT_STREAM -> {
        // The chunks follow once a recipient is accepted: a stream is not sent to nobody.
      }
    }
    return new TransactionPlan(null, List.copyOf(commands), rsetFirst ? 1 : 0, content, wire, binary);
  }

  private static boolean needsUtf8(MailTransaction tx) {
    if (!tx.from().isNull() && tx.from().mailbox().needsSmtpUtf8()) {
      return true;
    }
    for (MailTransaction.Recipient r : tx.recipients()) {
      if (!r.path().isPostmaster() && r.path().mailbox().needsSmtpUtf8()) {
        return true;
      }
    }
    return false;
  }
}
