package org.lstm4j.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The protocol buffers wire format, as much of it as ONNX files need: varints, 32- and 64-bit
 * fixed fields, length-delimited fields (strings, bytes, nested messages, packed repeated
 * numbers); unknown fields are skipped. Groups (wire types 3 and 4, deprecated since proto2) are
 * refused.
 *
 * <pre>{@code
 * Protobuf.Reader r = Protobuf.Reader.of(bytes, "model.onnx");
 * while (r.hasMore()) {
 *     switch (r.readTag()) {                 // field number; r.wireType() tells the encoding
 *         case 1 -> irVersion = r.varintField("ModelProto.ir_version");
 *         case 7 -> graph = decodeGraph(r.readMessage("ModelProto.graph"));
 *         default -> r.skipField();
 *     }
 * }
 * }</pre>
 *
 * <p>Untrusted input: every length is checked against the bytes that remain in the enclosing
 * message before anything is allocated, varints longer than 10 bytes are refused, and every
 * error is an {@link IOException} naming the file and the byte offset.
 */
final class Protobuf {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private Protobuf() {
    }

    /** Reads one message: the bytes [position, limit) of a buffer that may hold more. */
    static final class Reader {
        private final byte[] buffer;
        private final String source;
        private int position;
        private final int limit;
        private int wireType = -1;
        private int fieldStart;

        private Reader(byte[] buffer, int position, int limit, String source) {
            this.buffer = buffer;
            this.position = position;
            this.limit = limit;
            this.source = source;
        }

        /** A reader over all of {@code bytes}; {@code source} names them in errors (the file). */
        static Reader of(byte[] bytes, String source) {
            return new Reader(bytes, 0, bytes.length, source);
        }

        boolean hasMore() {
            return position < limit;
        }

        /** The offset, in the whole buffer, of the next byte to read. */
        int position() {
            return position;
        }

        /** The buffer this reader reads from (slices of it are kept by {@link #readSlice}). */
        byte[] buffer() {
            return buffer;
        }

        /** The wire type of the field whose tag {@link #readTag} read last. */
        int wireType() {
            return wireType;
        }

        /** Reads a field's tag and returns its field number (≥ 1). */
        int readTag() throws IOException {
            fieldStart = position;
            long tag = readVarint();
            long field = tag >>> 3;
            wireType = (int) (tag & 7);
            if (field < 1 || field > 0x1FFF_FFFF) {
                throw error(fieldStart, "invalid field number " + field);
            }
            if (wireType != VARINT && wireType != FIXED64 && wireType != LENGTH_DELIMITED && wireType != FIXED32) {
                throw error(fieldStart, "field " + field + " has wire type " + wireType
                        + (wireType == 3 || wireType == 4 ? " (a group, not used by ONNX)" : " (not a protobuf wire type)"));
            }
            return (int) field;
        }

        /** A base-128 varint of at most 10 bytes, as the 64 bits it encodes. */
        long readVarint() throws IOException {
            int start = position;
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (position >= limit) {
                    throw error(start, "varint runs past the end of its message (message ends at " + limit + ")");
                }
                byte b = buffer[position++];
                value |= (long) (b & 0x7F) << shift;
                if (b >= 0) {
                    return value;
                }
            }
            throw error(start, "malformed varint: more than 10 bytes");
        }

        /** The current field as a varint, checked to be a wire-type-0 field. */
        long varintField(String what) throws IOException {
            expect(VARINT, what);
            return readVarint();
        }

        /** An int32 field: a varint whose value must fit in 32 signed bits (negative ones are sign-extended). */
        int int32Field(String what) throws IOException {
            long v = varintField(what);
            if (v != (int) v) {
                throw error(fieldStart, what + " is " + v + ", outside the int32 range");
            }
            return (int) v;
        }

        /** A float field (wire type 5, little-endian IEEE 754). */
        float floatField(String what) throws IOException {
            expect(FIXED32, what);
            return Float.intBitsToFloat(readFixed32());
        }

        /** A length-delimited field's bytes as strict UTF-8. */
        String stringField(String what) throws IOException {
            Slice s = readSlice(what);
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(buffer, s.offset, s.length)).toString();
            } catch (CharacterCodingException e) {
                throw error(s.offset, what + " is not valid UTF-8");
            }
        }

        /** A length-delimited field's bytes, not copied: a view of the buffer. */
        Slice readSlice(String what) throws IOException {
            expect(LENGTH_DELIMITED, what);
            int start = position;
            long length = readVarint();
            if (length < 0 || length > limit - position) {
                throw error(start, what + " claims " + Long.toUnsignedString(length) + " bytes but its message has "
                        + (limit - position) + " left");
            }
            Slice s = new Slice(position, (int) length);
            position += (int) length;
            return s;
        }

        /** A nested message: a reader over the field's bytes. */
        Reader readMessage(String what) throws IOException {
            Slice s = readSlice(what);
            return new Reader(buffer, s.offset, s.offset + s.length, source);
        }

        /**
         * Appends the current field's values to {@code out} as raw 64-bit patterns: a repeated
         * scalar field of wire type {@code scalarType} ({@link #VARINT}, {@link #FIXED32} or
         * {@link #FIXED64}) arrives either as one value or as a packed run (wire type 2), and
         * parsers must accept both. FIXED32 values are the float's bits in the low 32 bits.
         */
        void readRepeated(LongList out, int scalarType, String what) throws IOException {
            if (wireType == scalarType) {
                out.add(readScalar(scalarType));
                return;
            }
            if (wireType != LENGTH_DELIMITED) {
                throw error(fieldStart, what + " has wire type " + wireType + ", expected " + scalarType
                        + " or a packed run (2)");
            }
            Reader packed = readMessage(what);
            int width = scalarType == FIXED32 ? 4 : scalarType == FIXED64 ? 8 : 1;
            if (width > 1 && (packed.limit - packed.position) % width != 0) {
                throw error(packed.position, "packed " + what + " is " + (packed.limit - packed.position)
                        + " bytes, not a multiple of " + width);
            }
            while (packed.hasMore()) {
                out.add(packed.readScalar(scalarType));
            }
        }

        /** Skips the current field, whatever its wire type. */
        void skipField() throws IOException {
            switch (wireType) {
                case VARINT -> readVarint();
                case FIXED64 -> skip(8);
                case FIXED32 -> skip(4);
                case LENGTH_DELIMITED -> readSlice("field");
                default -> throw new IllegalStateException("no field read");
            }
        }

        IOException error(int offset, String message) {
            return new IOException(source + ": " + message + " (at offset " + offset + ")");
        }

        private void expect(int type, String what) throws IOException {
            if (wireType != type) {
                throw error(fieldStart, what + " has wire type " + wireType + ", expected " + type);
            }
        }

        private long readScalar(int scalarType) throws IOException {
            return switch (scalarType) {
                case VARINT -> readVarint();
                case FIXED32 -> readFixed32() & 0xFFFF_FFFFL;
                case FIXED64 -> readFixed64();
                default -> throw new IllegalArgumentException("not a scalar wire type: " + scalarType);
            };
        }

        private int readFixed32() throws IOException {
            int at = position;
            skip(4);
            return LittleEndian.i32(buffer, at);
        }

        private long readFixed64() throws IOException {
            int at = position;
            skip(8);
            return LittleEndian.i64(buffer, at);
        }

        private void skip(int bytes) throws IOException {
            if (bytes > limit - position) {
                throw error(position, "field needs " + bytes + " bytes but its message has " + (limit - position) + " left");
            }
            position += bytes;
        }
    }

    /** A range of a {@link Reader}'s buffer. */
    record Slice(int offset, int length) {
    }

    /** Writes one message; nested messages are written to their own Writer and added as bytes. */
    static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Writer varint(int field, long value) {
            tag(field, VARINT);
            rawVarint(value);
            return this;
        }

        Writer floatValue(int field, float value) {
            tag(field, FIXED32);
            rawFixed32(Float.floatToRawIntBits(value));
            return this;
        }

        Writer string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Writer bytes(int field, byte[] value) {
            tag(field, LENGTH_DELIMITED);
            rawVarint(value.length);
            out.writeBytes(value);
            return this;
        }

        Writer message(int field, Writer message) {
            return bytes(field, message.toByteArray());
        }

        /**
         * A repeated scalar field written packed: {@code values} are raw 64-bit patterns as
         * {@link Reader#readRepeated} returns them (float bits in the low 32 bits for FIXED32).
         */
        Writer packed(int field, int scalarType, long[] values) {
            Writer packed = new Writer();
            for (long v : values) {
                switch (scalarType) {
                    case VARINT -> packed.rawVarint(v);
                    case FIXED32 -> packed.rawFixed32((int) v);
                    case FIXED64 -> {
                        packed.rawFixed32((int) v);
                        packed.rawFixed32((int) (v >>> 32));
                    }
                    default -> throw new IllegalArgumentException("not a scalar wire type: " + scalarType);
                }
            }
            return bytes(field, packed.toByteArray());
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }

        private void tag(int field, int wireType) {
            rawVarint((long) field << 3 | wireType);
        }

        private void rawVarint(long value) {
            while ((value & ~0x7FL) != 0) {
                out.write((int) (value & 0x7F) | 0x80);
                value >>>= 7;
            }
            out.write((int) value);
        }

        private void rawFixed32(int value) {
            out.write(value);
            out.write(value >>> 8);
            out.write(value >>> 16);
            out.write(value >>> 24);
        }
    }

    /** A growable long array: the raw values of a repeated scalar field (see {@link Reader#readRepeated}). */
    static final class LongList {
        private long[] values = new long[8];
        private int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        int size() {
            return size;
        }

        long[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
