package dev.peregrine.dkim;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/**
 * One message being signed, fed its content as it passes (chunks split anywhere, in order; the message as
 * it will be sent, before dot-stuffing): the header section is kept until its end (at most
 * {@value #MAX_HEADER_OCTETS} octets; past that the message goes unsigned), the body only runs through the
 * body hash. Bare CR and LF count as CRLF, as the client sends them (except for binary content).
 *
 * <p>Not thread-safe: feed it from one thread at a time (a stream's context, say).
 */
public interface DkimMessage {

  /** Header sections larger than this are not signed. */
  int MAX_HEADER_OCTETS = 1024 * 1024;

  /** The next chunk of the message. */
  void update(Buffer chunk);

  /**
   * The end of the message: the {@code DKIM-Signature:} header fields to put before it (each ending with
   * CRLF; an empty buffer when no key signs this message). The body hash is finished on the calling thread
   * and the private-key operations run on the signer's worker threads; completes on the caller's context.
   */
  Future<Buffer> end();

  /** As {@link #end()}, all on the calling thread (RSA-2048 costs about a millisecond of CPU). */
  Buffer endNow();

  /** The domain that signs this message (d=), known once the header section has passed; null when none does. */
  String signingDomain();
}
