package dev.peregrine.relay.spool.impl;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The on-disk record format of the spool log. Every record is a 28-octet header then its payload:
 *
 * <pre>
 *  0  int   magic "PGS1"
 *  4  byte  type (DATA, COMMIT, MARK, REMOVE), then 3 octets of zero
 *  8  long  queue id
 * 16  int   payload length
 * 20  int   CRC-32C of the payload
 * 24  int   CRC-32C of octets 0..23
 * 28  payload
 * </pre>
 *
 * Two checksums, so that a record whose payload is damaged still names its entry and its length (recovery
 * moves that entry aside and reads on), while a damaged header is found as such (recovery then looks for the
 * next valid header). Big-endian. Pure functions; any thread.
 */
final class Records {

  static final int MAGIC = 0x50475331;
  static final int HEADER = 28;
  static final byte DATA = 1;
  static final byte COMMIT = 2;
  static final byte MARK = 3;
  static final byte REMOVE = 4;
  /** Larger payloads are refused when reading: no record is this big (chunks are 32 KiB). */
  static final int MAX_PAYLOAD = 16 << 20;

  private Records() {
  }

  static ByteBuffer header(byte type, long id, byte[] payload, int length) {
    ByteBuffer h = ByteBuffer.allocate(HEADER);
    h.putInt(MAGIC).put(type).put((byte) 0).put((byte) 0).put((byte) 0).putLong(id).putInt(length)
        .putInt(crc(payload, 0, length));
    h.putInt(crc(h.array(), 0, 24));
    return h.flip();
  }

  static int crc(byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    return (int) c.getValue();
  }

  /** A header read back, or {@code null} when {@code b} (28 octets from its position) is not a valid one. */
  static Header parse(ByteBuffer b) {
    int p = b.position();
    if (b.remaining() < HEADER || b.getInt(p) != MAGIC) {
      return null;
    }
    CRC32C c = new CRC32C();
    c.update(b.slice(p, 24));
    if ((int) c.getValue() != b.getInt(p + 24)) {
      return null;
    }
    byte type = b.get(p + 4);
    int length = b.getInt(p + 16);
    if (type < DATA || type > REMOVE || length < 0 || length > MAX_PAYLOAD) {
      return null;
    }
    return new Header(type, b.getLong(p + 8), length, b.getInt(p + 20));
  }

  record Header(byte type, long id, int length, int payloadCrc) {
  }
}
