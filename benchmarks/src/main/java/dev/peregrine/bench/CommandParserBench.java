package dev.peregrine.bench;

import dev.peregrine.protocol.CommandParser;
import dev.peregrine.protocol.ParseResult;
import io.vertx.core.buffer.Buffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * {@link CommandParser#parse(Buffer)} on typical command lines, as the line framer hands them over: a Buffer
 * holding the line without its CRLF. One op = one line parsed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CommandParserBench {

  @Param({"MAIL", "RCPT", "EHLO", "DATA"})
  public String command;

  private CommandParser parser;
  private Buffer line;

  @Setup
  public void setup() {
    String text = switch (command) {
      case "MAIL" -> "MAIL FROM:<sender@example.com> SIZE=1024 BODY=8BITMIME";
      case "RCPT" -> "RCPT TO:<rcpt@example.org> NOTIFY=SUCCESS,FAILURE";
      case "EHLO" -> "EHLO client.example.com";
      case "DATA" -> "DATA";
      default -> throw new IllegalArgumentException(command);
    };
    parser = new CommandParser();
    line = Buffer.buffer(text.getBytes(StandardCharsets.US_ASCII));
    ParseResult r = parser.parse(line);
    if (!(r instanceof ParseResult.Parsed p) || !p.command().verb().equals(command)) {
      throw new IllegalStateException("'" + text + "' did not parse as " + command + ": " + r);
    }
  }

  @Benchmark
  public ParseResult parse() {
    return parser.parse(line);
  }
}
