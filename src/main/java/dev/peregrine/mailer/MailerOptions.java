package dev.peregrine.mailer;

import dev.peregrine.client.SmtpClientOptions;
import dev.peregrine.config.ProtocolConfig;
import dev.peregrine.dkim.DkimOptions;
import dev.peregrine.dns.MxResolverOptions;
import dev.peregrine.pool.SessionPoolOptions;
import io.vertx.core.json.JsonObject;

/**
 * Settings of a {@link Mailer} (Vert.x options idiom, kebab-case JSON keys): the {@code client},
 * {@code dns} and {@code pool} sections, and
 *
 * <ul>
 *   <li>{@code max-recipients-per-transaction} (100): larger groups are split.</li>
 *   <li>{@code max-in-flight} (1,000): messages worked on at once.</li>
 *   <li>{@code destination-concurrency} (20): transactions in flight per destination (a set of mail
 *       exchangers, shared by the domains it serves).</li>
 *   <li>{@code destination-rate} (0 = no limit): transactions started per second per destination.</li>
 *   <li>{@code connections-per-minute} (0 = no limit): new sessions per minute per mail exchanger
 *       address.</li>
 *   <li>{@code max-attempts} (10): addresses tried for one transaction before its recipients are deferred.</li>
 *   <li>{@code dkim} ({@link DkimOptions}, no keys = off): DKIM signing of every message, by its From domain.</li>
 * </ul>
 */
public class MailerOptions {

  private SmtpClientOptions client = new SmtpClientOptions();
  private MxResolverOptions dns = new MxResolverOptions();
  private SessionPoolOptions pool = new SessionPoolOptions();
  private int maxRecipientsPerTransaction = 100;
  private int maxInFlight = 1000;
  private int destinationConcurrency = 20;
  private double destinationRate;
  private int connectionsPerMinute;
  private int maxAttempts = 10;
  private DkimOptions dkim = new DkimOptions();

  public MailerOptions() {
  }

  public MailerOptions(MailerOptions o) {
    client = new SmtpClientOptions(o.client);
    dns = new MxResolverOptions(o.dns);
    pool = new SessionPoolOptions(o.pool);
    maxRecipientsPerTransaction = o.maxRecipientsPerTransaction;
    maxInFlight = o.maxInFlight;
    destinationConcurrency = o.destinationConcurrency;
    destinationRate = o.destinationRate;
    connectionsPerMinute = o.connectionsPerMinute;
    maxAttempts = o.maxAttempts;
    dkim = new DkimOptions(o.dkim);
  }

  public MailerOptions(JsonObject json) {
    for (String key : json.fieldNames()) {
      Object v = json.getValue(key);
      switch (key) {
        case "client" -> setClient(new SmtpClientOptions((JsonObject) v));
        case "dns" -> setDns(new MxResolverOptions((JsonObject) v));
        case "pool" -> setPool(new SessionPoolOptions((JsonObject) v));
        case "max-recipients-per-transaction" -> setMaxRecipientsPerTransaction(ProtocolConfig.wholeNumber(key, v));
        case "max-in-flight" -> setMaxInFlight(ProtocolConfig.wholeNumber(key, v));
        case "destination-concurrency" -> setDestinationConcurrency(ProtocolConfig.wholeNumber(key, v));
        case "destination-rate" -> setDestinationRate(ProtocolConfig.number(key, v).doubleValue());
        case "connections-per-minute" -> setConnectionsPerMinute(ProtocolConfig.wholeNumber(key, v));
        case "max-attempts" -> setMaxAttempts(ProtocolConfig.wholeNumber(key, v));
        case "dkim" -> setDkim(new DkimOptions((JsonObject) v));
        default -> throw new IllegalArgumentException("unknown mailer option '" + key + "'");
      }
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("client", client.toJson()).put("dns", dns.toJson()).put("pool", pool.toJson())
        .put("max-recipients-per-transaction", maxRecipientsPerTransaction).put("max-in-flight", maxInFlight)
        .put("destination-concurrency", destinationConcurrency).put("destination-rate", destinationRate)
        .put("connections-per-minute", connectionsPerMinute).put("max-attempts", maxAttempts)
        .put("dkim", dkim.toJson());
  }

  public SmtpClientOptions getClient() {
    return client;
  }

  public MailerOptions setClient(SmtpClientOptions client) {
    this.client = client;
    return this;
  }

  public MxResolverOptions getDns() {
    return dns;
  }

  public MailerOptions setDns(MxResolverOptions dns) {
    this.dns = dns;
    return this;
  }

  public SessionPoolOptions getPool() {
    return pool;
  }

  public MailerOptions setPool(SessionPoolOptions pool) {
    this.pool = pool;
    return this;
  }

  public int getMaxRecipientsPerTransaction() {
    return maxRecipientsPerTransaction;
  }

  public MailerOptions setMaxRecipientsPerTransaction(int v) {
    maxRecipientsPerTransaction = ProtocolConfig.atLeastOne("max-recipients-per-transaction", v);
    return this;
  }

  public int getMaxInFlight() {
    return maxInFlight;
  }

  public MailerOptions setMaxInFlight(int v) {
    maxInFlight = ProtocolConfig.atLeastOne("max-in-flight", v);
    return this;
  }

  public int getDestinationConcurrency() {
    return destinationConcurrency;
  }

  public MailerOptions setDestinationConcurrency(int v) {
    destinationConcurrency = ProtocolConfig.atLeastOne("destination-concurrency", v);
    return this;
  }

  public double getDestinationRate() {
    return destinationRate;
  }

  public MailerOptions setDestinationRate(double v) {
    if (v < 0 || Double.isNaN(v)) {
      throw new IllegalArgumentException("destination-rate must be 0 (no limit) or positive: " + v);
    }
    destinationRate = v;
    return this;
  }

  public int getConnectionsPerMinute() {
    return connectionsPerMinute;
  }

  public MailerOptions setConnectionsPerMinute(int v) {
    if (v < 0) {
      throw new IllegalArgumentException("connections-per-minute must be 0 (no limit) or positive: " + v);
    }
    connectionsPerMinute = v;
    return this;
  }

  public int getMaxAttempts() {
    return maxAttempts;
  }

  public MailerOptions setMaxAttempts(int v) {
    maxAttempts = ProtocolConfig.atLeastOne("max-attempts", v);
    return this;
  }

  public DkimOptions getDkim() {
    return dkim;
  }

  /** DKIM signing of every message the mailer sends (off while it has no keys). */
  public MailerOptions setDkim(DkimOptions dkim) {
    this.dkim = dkim;
    return this;
  }

  /** Equal when their JSON forms are (every option is in {@link #toJson()}, round-trip tested). */
  @Override
  public boolean equals(Object o) {
    return o instanceof MailerOptions other && other.toJson().equals(toJson());
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }
}
