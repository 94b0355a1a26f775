package dev.peregrine.server.impl;

import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.SmtpCommand;
import io.vertx.core.Future;

/**
 * One mail transaction, server side: from an accepted MAIL to its end (a verdict, RSET, EHLO, STARTTLS or
 * the connection's close). Everything a transaction owns lives here, so that ending one is one assignment
 * (RFC 5321 §4.1.1.5: RSET clears the sender, recipients and content) and nothing of it leaks into the next.
 *
 * <p>Used on the connection's context only.
 */
final class Transaction {

  final EnvelopeImpl envelope;
  /** The content stream handed to the handler, once DATA or the first BDAT has started it. */
  ContentStream content;
  /** The handler's verdict on the content; answers the end of data. */
  Future<Reply> verdict;
  /** BDAT: a chunk has been accepted, so DATA and RCPT are out of sequence (RFC 3030 §3). */
  boolean bdatStarted;
  /** BDAT: the chunk being read is the last one. */
  boolean bdatLast;
  /** BDAT: octets received so far, for SIZE and the per-chunk 250. */
  long bdatTotal;
  /** BDAT: the message grew past the size limit; refused at LAST. */
  boolean bdatTooBig;

  Transaction(SmtpCommand.MailFrom mail) {
    this.envelope = new EnvelopeImpl(mail);
  }

  boolean contentStarted() {
    return content != null;
  }

  /** Ends the content stream (if any) with {@code cause}, unless it already ended. */
  void failContent(Throwable cause) {
    if (content != null && !content.isFinished()) {
      content.fail(cause);
    }
  }
}
