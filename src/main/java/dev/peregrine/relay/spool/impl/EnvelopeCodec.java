package dev.peregrine.relay.spool.impl;

import dev.peregrine.protocol.CodecLimits;
import dev.peregrine.protocol.CommandEncoder;
import dev.peregrine.protocol.CommandParser;
import dev.peregrine.protocol.EnhancedStatus;
import dev.peregrine.protocol.ParseResult;
import dev.peregrine.protocol.Reply;
import dev.peregrine.protocol.SmtpCommand;
import dev.peregrine.relay.spool.RecipientState;
import dev.peregrine.relay.spool.Spool;
import dev.peregrine.relay.spool.SpoolEnvelope;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON payloads of COMMIT and MARK records. MAIL and RCPT are kept as the command lines our own encoder
 * writes and our parser reads back, so every ESMTP parameter (NOTIFY, ORCPT, RET, ENVID, unknown ones)
 * survives exactly as the codec knows it. Any thread.
 */
final class EnvelopeCodec {

  // Generous: a stored line was already accepted by a server whose limits may have been raised.
  private static final CommandParser PARSER = new CommandParser(CodecLimits.DEFAULT.withCommandLine(64 * 1024));

  private EnvelopeCodec() {
  }

  static byte[] commit(SpoolEnvelope e, long size, int chunks, byte[] prefix) {
    JsonArray rcpts = new JsonArray();
    e.recipients().forEach(r -> rcpts.add(line(r)));
    JsonObject client = new JsonObject().put("helo", e.client().helo()).put("address", e.client().address())
        .put("protocol", e.client().protocol()).put("user", e.client().user());
    return new JsonObject().put("mail", line(e.mail())).put("rcpt", rcpts).put("received", e.receivedAt().toString())
        .put("client", client).put("size", size).put("chunks", chunks).put("prefix", prefix == null || prefix.length == 0 ? null
        : new String(prefix, StandardCharsets.ISO_8859_1)).encode().getBytes(StandardCharsets.UTF_8);
  }

  /** The envelope of a COMMIT payload; throws IllegalArgumentException when it does not parse. */
  static Commit parseCommit(byte[] payload) {
    JsonObject j = new JsonObject(new String(payload, StandardCharsets.UTF_8));
    SmtpCommand.MailFrom mail = (SmtpCommand.MailFrom) command(j.getString("mail"), SmtpCommand.MailFrom.class);
    List<SmtpCommand.RcptTo> rcpts = new ArrayList<>();
    for (Object o : j.getJsonArray("rcpt")) {
      rcpts.add((SmtpCommand.RcptTo) command((String) o, SmtpCommand.RcptTo.class));
    }
    JsonObject c = j.getJsonObject("client");
    SpoolEnvelope.ClientInfo client = new SpoolEnvelope.ClientInfo(c.getString("helo"), c.getString("address"),
        c.getString("protocol"), c.getString("user"));
    return new Commit(new SpoolEnvelope(mail, rcpts, Instant.parse(j.getString("received")), client),
        j.getLong("size"), j.getInteger("chunks"),
        j.getString("prefix") == null ? null : j.getString("prefix").getBytes(StandardCharsets.ISO_8859_1));
  }

  /** A COMMIT record: {@code size} and {@code chunks} count the content; {@code prefix} (or null) is stored apart. */
  record Commit(SpoolEnvelope envelope, long size, int chunks, byte[] prefix) {
  }

  static byte[] marks(List<Spool.Mark> marks) {
    JsonArray a = new JsonArray();
    for (Spool.Mark m : marks) {
      JsonObject o = new JsonObject().put("rcpt", m.recipient()).put("status", m.status().name());
      if (m.reply() != null) {
        o.put("code", m.reply().code()).put("enhanced", m.reply().enhanced() == null ? null : m.reply().enhanced().toString())
            .put("lines", new JsonArray(m.reply().lines()));
      }
      if (m.nextAttempt() != null) {
        o.put("next", m.nextAttempt().toString());
      }
      a.add(o);
    }
    return new JsonObject().put("marks", a).encode().getBytes(StandardCharsets.UTF_8);
  }

  static List<Spool.Mark> parseMarks(byte[] payload) {
    JsonObject j = new JsonObject(new String(payload, StandardCharsets.UTF_8));
    List<Spool.Mark> marks = new ArrayList<>();
    for (Object o : j.getJsonArray("marks")) {
      JsonObject m = (JsonObject) o;
      Reply reply = null;
      if (m.containsKey("code")) {
        String enhanced = m.getString("enhanced");
        List<String> lines = new ArrayList<>();
        m.getJsonArray("lines").forEach(l -> lines.add((String) l));
        reply = new Reply(m.getInteger("code"), enhanced == null ? null : EnhancedStatus.of(enhanced), lines);
      }
      String next = m.getString("next");
      marks.add(new Spool.Mark(m.getInteger("rcpt"), RecipientState.Status.valueOf(m.getString("status")), reply,
          next == null ? null : Instant.parse(next)));
    }
    return marks;
  }

  private static String line(SmtpCommand c) {
    String s = CommandEncoder.encode(c);
    return s.substring(0, s.length() - 2);
  }

  private static SmtpCommand command(String line, Class<? extends SmtpCommand> type) {
    ParseResult r = PARSER.parse(line, true);
    if (r instanceof ParseResult.Parsed p && type.isInstance(p.command())) {
      return p.command();
    }
    throw new IllegalArgumentException("stored command does not parse: " + line);
  }
}
