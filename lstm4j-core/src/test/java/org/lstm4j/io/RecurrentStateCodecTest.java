package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.lstm4j.tensor.Tensor;

class RecurrentStateCodecTest {
    private static final byte[] FINGERPRINT = new byte[32];

    static {
        for (int i = 0; i < 32; i++) {
            FINGERPRINT[i] = (byte) (7 * i + 1);
        }
    }

    @Test
    void roundTripKeepsEveryBitAndTheFingerprint() throws IOException {
        Tensor h = Tensor.randn(1, 3, 1, 5);
        h.data()[0] = -0.0f;
        h.data()[1] = Float.intBitsToFloat(0x7fc01234); // a NaN with a payload
        h.data()[2] = Float.MIN_VALUE;
        h.data()[3] = Float.NEGATIVE_INFINITY;
        Tensor c = Tensor.randn(2, 3, 1, 7);
        Tensor scalar = Tensor.scalar(2.5f);
        byte[] bytes = RecurrentStateCodec.encode(FINGERPRINT, List.of(h, c, scalar));
        assertThat((long) bytes.length).isEqualTo(RecurrentStateCodec.encodedSize(List.of(h, c, scalar)));

        RecurrentStateCodec.Decoded d = RecurrentStateCodec.decode(bytes);
        assertThat(d.fingerprint()).isEqualTo(FINGERPRINT);
        assertThat(d.tensors()).hasSize(3);
        for (int i = 0; i < 3; i++) {
            Tensor expected = List.of(h, c, scalar).get(i);
            assertThat(d.tensors().get(i).shape()).isEqualTo(expected.shape());
            assertThat(rawBits(d.tensors().get(i))).isEqualTo(rawBits(expected));
        }
    }

    @Test
    void layoutIsTheDocumentedOne() {
        Tensor t = Tensor.of(new float[] {1.0f, -2.0f}, 1, 2);
        byte[] bytes = RecurrentStateCodec.encode(FINGERPRINT, List.of(t));
        ByteBuffer b = ByteBuffer.wrap(bytes);
        assertThat(new String(bytes, 0, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("L4JS");
        assertThat(bytes[4]).isEqualTo((byte) RecurrentStateCodec.FORMAT_VERSION);
        assertThat(Arrays.copyOfRange(bytes, 5, 37)).isEqualTo(FINGERPRINT);
        assertThat(bytes[37]).isEqualTo((byte) 1);   // one tensor
        assertThat(bytes[38]).isEqualTo((byte) 2);   // rank 2
        assertThat(b.getInt(39)).isEqualTo(1);
        assertThat(b.getInt(43)).isEqualTo(2);
        assertThat(b.getInt(47)).isEqualTo(Float.floatToRawIntBits(1.0f));
        assertThat(b.getInt(51)).isEqualTo(Float.floatToRawIntBits(-2.0f));
        assertThat(bytes).hasSize(55);
    }

    @Test
    void readingIsStrictAndSaysExpectedVersusGot() {
        byte[] good = RecurrentStateCodec.encode(FINGERPRINT, List.of(Tensor.randn(3, 2, 1, 4)));

        byte[] magic = good.clone();
        magic[0] = 'X';
        assertThatThrownBy(() -> RecurrentStateCodec.decode(magic)).isInstanceOf(IOException.class)
                .hasMessageContaining("expected magic 4c344a53 ('L4JS'), got 58344a53");

        byte[] version = good.clone();
        version[4] = 9;
        assertThatThrownBy(() -> RecurrentStateCodec.decode(version))
                .hasMessage("unsupported recurrent state format version: expected 1, got 9");

        byte[] none = good.clone();
        none[37] = 0;
        assertThatThrownBy(() -> RecurrentStateCodec.decode(none)).hasMessageContaining("expected 1 to 255 tensors, got 0");

        byte[] rank = good.clone();
        rank[38] = 9;
        assertThatThrownBy(() -> RecurrentStateCodec.decode(rank)).hasMessageContaining("expected rank 0 to 8, got 9");

        byte[] negative = good.clone();
        ByteBuffer.wrap(negative).putInt(39, -1);
        assertThatThrownBy(() -> RecurrentStateCodec.decode(negative))
                .hasMessageContaining("expected dimensions >= 0, got shape [-1]");

        assertThatThrownBy(() -> RecurrentStateCodec.decode(Arrays.copyOf(good, good.length - 1)))
                .isInstanceOf(IOException.class).hasMessageContaining("ends early");

        byte[] trailing = Arrays.copyOf(good, good.length + 3);
        assertThatThrownBy(() -> RecurrentStateCodec.decode(trailing))
                .hasMessage("recurrent state: expected " + good.length + " bytes, got " + (good.length + 3)
                        + " (3 trailing)");
    }

    @Test
    void aHugeDeclaredShapeFailsBeforeAllocating() {
        byte[] hostile = RecurrentStateCodec.encode(FINGERPRINT, List.of(Tensor.zeros(1, 1, 1)));
        ByteBuffer.wrap(hostile).putInt(39, Integer.MAX_VALUE).putInt(43, Integer.MAX_VALUE);
        assertThatThrownBy(() -> RecurrentStateCodec.decode(hostile)).isInstanceOf(IOException.class)
                .hasMessageContaining("more values than the");
        // A stream has no length: the caller's bound applies.
        byte[] big = RecurrentStateCodec.encode(FINGERPRINT, List.of(Tensor.zeros(3, 1, 128)));
        assertThatThrownBy(() -> RecurrentStateCodec.read(new DataInputStream(new ByteArrayInputStream(big)), 100))
                .hasMessageContaining("declares shape at least [3, 1, 128]: more values than the 100 that can remain");
        assertThatThrownBy(() -> RecurrentStateCodec.read(new DataInputStream(new ByteArrayInputStream(
                Arrays.copyOf(big, 60))), 1000)).isInstanceOf(EOFException.class);
    }

    @Test
    void writingRefusesWhatTheFormatCannotHold() {
        List<Tensor> one = List.of(Tensor.zeros(1));
        assertThatThrownBy(() -> RecurrentStateCodec.encode(new byte[31], one))
                .hasMessage("a model fingerprint is 32 bytes (SHA-256), got 31");
        assertThatThrownBy(() -> RecurrentStateCodec.encode(FINGERPRINT, List.of()))
                .hasMessage("a state holds 1 to 255 tensors, got 0");
        assertThatThrownBy(() -> RecurrentStateCodec.encode(FINGERPRINT, List.of(Tensor.zeros(1, 1, 1, 1, 1, 1, 1, 1, 1))))
                .hasMessage("state tensor 0 has rank at most 8, got 9");
    }

    private static int[] rawBits(Tensor t) {
        int[] bits = new int[t.numel()];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = Float.floatToRawIntBits(t.data()[i]);
        }
        return bits;
    }
}
