package dev.peregrine.dkim;

import dev.peregrine.dkim.impl.DkimSignerImpl;
import dev.peregrine.dkim.impl.PrefixedStream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * Signs messages with DKIM (RFC 6376; {@code rsa-sha256} and RFC 8463 {@code ed25519-sha256}) as
 * {@link DkimOptions} say: the keys of the signing domain that the From header's domain maps to, one
 * {@code DKIM-Signature} each. Owns the keys (read at start, re-read on a worker when a file changes) and a
 * small pool of worker threads for the private-key operations, which cost about a millisecond each and so
 * never run on an event loop unless the caller asks ({@link DkimMessage#endNow()}).
 *
 * <p>Usage while the content streams past (the relay's acceptance, say):
 * <pre>{@code
 * DkimMessage m = signer.message(false);
 * content.handler(chunk -> { m.update(chunk); spool.write(chunk); });
 * // at the end: m.end() -> the header fields to send before the content
 * }</pre>
 * Thread-safe; every future completes on the caller's context.
 */
public interface DkimSigner {

  /**
   * Reads the keys on a worker thread; fails with a {@link DkimKeyException} naming the file and the reason
   * when one cannot be used. Key files are then checked every {@code reload-period}.
   */
  static Future<DkimSigner> load(Vertx vertx, DkimOptions options) {
    return DkimSignerImpl.load(vertx, options);
  }

  /**
   * As {@link #load}, reading the key files on the calling thread (start-up code, off the event loop):
   * throws {@link DkimKeyException}.
   */
  static DkimSigner loadNow(Vertx vertx, DkimOptions options) {
    return DkimSignerImpl.loadNow(vertx, options);
  }

  /** A message to sign; {@code binary} content (BODY=BINARYMIME) is hashed exactly as given. */
  DkimMessage message(boolean binary);

  /**
   * Signs a whole message on the signer's worker threads: the header fields to put before it (empty when no
   * key signs it).
   */
  Future<Buffer> sign(Buffer content, boolean binary);

  /** The domain that signs mail From {@code fromDomain}, or null when none does. */
  String signingDomain(String fromDomain);

  /** Stops the key-file checks and the worker threads. */
  Future<Void> close();

  /**
   * {@code content} with {@code header} before it: the header is handed over with the content's first chunk
   * (or alone before its end), the content's flow control is otherwise untouched.
   */
  static ReadStream<Buffer> prepend(Buffer header, ReadStream<Buffer> content) {
    return header.length() == 0 ? content : new PrefixedStream(header, content);
  }
}
