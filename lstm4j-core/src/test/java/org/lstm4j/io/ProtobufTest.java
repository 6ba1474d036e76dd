package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.lstm4j.io.Protobuf.LongList;
import org.lstm4j.io.Protobuf.Reader;
import org.lstm4j.io.Protobuf.Writer;

/** The wire format: what the writer writes, the reader reads back; what is malformed is an IOException with an offset. */
class ProtobufTest {

    @Property(tries = 2000)
    void varintsRoundTrip(@ForAll long value, @ForAll float f) throws IOException {
        Reader r = Reader.of(new Writer().varint(3, value).floatValue(4, f).toByteArray(), "t");
        assertThat(r.readTag()).isEqualTo(3);
        assertThat(r.varintField("a")).isEqualTo(value);
        assertThat(r.readTag()).isEqualTo(4);
        assertThat(Float.floatToRawIntBits(r.floatField("b"))).isEqualTo(Float.floatToRawIntBits(f));
        assertThat(r.hasMore()).isFalse();
    }

    @Property(tries = 500)
    void packedDoublesRoundTrip(@ForAll double a, @ForAll double b) throws IOException {
        long[] bits = {Double.doubleToRawLongBits(a), Double.doubleToRawLongBits(b)};
        Reader r = Reader.of(new Writer().packed(5, Protobuf.FIXED64, bits).toByteArray(), "t");
        LongList out = new LongList();
        r.readTag();
        r.readRepeated(out, Protobuf.FIXED64, "d");
        assertThat(out.toArray()).containsExactly(bits);
    }

    @Test
    void negativeInt32IsTenBytesAndReadsBack() throws IOException {
        byte[] bytes = new Writer().varint(1, -5).toByteArray();
        assertThat(bytes).hasSize(11); // tag + 10 bytes, as protobuf writes a negative int32
        Reader r = Reader.of(bytes, "t");
        r.readTag();
        assertThat(r.int32Field("x")).isEqualTo(-5);
    }

    @Test
    void repeatedFieldsAreReadPackedOrOneByOne() throws IOException {
        long[] floatBits = {Float.floatToRawIntBits(1.5f) & 0xFFFF_FFFFL, Float.floatToRawIntBits(-2f) & 0xFFFF_FFFFL};
        Writer w = new Writer().packed(1, Protobuf.VARINT, new long[] {1, 300, -1}).varint(1, 7)
                .packed(2, Protobuf.FIXED32, floatBits).floatValue(2, 3f);
        Reader r = Reader.of(w.toByteArray(), "t");
        LongList ints = new LongList();
        LongList floats = new LongList();
        while (r.hasMore()) {
            switch (r.readTag()) {
                case 1 -> r.readRepeated(ints, Protobuf.VARINT, "ints");
                case 2 -> r.readRepeated(floats, Protobuf.FIXED32, "floats");
                default -> throw new AssertionError();
            }
        }
        assertThat(ints.toArray()).containsExactly(1, 300, -1, 7);
        assertThat(floats.toArray()).containsExactly(floatBits[0], floatBits[1],
                Float.floatToRawIntBits(3f) & 0xFFFF_FFFFL);
    }

    @Test
    void unknownFieldsOfEveryWireTypeAreSkipped() throws IOException {
        byte[] fixed64 = {(byte) (9 << 3 | 1), 1, 2, 3, 4, 5, 6, 7, 8};
        Writer w = new Writer().varint(5, 99).string(6, "skipped").floatValue(7, 1f);
        byte[] bytes = concat(w.toByteArray(), fixed64, new Writer().string(1, "kept").toByteArray());
        Reader r = Reader.of(bytes, "t");
        String kept = null;
        while (r.hasMore()) {
            if (r.readTag() == 1) {
                kept = r.stringField("kept");
            } else {
                r.skipField();
            }
        }
        assertThat(kept).isEqualTo("kept");
    }

    @Test
    void malformedInputIsAnIOExceptionNamingTheSourceAndOffset() {
        byte[] elevenByteVarint = {8, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
            (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 1};
        assertThatThrownBy(() -> readAll(elevenByteVarint)).isInstanceOf(IOException.class)
                .hasMessage("model.onnx: malformed varint: more than 10 bytes (at offset 1)");
        byte[] lengthPastEnd = {0x12, 0x7F, 'a'};
        assertThatThrownBy(() -> readAll(lengthPastEnd)).isInstanceOf(IOException.class)
                .hasMessage("model.onnx: s claims 127 bytes but its message has 1 left (at offset 1)");
        byte[] hugeLength = {0x12, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F};
        assertThatThrownBy(() -> readAll(hugeLength)).isInstanceOf(IOException.class)
                .hasMessageContaining("claims 4294967295 bytes");
        byte[] group = {(byte) (1 << 3 | 3)};
        assertThatThrownBy(() -> readAll(group)).isInstanceOf(IOException.class)
                .hasMessage("model.onnx: field 1 has wire type 3 (a group, not used by ONNX) (at offset 0)");
        byte[] fieldZero = {0x00};
        assertThatThrownBy(() -> readAll(fieldZero)).isInstanceOf(IOException.class)
                .hasMessage("model.onnx: invalid field number 0 (at offset 0)");
        byte[] truncatedVarint = {8, (byte) 0x80};
        assertThatThrownBy(() -> readAll(truncatedVarint)).isInstanceOf(IOException.class)
                .hasMessageContaining("varint runs past the end of its message");
        byte[] badUtf8 = {0x12, 2, (byte) 0xC3, 0x28};
        assertThatThrownBy(() -> readAll(badUtf8)).isInstanceOf(IOException.class)
                .hasMessage("model.onnx: s is not valid UTF-8 (at offset 2)");
        byte[] packedFloatsOddLength = {0x1A, 3, 0, 0, 0};
        assertThatThrownBy(() -> readAll(packedFloatsOddLength)).isInstanceOf(IOException.class)
                .hasMessageContaining("packed f is 3 bytes, not a multiple of 4");
    }

    @Test
    void aNestedMessageCannotReadPastItsOwnEnd() throws IOException {
        // Field 1 holds 2 bytes: a tag and the first byte of a varint whose rest lies outside.
        byte[] bytes = {0x0A, 2, 0x08, (byte) 0x80, 0x01};
        Reader outer = Reader.of(bytes, "model.onnx");
        outer.readTag();
        Reader inner = outer.readMessage("m");
        inner.readTag();
        assertThatThrownBy(() -> inner.varintField("v")).isInstanceOf(IOException.class)
                .hasMessage("model.onnx: varint runs past the end of its message (message ends at 4) (at offset 3)");
    }

    @Test
    void wrongWireTypeForAKnownFieldIsRefused() throws IOException {
        Reader r = Reader.of(new Writer().string(1, "x").toByteArray(), "model.onnx");
        r.readTag();
        assertThatThrownBy(() -> r.varintField("ModelProto.ir_version")).isInstanceOf(IOException.class)
                .hasMessage("model.onnx: ModelProto.ir_version has wire type 2, expected 0 (at offset 0)");
    }

    /** Reads field 1 as a varint, 2 as a string and 3 as packed floats, all others skipped. */
    private static void readAll(byte[] bytes) throws IOException {
        Reader r = Reader.of(bytes, "model.onnx");
        while (r.hasMore()) {
            switch (r.readTag()) {
                case 1 -> r.varintField("v");
                case 2 -> r.stringField("s");
                case 3 -> r.readRepeated(new LongList(), Protobuf.FIXED32, "f");
                default -> r.skipField();
            }
        }
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
