package dev.peregrine.test;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.parsetools.RecordParser;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The server side of Dovecot's authentication protocol (the one Postfix's {@code smtpd_sasl_type = dovecot}
 * speaks), for tests: mechanism PLAIN against a fixed user table. It stands in for the SASL back end of
 * a real Postfix, which is not the peer under test.
 */
public final class DovecotAuth {

  private DovecotAuth() {
  }

  /** Listens on 127.0.0.1 (a free port); returns the port. */
  public static int start(Vertx vertx, Map<String, String> users) throws Exception {
    NetServer server = vertx.createNetServer().connectHandler(so -> {
      so.write("VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nSPID\t1\nCUID\t1\nCOOKIE\t0123456789abcdef0123456789abcdef\nDONE\n");
      so.handler(RecordParser.newDelimited("\n", line -> {
        String[] f = line.toString(StandardCharsets.UTF_8).split("\t");
        if (!f[0].equals("AUTH") || f.length < 3) {
          return;  // VERSION, CPID
        }
        String id = f[1];
        String resp = null;
        for (String field : f) {
          if (field.startsWith("resp=")) {
            resp = field.substring(5);
          }
        }
        if (!f[2].equalsIgnoreCase("PLAIN") || resp == null) {
          so.write("FAIL\t" + id + "\treason=only PLAIN with an initial response\n");
          return;
        }
        // authzid NUL authcid NUL password
        String[] parts = new String(Base64.getDecoder().decode(resp), StandardCharsets.UTF_8).split("\0", -1);
        boolean ok = parts.length == 3 && parts[2].equals(users.get(parts[1]));
        so.write((ok ? "OK\t" + id + "\tuser=" + parts[1] : "FAIL\t" + id + "\tuser=" + (parts.length > 1 ? parts[1] : "")) + "\n");
      }));
    });
    return server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
  }
}
