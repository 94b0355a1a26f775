package dev.peregrine.config;

import dev.peregrine.relay.Cidr;
import dev.peregrine.relay.RelayPolicy;
import dev.peregrine.server.SmtpServerOptions;
import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Loads Peregrine's configuration through Vert.x Config: the defaults embedded as
 * {@value #DEFAULTS} (YAML), then an optional user YAML file, then environment variables
 * ({@code PEREGRINE_} + the key path in upper case, '.' and '-' as '_'). Later sources win, key by key. A list
 * from the environment is its comma-separated elements, each trimmed; empty ones are dropped.
 *
 * <p>Only keys that exist in the defaults can be set from the environment, so the environment never
 * leaks into the configuration; values from the environment take the type of the default they replace.
 * Asynchronous throughout (Vert.x file system), safe to call from an event loop. The returned future
 * fails with an exception naming the file or key when a source is unreadable or a value has the wrong
 * type.
 */
public final class PeregrineConfig {

  /** The embedded defaults, a classpath resource (and the project's {@code config/} file). */
  public static final String DEFAULTS = "config/peregrine.yaml";
  public static final String ENV_PREFIX = "PEREGRINE_";

  private PeregrineConfig() {
  }

  /**
   * Defaults, then {@code file} (YAML; {@code null} for none), then environment variables.
   *
   * @return the merged configuration, completed on the caller's context
   */
  public static Future<JsonObject> load(Vertx vertx, String file) {
    return load(vertx, file, null);
  }

  /**
   * As {@link #load(Vertx, String)}, with {@code environment} standing for the process environment
   * ({@code null} = the real one): a JSON object of variable name → string value.
   */
  public static Future<JsonObject> load(Vertx vertx, String file, JsonObject environment) {
    return embeddedDefaults(vertx).compose(defaults -> {
      ConfigRetrieverOptions files = new ConfigRetrieverOptions().setIncludeDefaultStores(false).setScanPeriod(-1)
          .addStore(new ConfigStoreOptions().setType("json").setConfig(defaults));
      if (file != null) {
        files.addStore(yaml(file));
      }
      return retrieve(vertx, files);
    }).compose(base -> {
      List<String> paths = new ArrayList<>();
      leafPaths(base, "", paths);
      JsonArray names = new JsonArray();
      paths.forEach(p -> names.add(envName(p)));
      ConfigStoreOptions env = environment != null
          ? new ConfigStoreOptions().setType("json").setConfig(environment)
          : new ConfigStoreOptions().setType("env").setConfig(new JsonObject().put("raw-data", true).put("keys", names));
      return retrieve(vertx, new ConfigRetrieverOptions().setIncludeDefaultStores(false).setScanPeriod(-1).addStore(env))
          .map(vars -> applyEnvironment(base, paths, vars));
    });
  }

  /**
   * The defaults embedded in the jar, read from the class path ourselves (on a worker): the service runs its
   * Vert.x without class-path file resolution, whose cache directory a JVM shutdown hook deletes, after
   * which every file operation on a path that does not exist yet fails (see {@code cli.Main}).
   */
  private static Future<JsonObject> embeddedDefaults(Vertx vertx) {
    return vertx.executeBlocking(() -> {
      try (InputStream in = PeregrineConfig.class.getClassLoader().getResourceAsStream(DEFAULTS)) {
        if (in == null) {
          throw new IllegalStateException("the embedded defaults " + DEFAULTS + " are missing from the class path");
        }
        Object yaml = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        if (!(yaml instanceof Map<?, ?> map)) {
          throw new IllegalStateException("the embedded defaults " + DEFAULTS + " are not a YAML mapping");
        }
        @SuppressWarnings("unchecked")
        JsonObject json = new JsonObject((Map<String, Object>) map).copy();
        return json;
      }
    });
  }

  private static ConfigStoreOptions yaml(String path) {
    return new ConfigStoreOptions().setType("file").setFormat("yaml").setConfig(new JsonObject().put("path", path));
  }

  private static Future<JsonObject> retrieve(Vertx vertx, ConfigRetrieverOptions options) {
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig().andThen(ar -> retriever.close());
  }

  /** {@code protocol.limits.command-line} → {@code PEREGRINE_PROTOCOL_LIMITS_COMMAND_LINE}. */
  public static String envName(String path) {
    return ENV_PREFIX + path.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  private static void leafPaths(JsonObject json, String prefix, List<String> out) {
    for (String key : json.fieldNames()) {
      Object v = json.getValue(key);
      String path = prefix.isEmpty() ? key : prefix + "." + key;
      if (v instanceof JsonObject o) {
        leafPaths(o, path, out);
      } else {
        out.add(path);
      }
    }
  }

  private static JsonObject applyEnvironment(JsonObject base, List<String> paths, JsonObject vars) {
    JsonObject out = base.copy();
    for (String path : paths) {
      String name = envName(path);
      if (!vars.containsKey(name)) {
        continue;
      }
      String raw = String.valueOf(vars.getValue(name));
      String[] keys = path.split("\\.");
      JsonObject parent = out;
      for (int i = 0; i < keys.length - 1; i++) {
        parent = parent.getJsonObject(keys[i]);
      }
      String leaf = keys[keys.length - 1];
      parent.put(leaf, coerce(name, raw, parent.getValue(leaf)));
    }
    return out;
  }

  private static Object coerce(String name, String raw, Object like) {
    try {
      if (like instanceof Integer || like instanceof Long) {
        long v = Long.parseLong(raw.trim());
        return like instanceof Integer && v == (int) v ? (Object) (int) v : (Object) v;
      }
      if (like instanceof Double || like instanceof Float) {
        return Double.parseDouble(raw.trim());
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number: '" + raw + "'");
    }
    if (like instanceof Boolean) {
      String v = raw.trim().toLowerCase(Locale.ROOT);
      if (!v.equals("true") && !v.equals("false")) {
        throw new IllegalArgumentException(name + " must be true or false: '" + raw + "'");
      }
      return Boolean.parseBoolean(v);
    }
    if (like instanceof JsonArray) {
      // "PLAIN, LOGIN" is two elements, not "PLAIN" and " LOGIN"; an empty variable is an empty list.
      JsonArray list = new JsonArray();
      for (String element : raw.split(",")) {
        String e = element.trim();
        if (!e.isEmpty()) {
          list.add(e);
        }
      }
      return list;
    }
    return raw;
  }

  /**
   * The {@code mailer} section as {@link dev.peregrine.mailer.MailerOptions}, its client waiting as
   * {@code protocol.timeouts} say unless {@code mailer.client.timeouts} is given.
   */
  public static dev.peregrine.mailer.MailerOptions mailer(JsonObject config) {
    JsonObject mailer = config.getJsonObject("mailer", new JsonObject()).copy();
    JsonObject client = mailer.getJsonObject("client", new JsonObject());
    JsonObject protocol = config.getJsonObject("protocol", new JsonObject());
    if (!client.containsKey("timeouts") && protocol.containsKey("timeouts")) {
      client.put("timeouts", protocol.getJsonObject("timeouts"));
    }
    mailer.put("client", client);
    return new dev.peregrine.mailer.MailerOptions(mailer);
  }

  /** The {@code spool} section. @throws IllegalArgumentException naming {@code spool.KEY} and the problem */
  public static dev.peregrine.relay.spool.SpoolOptions spool(JsonObject config) {
    try {
      return new dev.peregrine.relay.spool.SpoolOptions(config.getJsonObject("spool", new JsonObject()));
    } catch (IllegalArgumentException | ClassCastException e) {
      throw new IllegalArgumentException("spool." + e.getMessage(), e);
    }
  }

  /** The {@code cluster} section. @throws IllegalArgumentException naming {@code cluster.KEY} and the problem */
  public static dev.peregrine.cluster.ClusterOptions cluster(JsonObject config) {
    Object section = config.getValue("cluster");
    if (section != null && !(section instanceof JsonObject)) {
      throw new IllegalArgumentException("cluster must be a section, not " + section);
    }
    return new dev.peregrine.cluster.ClusterOptions(section == null ? new JsonObject() : (JsonObject) section);
  }

  /** The {@code queue} section. @throws IllegalArgumentException naming {@code queue.KEY} and the problem */
  public static dev.peregrine.relay.queue.QueueOptions queue(JsonObject config) {
    try {
      return new dev.peregrine.relay.queue.QueueOptions(config.getJsonObject("queue", new JsonObject()));
    } catch (IllegalArgumentException | ClassCastException e) {
      throw new IllegalArgumentException("queue." + e.getMessage(), e);
    }
  }

  /**
   * The listeners of {@code serve}: {@code server} (role mx), then every enabled entry of {@code listeners},
   * each the {@code server} keys overridden by its own, with its role's rules applied (submission: STARTTLS
   * and AUTH required; submissions: implicit TLS and AUTH required; both need the TLS certificate). The
   * {@code protocol} limits and timeouts apply to all. Throws naming the key when one is wrong.
   */
  public static List<Listener> listeners(JsonObject config) {
    JsonObject server = config.getJsonObject("server", new JsonObject()).copy();
    JsonObject protocol = config.getJsonObject("protocol", new JsonObject());
    if (protocol.containsKey("limits")) {
      server.put("limits", protocol.getJsonObject("limits"));
    }
    if (protocol.containsKey("timeouts")) {
      server.put("timeouts", protocol.getJsonObject("timeouts"));
    }
    List<Listener> out = new ArrayList<>();
    out.add(listener("mx", "server", Listener.Role.MX, server));
    JsonObject extra = config.getJsonObject("listeners", new JsonObject());
    for (String name : extra.fieldNames()) {
      JsonObject own = extra.getJsonObject(name).copy();
      Object enabled = own.remove("enabled");
      if (Boolean.FALSE.equals(enabled)) {
        continue;
      }
      Object roleName = own.remove("role");
      Listener.Role role;
      try {
        role = Listener.Role.valueOf(String.valueOf(roleName).toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("listeners." + name + ".role must be mx, submission or submissions: " + roleName);
      }
      out.add(listener(name, "listeners." + name, role, server.copy().mergeIn(own, true)));
    }
    return out;
  }

  private static Listener listener(String name, String key, Listener.Role role, JsonObject json) {
    JsonObject o = json.copy();
    Object n = o.remove("instances");
    int instances = n == null ? 0 : ((Number) n).intValue();
    if (instances <= 0) {
      instances = io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE;
    }
    SmtpServerOptions options;
    try {
      options = new SmtpServerOptions(o);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
    }
    switch (role) {
      case MX -> {
      }
      case SUBMISSION -> options.setStartTls(true).setRequireTls(true).setRequireAuth(true);
      case SUBMISSIONS -> options.setImplicitTls(true).setRequireAuth(true);
    }
    if (role != Listener.Role.MX && !options.isTlsConfigured()) {
      throw new IllegalArgumentException(key + " (" + role.name().toLowerCase(Locale.ROOT) + ") needs tls-cert-path and "
          + "tls-key-path (in server or in the listener): AUTH is only offered over TLS");
    }
    return new Listener(name, role, options, instances);
  }

  /** The {@code relay} section as a {@link RelayPolicy}; throws naming the key of a bad domain or network. */
  public static RelayPolicy relayPolicy(JsonObject config) {
    JsonObject relay = config.getJsonObject("relay", new JsonObject());
    List<String> local = strings(relay, "local-domains");
    List<String> relayed = strings(relay, "relay-domains");
    List<Cidr> networks = new ArrayList<>();
    for (String n : strings(relay, "client-networks")) {
      try {
        networks.add(Cidr.parse(n));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("relay.client-networks: " + e.getMessage(), e);
      }
    }
    try {
      return new RelayPolicy(local, relayed, networks);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("relay.local-domains / relay-domains: " + e.getMessage(), e);
    }
  }

  private static List<String> strings(JsonObject section, String key) {
    JsonArray a = section.getJsonArray(key, new JsonArray());
    List<String> out = new ArrayList<>(a.size());
    for (Object o : a) {
      out.add(String.valueOf(o).trim());
    }
    return out;
  }
}
