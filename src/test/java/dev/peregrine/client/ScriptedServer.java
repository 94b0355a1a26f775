package dev.peregrine.client;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A scripted SMTP peer on a loopback socket, for transcript tests of the client: it sends the greeting, then
 * for each step expects exactly {@code expect} from the client, arriving in one read (the client wrote
 * the group with one write), and answers with {@code reply}. Strings are ISO-8859-1, one char per octet,
 * so binary content can be spelled out. Every deviation is recorded in {@link #problems()}.
 */
final class ScriptedServer {

  record Step(String expect, String reply) {
  }

  private final List<String> problems = new CopyOnWriteArrayList<>();
  private volatile int done;
  private final List<Step> steps;

  private ScriptedServer(List<Step> steps) {
    this.steps = steps;
  }

  static Step step(String expect, String reply) {
    return new Step(expect, reply);
  }

  /** Listens on 127.0.0.1 (port 0) for one client; returns the server, its port in {@link #port}. */
  static ScriptedServer start(Vertx vertx, String greeting, List<Step> steps) throws Exception {
    ScriptedServer s = new ScriptedServer(steps);
    NetServer server = vertx.createNetServer();
    server.connectHandler(so -> {
      // One read per arrival: Netty's default buffer adapts down to 64 octets after small reads, and would
      // then split a single write of 65 octets or more into several reads.
      ((io.vertx.core.internal.net.NetSocketInternal) so).channelHandlerContext().channel().config()
          .setRecvByteBufAllocator(new io.netty.channel.FixedRecvByteBufAllocator(64 * 1024));
      so.write(latin1(greeting));
      Buffer[] pending = {Buffer.buffer()};
      int[] reads = {0};
      so.handler(data -> {
        if (s.done >= steps.size()) {
          s.problems.add("unexpected bytes after the script: " + show(data.toString(StandardCharsets.ISO_8859_1)));
          return;
        }
        reads[0]++;
        pending[0].appendBuffer(data);
        while (s.done < steps.size()) {
          Step st = steps.get(s.done);
          int n = st.expect().length();
          if (pending[0].length() < n) {
            return;
          }
          String got = pending[0].getString(0, n, StandardCharsets.ISO_8859_1.name());
          if (!got.equals(st.expect())) {
            s.problems.add("step " + s.done + ": expected " + show(st.expect()) + " but got " + show(got));
          }
          if (reads[0] != 1) {
            s.problems.add("step " + s.done + " arrived in " + reads[0] + " reads, not one write");
          }
          if (pending[0].length() > n) {
            s.problems.add("step " + s.done + " was followed by " + show(pending[0].getString(n, pending[0].length(),
                StandardCharsets.ISO_8859_1.name())) + " before its reply");
          }
          pending[0] = Buffer.buffer();
          reads[0] = 0;
          s.done++;
          so.write(latin1(st.reply()));
        }
      });
    });
    s.port = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
    return s;
  }

  int port;

  List<String> problems() {
    return problems;
  }

  /** Steps completed so far. */
  int done() {
    return done;
  }

  int steps() {
    return steps.size();
  }

  private static Buffer latin1(String s) {
    return Buffer.buffer(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static String show(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      b.append(c == '\r' ? "\\r" : c == '\n' ? "\\n" : c < 32 || c > 126 ? String.format("\\x%02x", (int) c) : String.valueOf(c));
    }
    return b.append('"').toString();
  }
}
