package dev.peregrine.server;

import dev.peregrine.protocol.Reply;
import dev.peregrine.test.Wire;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SMTP smuggling (CVE-2023-51764 and kin) end to end: after each lax end-of-data vector the client smuggles a
 * second transaction. The server must see one message, refuse it for its bare line ending, and never run
 * the smuggled MAIL/RCPT/DATA; with bare line endings allowed, the smuggled text is content of the one
 * message.
 */
class SmugglingIT extends ServerFixture {

  private static final String SMUGGLED = "MAIL FROM:<admin@bank.test>\r\nRCPT TO:<victim@x.test>\r\nDATA\r\n"
      + "From: admin@bank.test\r\n\r\nsend money\r\n";

  @ParameterizedTest
  @ValueSource(strings = {"\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r.\r\n", "\r\n.\r", "\n.\r", "\r\n\u0000.\r\n"})
  void aLaxEndOfDataNeverEndsTheMessage(String vector) throws Exception {
    int port = start(options());
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      w.beginData();
      w.send("Subject: innocent\r\n\r\nhello" + vector + SMUGGLED + ".\r\n");
      Reply r = w.read();
      if (vector.indexOf('\u0000') >= 0) {
        // NUL is not a line ending: the message is accepted, with the smuggled text as its content.
        assertThat(r.code()).isEqualTo(250);
      } else {
        assertThat(r.code() + " " + r.enhanced()).isEqualTo("550 5.6.0");
      }
      assertThat(w.cmd("NOOP").code()).as("in step: the next reply answers NOOP").isEqualTo(250);
    }
    if (vector.indexOf('\u0000') >= 0) {
      assertThat(handler.next().content().toString()).contains("MAIL FROM:<admin@bank.test>");
    }
    assertThat(handler.messages).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"\n.\n", "\r\n.\n", "\r.\r\n"})
  void withBareLineEndingsAllowedTheSmuggledTextIsContent(String vector) throws Exception {
    int port = start(options().setBareLineEndings(dev.peregrine.protocol.DataDecoder.Mode.ALLOW));
    try (Wire w = Wire.connect(port)) {
      w.read();
      w.cmd("EHLO c");
      w.beginData();
      w.send("hello" + vector + SMUGGLED + ".\r\n");
      assertThat(w.read().code()).isEqualTo(250);
      assertThat(w.cmd("NOOP").code()).isEqualTo(250);
    }
    RecordingHandler.Message m = handler.next();
    assertThat(m.sender()).isEqualTo("<a@x.test>");
    assertThat(m.content().toString()).contains("MAIL FROM:<admin@bank.test>");
    assertThat(handler.messages).as("exactly one message").isEmpty();
  }
}
