package org.lstm4j.flink.state;

import java.io.IOException;
import java.util.List;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.lstm4j.io.RecurrentStateCodec;
import org.lstm4j.nn.RecurrentState;
import org.lstm4j.tensor.Tensor;

/**
 * Flink's serializer for {@link KeyState}, so keyed state never falls back to Kryo. One key's
 * bytes: {@code int64 lastSeq}, then the state in {@link RecurrentStateCodec}'s format (which
 * carries the model fingerprint and the format version). For an LSTM of L layers, H_out and
 * H_cell that is 8 + 38 + 2·(1 + 12) + 4·L·(H_out + H_cell) bytes; for a GRU or RNN (h only)
 * 8 + 38 + 13 + 4·L·H.
 *
 * <p>Stateless, so {@link #duplicate()} returns this instance.
 */
public final class KeyStateSerializer extends TypeSerializer<KeyState> {
    private static final long serialVersionUID = 1L;

    /** The serializer every operator and function of this module uses. */
    public static final KeyStateSerializer INSTANCE = new KeyStateSerializer();

    /**
     * The most floats one key's state may declare (2^26, 256 MiB): Flink's input views have no
     * length, so this bounds what a corrupt state can make us allocate.
     */
    static final long MAX_FLOATS = 1L << 26;

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TypeSerializer<KeyState> duplicate() {
        return this;
    }

    /** A state of no model (a zero fingerprint) with empty tensors; operators never store it. */
    @Override
    public KeyState createInstance() {
        return new KeyState(new byte[RecurrentStateCodec.FINGERPRINT_BYTES], KeyState.NO_SEQ,
                RecurrentState.of(List.of(Tensor.zeros(0, 1, 0))));
    }

    @Override
    public KeyState copy(KeyState from) {
        return from.copy();
    }

    @Override
    public KeyState copy(KeyState from, KeyState reuse) {
        return from.copy();
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(KeyState record, DataOutputView target) throws IOException {
        target.writeLong(record.lastSeq());
        RecurrentStateCodec.write(target, record.modelFingerprint(), record.state().tensors());
    }

    @Override
    public KeyState deserialize(DataInputView source) throws IOException {
        long lastSeq = source.readLong();
        RecurrentStateCodec.Decoded decoded = RecurrentStateCodec.read(source, MAX_FLOATS);
        try {
            return new KeyState(decoded.fingerprint(), lastSeq, RecurrentState.of(decoded.tensors()));
        } catch (IllegalArgumentException e) {
            throw new IOException("stored key state is not a recurrent state: " + e.getMessage(), e);
        }
    }

    @Override
    public KeyState deserialize(KeyState reuse, DataInputView source) throws IOException {
        return deserialize(source);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        serialize(deserialize(source), target);
    }

    @Override
    public boolean equals(Object obj) {
        return obj instanceof KeyStateSerializer;
    }

    @Override
    public int hashCode() {
        return KeyStateSerializer.class.hashCode();
    }

    @Override
    public TypeSerializerSnapshot<KeyState> snapshotConfiguration() {
        return new KeyStateSerializerSnapshot();
    }
}
