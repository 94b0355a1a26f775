package dev.peregrine.mailer;

/**
 * Counters of a {@link Mailer} since it started. {@code reuseRatio} is the share of transactions that ran on
 * a session used before; {@code staleRetries} counts reused sessions found dropped by the server (retried,
 * not counted as failures), {@code failovers} attempts moved to the next mail exchanger.
 */
public record MailerMetrics(long messages, long transactions, long delivered, long deferred, long failed,
                            long sessionsOpened, double reuseRatio, long staleRetries, long failovers) {
}
