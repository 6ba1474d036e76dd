package org.lstm4j.io;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.lstm4j.tensor.Tensor;

/**
 * A versioned binary format for one recurrent state — an ordered list of state tensors (an LSTM's
 * h and c, a GRU's or RNN's h) — tagged with the fingerprint of the model that produced it, so a
 * state saved for one model is never fed to another by mistake. Stream processors keep one such
 * state per key (lstm4j-flink stores it in Flink's keyed state).
 *
 * <pre>{@code
 * byte[] bytes = RecurrentStateCodec.encode(lstm.fingerprint(), state.tensors());
 * RecurrentStateCodec.Decoded d = RecurrentStateCodec.decode(bytes);
 * LSTMState again = LSTMState.of(d.tensors());   // bit-identical
 * }</pre>
 *
 * <h2>Layout (format version 1)</h2>
 * Every number is big-endian, the byte order of {@link DataOutput}:
 * <pre>
 *   magic            4 bytes  'L' '4' 'J' 'S'
 *   format version   u8       1
 *   fingerprint      32 bytes SHA-256 of the model (e.g. LSTM.fingerprint())
 *   tensor count     u8       1..255
 *   per tensor:
 *     rank           u8       0..8
 *     shape          rank × int32, each ≥ 0
 *     values         numel × int32: the raw IEEE-754 bits of each float (NaN payloads and -0.0 kept)
 * </pre>
 * Reading is strict: a wrong magic, an unknown version, a count or rank out of range, a negative
 * dimension, a size larger than the input can hold (checked before allocating) or trailing bytes
 * are an {@link IOException} saying what was expected and what was found.
 */
public final class RecurrentStateCodec {
    /** The version this class writes and the only one it reads. */
    public static final int FORMAT_VERSION = 1;
    /** Length of the model fingerprint (a SHA-256). */
    public static final int FINGERPRINT_BYTES = 32;
    /** Most tensors in one state. */
    public static final int MAX_TENSORS = 255;
    /** Highest tensor rank. */
    public static final int MAX_RANK = 8;

    private static final byte[] MAGIC = {'L', '4', 'J', 'S'};

    /** A decoded state: the producing model's fingerprint and the tensors, in the order written. */
    public record Decoded(byte[] fingerprint, List<Tensor> tensors) {
        public Decoded {
            fingerprint = fingerprint.clone();
            tensors = List.copyOf(tensors);
        }

        @Override
        public byte[] fingerprint() {
            return fingerprint.clone();
        }
    }

    private RecurrentStateCodec() {
    }

    /** The number of bytes {@link #write} produces for {@code tensors}. */
    public static long encodedSize(List<Tensor> tensors) {
        long size = MAGIC.length + 1 + FINGERPRINT_BYTES + 1;
        for (Tensor t : tensors) {
            size += 1 + 4L * t.dim() + 4L * t.numel();
        }
        return size;
    }

    /**
     * Writes {@code fingerprint} and {@code tensors} in the layout above.
     *
     * @throws IllegalArgumentException if the fingerprint is not 32 bytes, or there are no
     *                                  tensors, more than 255, or one of rank above 8
     */
    public static void write(DataOutput out, byte[] fingerprint, List<Tensor> tensors) throws IOException {
        Objects.requireNonNull(out, "out");
        checkFingerprint(fingerprint);
        Objects.requireNonNull(tensors, "tensors");
        if (tensors.isEmpty() || tensors.size() > MAX_TENSORS) {
            throw new IllegalArgumentException("a state holds 1 to " + MAX_TENSORS + " tensors, got " + tensors.size());
        }
        out.write(MAGIC);
        out.writeByte(FORMAT_VERSION);
        out.write(fingerprint);
        out.writeByte(tensors.size());
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = Objects.requireNonNull(tensors.get(i), "tensors[" + i + "]");
            if (t.dim() > MAX_RANK) {
                throw new IllegalArgumentException("state tensor " + i + " has rank at most " + MAX_RANK + ", got "
                        + t.dim());
            }
            out.writeByte(t.dim());
            for (int d : t.shape()) {
                out.writeInt(d);
            }
            float[] data = t.data();
            ByteBuffer bits = ByteBuffer.allocate(4 * data.length).order(ByteOrder.BIG_ENDIAN);
            for (float v : data) {
                bits.putInt(Float.floatToRawIntBits(v));
            }
            out.write(bits.array());
        }
    }

    /**
     * Reads one state written by {@link #write}. {@code maxFloats} bounds the values of all tensors
     * together, checked against each declared shape before anything is allocated: pass what the
     * caller's model can need (a stream without a length gives no other bound).
     *
     * @throws IOException for a malformed state, an end of input inside it, or more values than
     *                     {@code maxFloats}
     */
    public static Decoded read(DataInput in, long maxFloats) throws IOException {
        Objects.requireNonNull(in, "in");
        byte[] magic = new byte[MAGIC.length];
        in.readFully(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IOException("not an lstm4j recurrent state: expected magic " + HexFormat.of().formatHex(MAGIC)
                    + " ('L4JS'), got " + HexFormat.of().formatHex(magic));
        }
        int version = in.readUnsignedByte();
        if (version != FORMAT_VERSION) {
            throw new IOException("unsupported recurrent state format version: expected " + FORMAT_VERSION + ", got "
                    + version);
        }
        byte[] fingerprint = new byte[FINGERPRINT_BYTES];
        in.readFully(fingerprint);
        int count = in.readUnsignedByte();
        if (count == 0) {
            throw new IOException("recurrent state: expected 1 to " + MAX_TENSORS + " tensors, got 0");
        }
        List<Tensor> tensors = new ArrayList<>(count);
        // One tensor's bits go through one byte array: at most (2^31 - 9) / 4 values.
        long limit = Math.min(maxFloats, (Integer.MAX_VALUE - 8) / 4);
        long budget = limit;
        for (int i = 0; i < count; i++) {
            int rank = in.readUnsignedByte();
            if (rank > MAX_RANK) {
                throw new IOException("recurrent state tensor " + i + ": expected rank 0 to " + MAX_RANK + ", got "
                        + rank);
            }
            int[] shape = new int[rank];
            long numel = 1;
            for (int d = 0; d < rank; d++) {
                shape[d] = in.readInt();
                if (shape[d] < 0) {
                    throw new IOException("recurrent state tensor " + i + ": expected dimensions >= 0, got shape "
                            + Arrays.toString(Arrays.copyOf(shape, d + 1)));
                }
                numel *= shape[d];
                if (numel > budget) {
                    throw new IOException("recurrent state tensor " + i + " declares shape at least "
                            + Arrays.toString(Arrays.copyOf(shape, d + 1)) + ": more values than the " + budget
                            + " that can remain (" + limit + " in all)");
                }
            }
            budget -= numel;
            byte[] bits = new byte[Math.toIntExact(4 * numel)];
            in.readFully(bits);
            float[] data = new float[(int) numel];
            ByteBuffer.wrap(bits).order(ByteOrder.BIG_ENDIAN).asFloatBuffer().get(data);
            tensors.add(Tensor.of(data, shape));
        }
        return new Decoded(fingerprint, tensors);
    }

    /** {@link #write} into a new array. */
    public static byte[] encode(byte[] fingerprint, List<Tensor> tensors) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8,
                encodedSize(tensors)));
        try {
            write(new DataOutputStream(bytes), fingerprint, tensors);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // ByteArrayOutputStream does not throw
        }
        return bytes.toByteArray();
    }

    /**
     * Reads a state that fills exactly {@code bytes}: declared sizes are checked against the
     * array's length before allocating, and bytes left over are an error.
     */
    public static Decoded decode(byte[] bytes) throws IOException {
        ByteArrayInputStream in = new ByteArrayInputStream(bytes);
        Decoded decoded;
        try {
            decoded = read(new DataInputStream(in), bytes.length / 4);
        } catch (EOFException e) {
            throw new IOException("recurrent state ends early: " + bytes.length + " bytes are not a whole state", e);
        }
        if (in.available() != 0) {
            throw new IOException("recurrent state: expected " + (bytes.length - in.available()) + " bytes, got "
                    + bytes.length + " (" + in.available() + " trailing)");
        }
        return decoded;
    }

    private static void checkFingerprint(byte[] fingerprint) {
        Objects.requireNonNull(fingerprint, "fingerprint");
        if (fingerprint.length != FINGERPRINT_BYTES) {
            throw new IllegalArgumentException("a model fingerprint is " + FINGERPRINT_BYTES + " bytes (SHA-256), got "
                    + fingerprint.length);
        }
    }
}
