package dev.peregrine.dkim.impl;

import dev.peregrine.dkim.Canonicalization;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Canonicalization without I/O: the examples of RFC 6376 §3.4.5, the empty-body hashes of §3.4.3/§3.4.4,
 * and the body fed split at every octet offset (the hash must not depend on how the content is chunked).
 */
class CanonicalizationTest {

  // RFC 6376 §3.4.5, with <SP>, <HTAB> and <CRLF> written out.
  private static final String HEADER_A = "A: X\r\n";
  private static final String HEADER_B = "B : Y\t\r\n\tZ  \r\n";
  private static final String BODY = " C \r\nD \t E\r\n\r\n\r\n";

  private static String header(Canonicalization c, String field) {
    return new String(HeaderCanonicalizer.canonicalize(c, field.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
  }

  /** The canonical body, recovered by hashing through an identity "digest" that keeps what it is given. */
  private static String body(Canonicalization c, String body, int split) {
    Keeping keep = new Keeping();
    BodyCanonicalizer b = new BodyCanonicalizer(c, keep);
    byte[] a = body.getBytes(StandardCharsets.UTF_8);
    b.update(a, 0, split);
    b.update(a, split, a.length - split);
    b.finish();
    return keep.out.toString(StandardCharsets.UTF_8);
  }

  private static String bodyHash(Canonicalization c, String body) throws Exception {
    BodyCanonicalizer b = new BodyCanonicalizer(c, MessageDigest.getInstance("SHA-256"));
    byte[] a = body.getBytes(StandardCharsets.UTF_8);
    b.update(a, 0, a.length);
    return Base64.getEncoder().encodeToString(b.finish());
  }

  @Test
  void relaxedHeadersAsInRfc6376Example() {
    assertThat(header(Canonicalization.RELAXED, HEADER_A)).isEqualTo("a:X\r\n");
    assertThat(header(Canonicalization.RELAXED, HEADER_B)).isEqualTo("b:Y Z\r\n");
  }

  @Test
  void simpleHeadersAreUnchanged() {
    assertThat(header(Canonicalization.SIMPLE, HEADER_A)).isEqualTo(HEADER_A);
    assertThat(header(Canonicalization.SIMPLE, HEADER_B)).isEqualTo(HEADER_B);
  }

  @Test
  void relaxedBodyAsInRfc6376ExampleAtEverySplit() {
    for (int split = 0; split <= BODY.length(); split++) {
      assertThat(body(Canonicalization.RELAXED, BODY, split)).as("split at %d", split).isEqualTo(" C\r\nD E\r\n");
    }
  }

  @Test
  void simpleBodyAsInRfc6376ExampleAtEverySplit() {
    for (int split = 0; split <= BODY.length(); split++) {
      assertThat(body(Canonicalization.SIMPLE, BODY, split)).as("split at %d", split).isEqualTo(" C \r\nD \t E\r\n");
    }
  }

  @Test
  void anEmptyBodyIsCrlfForSimpleAndNothingForRelaxed() throws Exception {
    // RFC 6376 §3.4.3: SHA-256 of CRLF; §3.4.4: of nothing.
    assertThat(bodyHash(Canonicalization.SIMPLE, "")).isEqualTo("frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
    assertThat(bodyHash(Canonicalization.SIMPLE, "\r\n\r\n")).isEqualTo("frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
    assertThat(bodyHash(Canonicalization.RELAXED, "")).isEqualTo("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    assertThat(bodyHash(Canonicalization.RELAXED, "\r\n \t\r\n")).isEqualTo("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  }

  @Test
  void aLastLineWithoutCrlfGetsOne() {
    for (Canonicalization c : Canonicalization.values()) {
      assertThat(body(c, "a\r\nb", 3)).isEqualTo("a\r\nb\r\n");
    }
    assertThat(body(Canonicalization.RELAXED, "a  \t", 2)).isEqualTo("a\r\n");
  }

  @Test
  void emptyLinesInsideTheBodyStayOnlyTrailingOnesGo() {
    String text = "a\r\n\r\n\r\nb\r\n\r\n";
    for (int split = 0; split <= text.length(); split++) {
      assertThat(body(Canonicalization.SIMPLE, text, split)).isEqualTo("a\r\n\r\n\r\nb\r\n");
      assertThat(body(Canonicalization.RELAXED, text, split)).isEqualTo("a\r\n\r\n\r\nb\r\n");
    }
  }

  @Test
  void bareCrAndLfAreOrdinaryOctetsHere() {
    // Line endings are made CRLF before this (as the client sends them); what is left is content.
    assertThat(body(Canonicalization.SIMPLE, "a\nb\rc\r\n", 2)).isEqualTo("a\nb\rc\r\n");
  }

  @Test
  void eightBitOctetsPassUnchanged() {
    String text = "Gr\u00fc\u00dfe \u2014 \u65e5\u672c\r\n";
    assertThat(body(Canonicalization.RELAXED, text, 4)).isEqualTo(text);
    assertThat(header(Canonicalization.RELAXED, "Subject: \u65e5\u672c  \u8a9e\r\n")).isEqualTo("subject:\u65e5\u672c \u8a9e\r\n");
  }

  /** RFC 6376 §3.4.3/§3.4.4 written the slow, obvious way, on whole strings, to check the streaming one against. */
  private static String reference(Canonicalization c, String body) {
    java.util.List<String> lines = new java.util.ArrayList<>(java.util.Arrays.asList(body.split("\r\n", -1)));
    if (lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1); // the body ended with CRLF
    }
    if (c == Canonicalization.RELAXED) {
      lines.replaceAll(l -> l.replaceAll("[ \t]+", " ").replaceAll(" \\z", ""));
    }
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    }
    if (lines.isEmpty()) {
      return c == Canonicalization.SIMPLE ? "\r\n" : "";
    }
    return String.join("\r\n", lines) + "\r\n";
  }

  private static String esc(String s) {
    return s.replace("\r", "<CR>").replace("\n", "<LF>").replace("\t", "<TAB>");
  }

  @Test
  void randomBodiesAtRandomSplitsMatchTheSlowReference() {
    java.util.Random r = new java.util.Random(6376);
    String[] atoms = {"a", "b", " ", "  ", "\t", "\r\n", "\r\n", "\r", "\n", ".", "word ", " x"};
    for (int round = 0; round < 3000; round++) {
      StringBuilder sb = new StringBuilder();
      int n = r.nextInt(40);
      for (int i = 0; i < n; i++) {
        sb.append(atoms[r.nextInt(atoms.length)]);
      }
      String text = sb.toString();
      int split = text.isEmpty() ? 0 : r.nextInt(text.length() + 1);
      for (Canonicalization c : Canonicalization.values()) {
        assertThat(esc(body(c, text, split))).as("%s of %s split at %d", c, text.replace("\r", "<CR>").replace("\n", "<LF>")
            .replace("\t", "<TAB>"), split).isEqualTo(esc(reference(c, text)));
      }
    }
  }

  @Test
  void headerFieldsAreSelectedBottomUpAndAnAbsentOneSelectsNothing() {
    byte[] block = "Received: 1\r\nFrom: a@x.test\r\nReceived: 2\r\nSubject: s\r\n".getBytes(StandardCharsets.US_ASCII);
    HeaderBlock h = HeaderBlock.parse(block, block.length);
    assertThat(h.fields()).extracting(HeaderBlock.Field::name).containsExactly("received", "from", "received", "subject");
    var picked = h.select(java.util.List.of("received", "from", "from", "received", "received"));
    assertThat(picked).extracting(f -> new String(block, f.start(), f.end() - f.start(), StandardCharsets.US_ASCII))
        .containsExactly("Received: 2\r\n", "From: a@x.test\r\n", "Received: 1\r\n");
  }

  @Test
  void theFromDomainIsTheAddressNotTheDisplayName() {
    assertThat(HeaderBlock.addressDomain("\"Boss <boss@evil.test>\" <news@Example.ORG>")).isEqualTo("example.org");
    assertThat(HeaderBlock.addressDomain("news@example.org (The News)")).isEqualTo("example.org");
    assertThat(HeaderBlock.addressDomain("=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= <a@b\u00fccher.example>")).isEqualTo("xn--bcher-kva.example");
    assertThat(HeaderBlock.addressDomain("undisclosed-recipients:;")).isNull();
  }

  /** A "digest" that keeps its input: the canonical form itself, for the examples. */
  private static final class Keeping extends MessageDigest {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Keeping() {
      super("keep");
    }

    @Override
    protected void engineUpdate(byte input) {
      out.write(input);
    }

    @Override
    protected void engineUpdate(byte[] input, int offset, int len) {
      out.write(input, offset, len);
    }

    @Override
    protected byte[] engineDigest() {
      return new byte[0];
    }

    @Override
    protected void engineReset() {
      out.reset();
    }
  }
}
