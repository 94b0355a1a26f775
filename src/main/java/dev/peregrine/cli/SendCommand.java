package dev.peregrine.cli;

import dev.peregrine.client.MailTransaction;
import dev.peregrine.config.PeregrineConfig;
import dev.peregrine.mailer.MailMessage;
import dev.peregrine.mailer.MailResult;
import dev.peregrine.mailer.Mailer;
import dev.peregrine.mailer.RecipientOutcome;
import dev.peregrine.protocol.ReversePath;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.InternetHeaders;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * {@code peregrine send}: one message, or every {@code .eml} file of a directory, through the Mailer (MX
 * lookup, pooled pipelined sessions, the {@code mailer} section of the configuration), with a progress bar on
 * a terminal and a summary at the end. The envelope comes from {@code --from}/{@code --to}, or from each
 * message's From and To/Cc/Bcc headers. Exit code 0 when every recipient was delivered, 1 otherwise.
 */
@Command(name = "send", mixinStandardHelpOptions = true,
    description = "Send a message (or a directory of .eml files) through the Mailer, using the mailer section of the config.")
final class SendCommand implements Callable<Integer> {

  @Parameters(paramLabel = "FILE|DIR", arity = "1..*", description = "messages (RFC 5322, CRLF or LF lines), or directories of .eml files")
  List<Path> inputs;

  @Option(names = "--from", paramLabel = "ADDRESS", description = "envelope sender (default: each message's From)")
  String from;

  @Option(names = "--to", paramLabel = "ADDRESS", description = "envelope recipients (default: each message's To, Cc and Bcc)")
  List<String> to;

  @Option(names = "--config", paramLabel = "FILE", description = "YAML over the embedded defaults (default: $PEREGRINE_CONFIG)")
  String config = System.getenv("PEREGRINE_CONFIG");

  @Option(names = "--concurrency", description = "messages in flight at once (default: ${DEFAULT-VALUE})")
  int concurrency = 100;

  @Option(names = "--timeout", description = "seconds to wait for all results (default: ${DEFAULT-VALUE})")
  int timeoutSeconds = 3600;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<Path> files = new ArrayList<>();
    for (Path p : inputs) {
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.list(p)) {
          s.filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".eml")).sorted().forEach(files::add);
        }
      } else if (Files.isRegularFile(p)) {
        files.add(p);
      } else {
        err.println("peregrine: no such file or directory: " + p);
        return 2;
      }
    }
    if (files.isEmpty()) {
      err.println("peregrine: no .eml files in " + inputs);
      return 2;
    }
    JsonObject cfg = Main.loadConfig(config);
    Vertx vertx = Vertx.vertx(Main.vertxOptions());
    Mailer mailer = Mailer.create(vertx, PeregrineConfig.mailer(cfg));
    Progress progress = new Progress(files.size(), System.console() != null ? err : null);
    Semaphore window = new Semaphore(Math.max(1, concurrency));
    CountDownLatch all = new CountDownLatch(files.size());
    long t0 = System.nanoTime();
    try {
      for (Path f : files) {
        MailMessage m;
        try {
          m = message(f);
        } catch (IOException | IllegalArgumentException e) {
          progress.refused(f, e.getMessage());
          all.countDown();
          continue;
        }
        window.acquire();
        mailer.send(m).onComplete(ar -> {
          if (ar.succeeded()) {
            progress.result(f, ar.result());
          } else {
            progress.refused(f, String.valueOf(ar.cause()));
          }
          window.release();
          all.countDown();
        });
      }
      if (!all.await(timeoutSeconds, TimeUnit.SECONDS)) {
        err.println("peregrine: not every result within " + timeoutSeconds + " s");
      }
    } finally {
      mailer.close().await(30, TimeUnit.SECONDS);
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    progress.summary(out, (System.nanoTime() - t0) / 1e9);
    return progress.allDelivered() ? 0 : 1;
  }

  /** The file as a message: CRLF line endings, the envelope from the options or the headers. */
  private MailMessage message(Path f) throws IOException {
    byte[] raw = Files.readAllBytes(f);
    Buffer content = crlf(raw);
    InternetHeaders headers;
    try {
      headers = new InternetHeaders(new ByteArrayInputStream(content.getBytes()));
    } catch (jakarta.mail.MessagingException e) {
      throw new IllegalArgumentException("cannot read the header of " + f + ": " + e.getMessage());
    }
    String sender = from != null ? from : first(headers, "From", f);
    Set<String> rcpts = new LinkedHashSet<>();
    if (to != null && !to.isEmpty()) {
      rcpts.addAll(to);
    } else {
      for (String h : List.of("To", "Cc", "Bcc")) {
        String[] values = headers.getHeader(h);
        if (values != null) {
          for (String v : values) {
            rcpts.addAll(addresses(v, f));
          }
        }
      }
    }
    if (rcpts.isEmpty()) {
      throw new IllegalArgumentException(f + " has no recipient: give --to or a To/Cc/Bcc header");
    }
    if (to == null || to.isEmpty()) {
      // Bcc is envelope only: it is not sent (RFC 5322 §3.6.3).
      content = crlf(withoutBcc(raw));
    }
    return new MailMessage(ReversePath.of(sender), rcpts.stream().map(MailTransaction.Recipient::of).toList(), content,
        null, null, null, null);
  }

  private static String first(InternetHeaders headers, String name, Path f) {
    String[] v = headers.getHeader(name);
    if (v == null || v.length == 0) {
      throw new IllegalArgumentException(f + " has no " + name + " header: give --from");
    }
    List<String> a = addresses(v[0], f);
    if (a.size() != 1) {
      throw new IllegalArgumentException(f + ": the From header must name one address, or give --from");
    }
    return a.get(0);
  }

  private static List<String> addresses(String header, Path f) {
    try {
      List<String> out = new ArrayList<>();
      for (InternetAddress a : InternetAddress.parseHeader(header, false)) {
        out.add(a.getAddress());
      }
      return out;
    } catch (AddressException e) {
      throw new IllegalArgumentException(f + ": bad address in '" + header + "': " + e.getMessage());
    }
  }

  private static byte[] withoutBcc(byte[] raw) {
    String text = new String(raw, java.nio.charset.StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\n\n");
    int endCrlf = text.indexOf("\r\n\r\n");
    int headerEnd = endCrlf >= 0 && (end < 0 || endCrlf < end) ? endCrlf : end;
    if (headerEnd < 0) {
      headerEnd = text.length();
    }
    String head = text.substring(0, headerEnd);
    // A Bcc field with its folded continuation lines.
    head = head.replaceAll("(?im)^bcc:.*(\\r?\\n[ \\t].*)*(\\r?\\n|$)", "");
    return (head + text.substring(headerEnd)).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  /** Lines ending in LF alone (as files often have them) get CRLF; a final CRLF is added if missing. */
  static Buffer crlf(byte[] raw) {
    Buffer b = Buffer.buffer(raw.length + raw.length / 40 + 2);
    for (int i = 0; i < raw.length; i++) {
      byte c = raw[i];
      if (c == '\n' && (i == 0 || raw[i - 1] != '\r')) {
        b.appendByte((byte) '\r');
      }
      b.appendByte(c);
    }
    if (b.length() < 2 || b.getByte(b.length() - 2) != '\r' || b.getByte(b.length() - 1) != '\n') {
      b.appendString("\r\n");
    }
    return b;
  }

  /** Counts and, on a terminal, a one-line progress bar on standard error. */
  private static final class Progress {
    private final int total;
    private final PrintWriter bar;
    private final AtomicInteger done = new AtomicInteger();
    private final AtomicInteger delivered = new AtomicInteger();
    private final AtomicInteger deferred = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicInteger refusedFiles = new AtomicInteger();
    private final List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());

    Progress(int total, PrintWriter bar) {
      this.total = total;
      this.bar = bar;
    }

    void result(Path f, MailResult r) {
      for (RecipientOutcome o : r.recipients()) {
        switch (o.status()) {
          case DELIVERED -> delivered.incrementAndGet();
          case DEFERRED -> {
            deferred.incrementAndGet();
            problem(f + ": " + o.recipient() + " deferred: " + o.reply());
          }
          case FAILED -> {
            failed.incrementAndGet();
            problem(f + ": " + o.recipient() + " failed: " + o.reply());
          }
        }
      }
      tick();
    }

    void refused(Path f, String why) {
      refusedFiles.incrementAndGet();
      problem(f + ": not sent: " + why);
      tick();
    }

    private void problem(String p) {
      if (problems.size() < 50) {
        problems.add(p);
      }
    }

    private void tick() {
      int n = done.incrementAndGet();
      if (bar != null) {
        int width = 30;
        int filled = (int) ((long) n * width / total);
        synchronized (bar) {
          bar.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + n + "/" + total + "  delivered "
              + delivered.get() + "  deferred " + deferred.get() + "  failed " + failed.get());
          bar.flush();
        }
      }
    }

    boolean allDelivered() {
      return deferred.get() == 0 && failed.get() == 0 && refusedFiles.get() == 0 && done.get() == total;
    }

    void summary(PrintWriter out, double seconds) {
      if (bar != null) {
        bar.println();
      }
      for (String p : problems) {
        out.println("peregrine: " + p);
      }
      out.printf(Locale.ROOT, "peregrine: %d message(s) in %.1f s (%.0f msg/s): recipients delivered %d, deferred %d,"
              + " failed %d; files not sent %d%n", done.get(), seconds, seconds > 0 ? done.get() / seconds : 0,
          delivered.get(), deferred.get(), failed.get(), refusedFiles.get());
      out.flush();
    }
  }
}
