package org.lstm4j.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A zip file's central directory, read strictly, and entry data that comes out only after its
 * sizes are checked against the file: torch.save archives (stored entries, data descriptors) and
 * npz files (stored or deflated, zip64 local headers) both go through here.
 *
 * <p>Why not java.util.zip.ZipFile: it needs a file on disk, trusts declared sizes while
 * inflating, and does not let us say which check failed. Here a deflated entry may declare at most
 * what deflate can produce from its compressed bytes (1032:1), inflating stops at the declared
 * size, and the CRC-32 is verified (except when it is 0: PyTorch writes 0 when saving with
 * {@code compute_crc32=False}).
 */
final class ZipArchive {
    private static final int LOCAL_HEADER = 0x04034B50;
    private static final int CENTRAL_HEADER = 0x02014B50;
    private static final int END_OF_CENTRAL_DIRECTORY = 0x06054B50;
    private static final int ZIP64_END_LOCATOR = 0x07064B50;
    private static final int ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064B50;
    private static final int STORED = 0;
    private static final int DEFLATED = 8;
    /** Deflate's best case: one 258-byte match per 2 bits, 1032:1; plus slack for tiny inputs. */
    private static final long MAX_DEFLATE_RATIO = 1032;
    private static final long DEFLATE_SLACK = 1024;

    /** One central directory record; sizes and offset already resolved through zip64 extras. */
    record Entry(String name, byte[] rawName, int method, int flags, int crc, long compressedSize, long size,
                 long localHeaderOffset) {
    }

    private final ByteSource src;
    private final Map<String, Entry> entries;
    private final long centralDirectoryOffset;

    private ZipArchive(ByteSource src, Map<String, Entry> entries, long centralDirectoryOffset) {
        this.src = src;
        this.entries = entries;
        this.centralDirectoryOffset = centralDirectoryOffset;
    }

    static ZipArchive read(ByteSource src) throws IOException {
        long size = src.size();
        if (size < 22) {
            throw src.error("too short for a zip file: " + size + " bytes");
        }
        // The end record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
        int tailLength = (int) Math.min(size, 22 + 65535);
        long tailStart = size - tailLength;
        byte[] tail = src.read(tailStart, tailLength, "zip end record");
        int end = -1;
        for (int i = tailLength - 22; i >= 0; i--) {
            if (LittleEndian.i32(tail, i) == END_OF_CENTRAL_DIRECTORY
                    && LittleEndian.u16(tail, i + 20) == tailLength - 22 - i) {
                end = i;
                break;
            }
        }
        if (end < 0) {
            throw src.error("not a zip file, or truncated: no end-of-central-directory record");
        }
        long endOffset = tailStart + end;
        int disk = LittleEndian.u16(tail, end + 4);
        int centralDisk = LittleEndian.u16(tail, end + 6);
        long count = LittleEndian.u16(tail, end + 10);
        long centralSize = LittleEndian.u32(tail, end + 12);
        long centralOffset = LittleEndian.u32(tail, end + 16);
        long centralLimit = endOffset;
        if (count == 0xFFFF || centralSize == 0xFFFF_FFFFL || centralOffset == 0xFFFF_FFFFL) {
            long locator = endOffset - 20;
            byte[] loc = src.read(locator, 20, "zip64 end locator");
            if (LittleEndian.i32(loc, 0) != ZIP64_END_LOCATOR) {
                throw src.error(locator, "zip64 end locator missing");
            }
            long zip64End = LittleEndian.i64(loc, 8);
            if (zip64End < 0 || zip64End > locator - 56) {
                throw src.error(locator, "zip64 end record offset " + zip64End + " is outside the file");
            }
            byte[] rec = src.read(zip64End, 56, "zip64 end record");
            if (LittleEndian.i32(rec, 0) != ZIP64_END_OF_CENTRAL_DIRECTORY) {
                throw src.error(zip64End, "zip64 end record missing");
            }
            disk = LittleEndian.i32(rec, 16);
            centralDisk = LittleEndian.i32(rec, 20);
            count = LittleEndian.i64(rec, 32);
            centralSize = LittleEndian.i64(rec, 40);
            centralOffset = LittleEndian.i64(rec, 48);
            centralLimit = zip64End;
        }
        if (disk != 0 || centralDisk != 0) {
            throw src.error("multi-volume zip files are not supported");
        }
        if (centralOffset < 0 || centralSize < 0 || centralOffset > centralLimit
                || centralSize > centralLimit - centralOffset) {
            throw src.error(endOffset, "central directory [" + centralOffset + ", +" + centralSize
                    + ") runs past its end record at " + centralLimit);
        }
        if (count < 0 || count > centralSize / 46) {
            throw src.error(endOffset, "central directory of " + centralSize + " bytes cannot hold " + count
                    + " entries");
        }
        byte[] cd = src.read(centralOffset, centralSize, "central directory");
        Map<String, Entry> entries = new LinkedHashMap<>();
        int p = 0;
        for (long i = 0; i < count; i++) {
            long at = centralOffset + p;
            if (p + 46 > cd.length || LittleEndian.i32(cd, p) != CENTRAL_HEADER) {
                throw src.error(at, "central directory entry " + i + " is missing or corrupt");
            }
            int flags = LittleEndian.u16(cd, p + 8);
            int method = LittleEndian.u16(cd, p + 10);
            int crc = LittleEndian.i32(cd, p + 16);
            long compressed = LittleEndian.u32(cd, p + 20);
            long uncompressed = LittleEndian.u32(cd, p + 24);
            int nameLength = LittleEndian.u16(cd, p + 28);
            int extraLength = LittleEndian.u16(cd, p + 30);
            int commentLength = LittleEndian.u16(cd, p + 32);
            long localOffset = LittleEndian.u32(cd, p + 42);
            int recordLength = 46 + nameLength + extraLength + commentLength;
            if (p + recordLength > cd.length) {
                throw src.error(at, "central directory entry " + i + " runs past the directory");
            }
            byte[] rawName = Arrays.copyOfRange(cd, p + 46, p + 46 + nameLength);
            String name = (flags & 0x800) != 0 ? src.utf8(rawName, at + 46, "zip entry name")
                    : new String(rawName, StandardCharsets.ISO_8859_1);
            // zip64 extra: the 64-bit values, in this order, of whichever fields hold 0xFFFFFFFF.
            int e = p + 46 + nameLength;
            int extraEnd = e + extraLength;
            while (e + 4 <= extraEnd) {
                int id = LittleEndian.u16(cd, e);
                int length = LittleEndian.u16(cd, e + 2);
                if (e + 4 + length > extraEnd) {
                    throw src.error(at, "zip entry '" + name + "': extra field runs past its record");
                }
                if (id == 0x0001) {
                    int q = e + 4;
                    int qEnd = q + length;
                    if (uncompressed == 0xFFFF_FFFFL) {
                        uncompressed = zip64Field(cd, q, qEnd, name, at, src);
                        q += 8;
                    }
                    if (compressed == 0xFFFF_FFFFL) {
                        compressed = zip64Field(cd, q, qEnd, name, at, src);
                        q += 8;
                    }
                    if (localOffset == 0xFFFF_FFFFL) {
                        localOffset = zip64Field(cd, q, qEnd, name, at, src);
                    }
                }
                e += 4 + length;
            }
            if ((flags & 0x1) != 0) {
                throw src.error(at, "zip entry '" + name + "' is encrypted");
            }
            if (entries.put(name, new Entry(name, rawName, method, flags, crc, compressed, uncompressed,
                    localOffset)) != null) {
                throw src.error(at, "zip entry '" + name + "' appears twice");
            }
            p += recordLength;
        }
        return new ZipArchive(src, Collections.unmodifiableMap(entries), centralOffset);
    }

    private static long zip64Field(byte[] cd, int q, int qEnd, String name, long at, ByteSource src)
            throws IOException {
        if (q + 8 > qEnd) {
            throw src.error(at, "zip entry '" + name + "': zip64 extra field is too short");
        }
        long value = LittleEndian.i64(cd, q);
        if (value < 0) {
            throw src.error(at, "zip entry '" + name + "': zip64 size or offset " + Long.toUnsignedString(value)
                    + " is out of range");
        }
        return value;
    }

    /** Entries in central directory order. */
    List<Entry> entries() {
        return new ArrayList<>(entries.values());
    }

    /** The entry called {@code name}, or null. */
    Entry find(String name) {
        return entries.get(name);
    }

    /** The uncompressed bytes of {@code entry}, after checking every declared size against the file. */
    byte[] read(Entry entry) throws IOException {
        String what = "zip entry '" + entry.name + "'";
        long local = entry.localHeaderOffset;
        if (local > centralDirectoryOffset - 30) {
            throw src.error(local, what + ": local header is not before the central directory");
        }
        byte[] header = src.read(local, 30, what + " local header");
        if (LittleEndian.i32(header, 0) != LOCAL_HEADER) {
            throw src.error(local, what + ": local header signature missing");
        }
        int nameLength = LittleEndian.u16(header, 26);
        int extraLength = LittleEndian.u16(header, 28);
        byte[] localName = src.read(local + 30, nameLength, what + " local name");
        if (!Arrays.equals(localName, entry.rawName)) {
            throw src.error(local, what + ": local header names '"
                    + new String(localName, StandardCharsets.ISO_8859_1) + "', the central directory '"
                    + entry.name + "'");
        }
        long dataStart = local + 30 + nameLength + extraLength;
        if (dataStart > centralDirectoryOffset || entry.compressedSize > centralDirectoryOffset - dataStart) {
            throw src.error(dataStart, what + ": " + entry.compressedSize
                    + " bytes of data would run into the central directory at " + centralDirectoryOffset);
        }
        if (entry.size > Integer.MAX_VALUE - 8) {
            throw src.error(local, what + " is " + entry.size + " bytes, more than one Java array can hold");
        }
        byte[] data;
        if (entry.method == STORED) {
            if (entry.compressedSize != entry.size) {
                throw src.error(local, what + " is stored but declares " + entry.compressedSize + " bytes stored and "
                        + entry.size + " bytes uncompressed");
            }
            data = src.read(dataStart, entry.size, what);
        } else if (entry.method == DEFLATED) {
            if (entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + DEFLATE_SLACK) {
                throw src.error(local, what + " declares " + entry.size + " bytes from " + entry.compressedSize
                        + " compressed bytes, more than deflate can produce (a zip bomb?)");
            }
            data = inflate(src.read(dataStart, entry.compressedSize, what), (int) entry.size, what, dataStart);
        } else {
            throw src.error(local, what + ": compression method " + entry.method
                    + " is not supported (only stored and deflated)");
        }
        if (entry.crc != 0) {
            CRC32 crc = new CRC32();
            crc.update(data);
            if ((int) crc.getValue() != entry.crc) {
                throw src.error(dataStart, what + ": CRC-32 mismatch (corrupt data)");
            }
        }
        return data;
    }

    /** Inflates exactly {@code size} bytes; more or fewer is an error, and inflating stops at {@code size}. */
    private byte[] inflate(byte[] compressed, int size, String what, long offset) throws IOException {
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(compressed);
            byte[] out = new byte[size];
            int produced = 0;
            boolean fedDummyByte = false;
            // Each pass produces bytes, or else consumes the one dummy byte, or else ends the loop.
            while (produced < size && !inflater.finished()) {
                int n = inflater.inflate(out, produced, size - produced);
                produced += n;
                if (n == 0) {
                    if (inflater.needsDictionary()) {
                        throw src.error(offset, what + ": deflate stream needs a preset dictionary");
                    }
                    if (!inflater.needsInput() || fedDummyByte) {
                        break;
                    }
                    // Raw inflate may need one byte past the stream to see its end (as ZipFile does).
                    inflater.setInput(new byte[1]);
                    fedDummyByte = true;
                }
            }
            if (produced < size) {
                throw src.error(offset, what + ": inflates to only " + produced + " bytes, declared " + size);
            }
            if (!inflater.finished()) {
                byte[] probe = new byte[1];
                int extra = inflater.inflate(probe);
                if (extra == 0 && inflater.needsInput() && !fedDummyByte) {
                    inflater.setInput(new byte[1]);
                    extra = inflater.inflate(probe);
                }
                if (extra > 0) {
                    throw src.error(offset, what + ": inflates to more than the declared " + size + " bytes");
                }
                if (!inflater.finished()) {
                    throw src.error(offset, what + ": deflate stream has no end after " + size + " bytes (truncated?)");
                }
            }
            return out;
        } catch (DataFormatException e) {
            throw src.error(offset, what + ": corrupt deflate data (" + e.getMessage() + ")");
        } finally {
            inflater.end();
        }
    }
}
