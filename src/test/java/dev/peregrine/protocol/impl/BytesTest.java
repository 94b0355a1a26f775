package dev.peregrine.protocol.impl;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The word-at-a-time classifier against a byte-by-byte one, at every position and length. */
class BytesTest {

  private static Bytes.ContentClass slow(byte[] a) {
    boolean high = false;
    for (byte b : a) {
      if (b == 0) {
        return Bytes.ContentClass.BINARY;
      }
      high |= b < 0;
    }
    return high ? Bytes.ContentClass.EIGHT_BIT : Bytes.ContentClass.SEVEN_BIT;
  }

  @Test
  void classifiesLikeAByteByByteScan() {
    SplittableRandom random = new SplittableRandom(7);
    for (int len = 0; len < 40; len++) {
      for (int at = -1; at < len; at++) {
        for (byte special : new byte[] {0, (byte) 0x80, (byte) 0xFF, 1, 0x7F}) {
          byte[] a = new byte[len];
          for (int k = 0; k < len; k++) {
            a[k] = (byte) random.nextInt(0x20, 0x7F);
          }
          if (at >= 0) {
            a[at] = special;
          }
          // Also as a slice in the middle of a larger array.
          Buffer inside = Buffer.buffer(new byte[3]).appendBytes(a).appendBytes(new byte[] {0, (byte) 0x99}).slice(3, 3 + len);
          assertThat(Bytes.classify(Buffer.buffer(a))).as("len %d at %d special %d", len, at, special).isEqualTo(slow(a));
          assertThat(Bytes.classify(inside)).isEqualTo(slow(a));
        }
      }
    }
  }
}
