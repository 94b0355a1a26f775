package dev.peregrine.server;

import dev.peregrine.test.Peer;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * STARTTLS and implicit TLS with the server deployed as {@code serve} deploys it: several verticle instances
 * sharing one listening socket (Vert.x hands accepted sockets to the instances in turn). Before our own
 * STARTTLS, every connection served by an instance other than the first got no answer to STARTTLS (a
 * NullPointerException in Vert.x's upgradeToSsl on the event loop). Real clients: Python's smtplib and swaks.
 */
class TlsAcrossInstancesIT extends ServerFixture {

  private static final int INSTANCES = 4;

  /** smtplib: N sessions, PARALLEL at a time, each EHLO, STARTTLS (or TLS on connect), EHLO, one message, QUIT. */
  private static final String SMTPLIB = """
      import smtplib, ssl, sys
      from concurrent.futures import ThreadPoolExecutor
      port, n, parallel, mode = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
      ctx = ssl.create_default_context()
      ctx.check_hostname = False
      ctx.verify_mode = ssl.CERT_NONE
      def one(i):
          if mode == 'implicit':
              s = smtplib.SMTP_SSL('127.0.0.1', port, context=ctx, timeout=20)
          else:
              s = smtplib.SMTP('127.0.0.1', port, timeout=20)
              s.ehlo('client.test')
              code, _ = s.starttls(context=ctx)
              assert code == 220, code
          s.ehlo('client.test')
          assert s.sock.version() in ('TLSv1.2', 'TLSv1.3'), s.sock.version()
          s.sendmail('a@example.org', ['b@example.com'], 'Subject: tls %d\\r\\n\\r\\nbody %d\\r\\n' % (i, i))
          s.quit()
          return 1
      with ThreadPoolExecutor(parallel) as ex:
          done = sum(ex.map(one, range(n)))
      print('sessions', done)
      """;

  @TempDir
  Path dir;

  /** Deploys INSTANCES server verticles on one shared random port; returns the port. */
  private int deploy(SmtpServerOptions options) throws Exception {
    JsonObject config = options.toJson().put("port", -1);
    List<SmtpServerVerticle> verticles = new ArrayList<>();
    vertx.deployVerticle(() -> {
      SmtpServerVerticle v = new SmtpServerVerticle(() -> handler);
      synchronized (verticles) {
        verticles.add(v);
      }
      return v;
    }, new DeploymentOptions().setInstances(INSTANCES).setConfig(config)).await(30, TimeUnit.SECONDS);
    Set<Integer> ports = new HashSet<>();
    verticles.forEach(v -> ports.add(v.server().actualPort()));
    assertThat(ports).as("every instance listens on the same port").hasSize(1);
    return ports.iterator().next();
  }

  private void smtplib(int port, int sessions, int parallel, String mode) throws Exception {
    Path script = dir.resolve("tls.py");
    Files.writeString(script, SMTPLIB);
    Peer.Result r = Peer.run(List.of("/usr/bin/python3", script.toString(), String.valueOf(port),
        String.valueOf(sessions), String.valueOf(parallel), mode), 240);
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("sessions " + sessions);
    assertAllOverTls(sessions);
  }

  private void assertAllOverTls(int sessions) throws InterruptedException {
    Set<String> subjects = new HashSet<>();
    for (int i = 0; i < sessions; i++) {
      RecordingHandler.Message m = handler.next();
      assertThat(m.tls()).as("message over TLS").isTrue();
      subjects.add(m.content().toString().lines().filter(l -> l.startsWith("Subject: ")).findFirst().orElse(""));
    }
    assertThat(subjects).hasSize(sessions);
    assertThat(handler.messages).isEmpty();
  }

  @Test
  void startTlsFromSmtplibOnEveryInstanceSequentially() throws Exception {
    smtplib(deploy(tlsOptions()), 200, 1, "starttls");
  }

  @Test
  void startTlsFromSmtplibOnEveryInstanceConcurrently() throws Exception {
    smtplib(deploy(tlsOptions()), 200, 20, "starttls");
  }

  @Test
  void implicitTlsFromSmtplibOnEveryInstance() throws Exception {
    int port = deploy(tlsOptions().setImplicitTls(true));
    smtplib(port, 200, 1, "implicit");
  }

  @Test
  void implicitTlsFromSmtplibOnEveryInstanceConcurrently() throws Exception {
    int port = deploy(tlsOptions().setImplicitTls(true));
    smtplib(port, 200, 20, "implicit");
  }

  /** swaks, one process per session: sequential, then 8 at a time (xargs -P). */
  @Test
  void startTlsFromSwaksSequentiallyAndConcurrently() throws Exception {
    int port = deploy(tlsOptions());
    String swaks = "swaks --server 127.0.0.1:" + port + " --tls --timeout 20 --from a@example.org --to b@example.com"
        + " --helo client.test --h-Subject \"swaks $0\" --body hello";
    String script = "set -e\nfor i in $(seq 1 40); do bash -c '" + swaks + " >/dev/null' seq$i; done\n"
        + "seq 1 40 | xargs -P 8 -I{} bash -c '" + swaks + " >/dev/null' par{}\necho swaks-done\n";
    Peer.Result r = Peer.run(List.of("bash", "-c", script), 240);
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("swaks-done");
    assertAllOverTls(80);
  }
}
