package dev.peregrine.dns;

import dev.peregrine.dns.impl.DnsMxResolver;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Finds where mail for a domain goes, asynchronously on the Vert.x DNS client: MX records sorted by
 * preference (equal preferences shuffled on every call), each host's A/AAAA per the {@link AddressPolicy},
 * the implicit MX when there is none, static routes first. Answers are cached by TTL (negative answers
 * too), and concurrent lookups of one domain share one query.
 */
public interface MxResolver {

  static MxResolver create(Vertx vertx, MxResolverOptions options) {
    return new DnsMxResolver(vertx, options);
  }

  /**
   * The exchangers of {@code domain} (a domain name, or an address literal such as {@code [192.0.2.1]}).
   * Fails with {@link MxResolutionException}.
   */
  Future<MxResolution> resolve(String domain);

  /** DNS queries sent so far (not counting answers served from the cache). */
  long queries();

  Future<Void> close();
}
