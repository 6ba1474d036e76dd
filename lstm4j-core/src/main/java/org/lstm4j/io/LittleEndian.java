package org.lstm4j.io;

/** Reads little-endian integers from byte arrays. Callers check bounds first (see ByteSource). */
final class LittleEndian {
    private LittleEndian() {
    }

    static int u16(byte[] b, int offset) {
        return (b[offset] & 0xFF) | (b[offset + 1] & 0xFF) << 8;
    }

    static int i32(byte[] b, int offset) {
        return (b[offset] & 0xFF) | (b[offset + 1] & 0xFF) << 8 | (b[offset + 2] & 0xFF) << 16
                | (b[offset + 3] & 0xFF) << 24;
    }

    static long u32(byte[] b, int offset) {
        return i32(b, offset) & 0xFFFF_FFFFL;
    }

    /** A signed 64-bit value; a u64 field above 2^63 - 1 comes out negative, which callers reject. */
    static long i64(byte[] b, int offset) {
        return (i32(b, offset) & 0xFFFF_FFFFL) | (long) i32(b, offset + 4) << 32;
    }
}
