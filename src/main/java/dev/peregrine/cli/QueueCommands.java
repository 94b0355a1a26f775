package dev.peregrine.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;

/**
 * {@code peregrine queue list|show|flush|delete|drain}: the running server's queue, over its HTTP endpoint on
 * loopback ({@code http.host}/{@code http.port} of the configuration, or {@code --http HOST:PORT}).
 */
@Command(name = "queue", mixinStandardHelpOptions = true,
    description = "Look at and act on the running server's queue (over its HTTP endpoint, from loopback).",
    subcommands = {QueueCommands.List.class, QueueCommands.Show.class, QueueCommands.Flush.class,
        QueueCommands.Delete.class, QueueCommands.Drain.class})
final class QueueCommands implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "name a queue command: list, show, flush, delete or drain");
  }

  /** What every queue command shares: where the server is, and one request to it. */
  abstract static class Base implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "the server's YAML (default: $PEREGRINE_CONFIG)")
    String config = System.getenv("PEREGRINE_CONFIG");

    @Option(names = "--http", paramLabel = "HOST:PORT", description = "the server's HTTP endpoint (default: from the config)")
    String http;

    @Spec
    CommandSpec spec;

    abstract Integer run(PrintWriter out) throws Exception;

    @Override
    public Integer call() throws Exception {
      return run(spec.commandLine().getOut());
    }

    URI base() throws Exception {
      if (http != null) {
        return URI.create("http://" + http);
      }
      JsonObject section = Main.loadConfig(config).getJsonObject("http", new JsonObject());
      String host = section.getString("host", "127.0.0.1");
      if (host.equals("0.0.0.0") || host.equals("::")) {
        host = "127.0.0.1";
      }
      return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + section.getInteger("port", 8025));
    }

    /** The response, or null (with the reason on standard error) when the server cannot be reached. */
    HttpResponse<String> request(String method, String path) throws Exception {
      return request(method, path, Duration.ofSeconds(30));
    }

    HttpResponse<String> request(String method, String path, Duration timeout) throws Exception {
      URI uri = base().resolve(path);
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      try {
        return client.send(HttpRequest.newBuilder(uri).timeout(timeout)
            .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      } catch (java.io.IOException e) {
        spec.commandLine().getErr().println("peregrine: cannot reach the server at " + uri + ": " + e);
        return null;
      }
    }

    int failed(HttpResponse<String> r) {
      spec.commandLine().getErr().print("peregrine: " + r.statusCode() + " " + r.body());
      return 1;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "One line per queued message.")
  static final class List extends Base {
    @Option(names = "--limit", description = "at most this many (default: ${DEFAULT-VALUE})")
    int limit = 1000;

    @Override
    Integer run(PrintWriter out) throws Exception {
      HttpResponse<String> r = request("GET", "/queue?limit=" + limit);
      if (r == null) {
        return 1;
      }
      if (r.statusCode() != 200) {
        return failed(r);
      }
      JsonObject body = new JsonObject(r.body());
      out.printf("%-14s %10s %8s  %s%n", "ID", "SIZE", "AGE", "FROM -> RECIPIENTS");
      for (Object o : body.getJsonArray("entries")) {
        JsonObject e = (JsonObject) o;
        StringBuilder to = new StringBuilder();
        for (Object x : e.getJsonArray("recipients")) {
          JsonObject rc = (JsonObject) x;
          to.append(' ').append(rc.getString("to")).append('(').append(rc.getString("status").toLowerCase(java.util.Locale.ROOT))
              .append(')');
        }
        long age = Duration.between(Instant.parse(e.getString("received")), Instant.now()).toSeconds();
        out.printf("%-14s %10d %7ds  %s ->%s%n", e.getString("id"), e.getLong("size"), age, e.getString("from"), to);
      }
      out.printf("%d message(s) in the queue%n", body.getInteger("total"));
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "One message's envelope and per-recipient progress.")
  static final class Show extends Base {
    @Parameters(paramLabel = "ID", description = "the queue id (from the 250 reply, the logs or queue list)")
    String id;

    @Override
    Integer run(PrintWriter out) throws Exception {
      HttpResponse<String> r = request("GET", "/queue/" + id);
      if (r == null) {
        return 1;
      }
      if (r.statusCode() != 200) {
        return failed(r);
      }
      out.println(new JsonObject(r.body()).encodePrettily());
      return 0;
    }
  }

  @Command(name = "flush", mixinStandardHelpOptions = true, description = "Try every deferred message now.")
  static final class Flush extends Base {
    @Override
    Integer run(PrintWriter out) throws Exception {
      HttpResponse<String> r = request("POST", "/queue/flush");
      if (r == null) {
        return 1;
      }
      if (r.statusCode() != 200) {
        return failed(r);
      }
      out.println("peregrine: " + new JsonObject(r.body()).getInteger("flushed") + " message(s) due now");
      return 0;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Remove a message from the queue, without a bounce.")
  static final class Delete extends Base {
    @Parameters(paramLabel = "ID", arity = "1..*", description = "queue ids")
    java.util.List<String> ids;

    @Override
    Integer run(PrintWriter out) throws Exception {
      int code = 0;
      for (String id : ids) {
        HttpResponse<String> r = request("DELETE", "/queue/" + id);
        if (r == null) {
          return 1;
        }
        if (r.statusCode() != 200) {
          code = failed(r);
        } else {
          out.println("peregrine: " + id + " deleted");
        }
      }
      return code;
    }
  }

  @Command(name = "drain", mixinStandardHelpOptions = true,
      description = {"Take this node out of service: stop accepting mail, deliver what is due for cluster.drain.deliver-for,"
          + " then hand the rest to cluster.drain.peer (the other nodes) and remove each message after the peer's 250.",
          "Waits until the drain is over. Exit status 0 when the spool is empty, 3 when messages are left in it.",
          "The server keeps running, accepting and delivering nothing: stop it next (the Kubernetes preStop hook)."})
  static final class Drain extends Base {
    @Option(names = "--timeout", paramLabel = "DURATION", description = "wait at most this long (default: ${DEFAULT-VALUE})")
    Duration timeout = Duration.ofMinutes(15);

    @Override
    Integer run(PrintWriter out) throws Exception {
      HttpResponse<String> r = request("POST", "/queue/drain", timeout);
      if (r == null) {
        return 1;
      }
      if (r.statusCode() != 200) {
        return failed(r);
      }
      JsonObject body = new JsonObject(r.body());
      int left = body.getInteger("left");
      out.println("peregrine: drained: " + body.getInteger("queued-at-start") + " message(s) queued at the start, "
          + body.getInteger("handed-off") + " handed off" + (body.getString("peer") == null ? "" : " to "
          + body.getString("peer")) + ", " + left + " left in the spool");
      return left == 0 ? 0 : 3;
    }
  }
}
