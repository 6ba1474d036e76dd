package org.lstm4j.flink.state;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.lstm4j.io.RecurrentStateCodec;

/**
 * What a checkpoint records about {@link KeyStateSerializer}: one schema byte, the
 * {@link RecurrentStateCodec#FORMAT_VERSION} the states were written in. On restore, the same
 * schema is compatible as is; any other is refused (this serializer reads one format), so a job
 * never reads states it does not understand.
 */
public final class KeyStateSerializerSnapshot implements TypeSerializerSnapshot<KeyState> {
    private static final int SNAPSHOT_VERSION = 1;

    private int schema = RecurrentStateCodec.FORMAT_VERSION;

    /** Flink instantiates snapshots reflectively, then calls {@link #readSnapshot}. */
    public KeyStateSerializerSnapshot() {
    }

    @Override
    public int getCurrentVersion() {
        return SNAPSHOT_VERSION;
    }

    @Override
    public void writeSnapshot(DataOutputView out) throws IOException {
        out.writeByte(schema);
    }

    @Override
    public void readSnapshot(int readVersion, DataInputView in, ClassLoader userCodeClassLoader) throws IOException {
        if (readVersion != SNAPSHOT_VERSION) {
            throw new IOException("KeyStateSerializerSnapshot: expected snapshot version " + SNAPSHOT_VERSION + ", got "
                    + readVersion);
        }
        schema = in.readUnsignedByte();
    }

    @Override
    public TypeSerializer<KeyState> restoreSerializer() {
        if (schema != RecurrentStateCodec.FORMAT_VERSION) {
            throw new IllegalStateException("key states were written in recurrent state format " + schema
                    + "; this lstm4j reads format " + RecurrentStateCodec.FORMAT_VERSION);
        }
        return KeyStateSerializer.INSTANCE;
    }

    @Override
    public TypeSerializerSchemaCompatibility<KeyState> resolveSchemaCompatibility(
            TypeSerializerSnapshot<KeyState> oldSerializerSnapshot) {
        if (oldSerializerSnapshot instanceof KeyStateSerializerSnapshot old
                && old.schema == RecurrentStateCodec.FORMAT_VERSION) {
            return TypeSerializerSchemaCompatibility.compatibleAsIs();
        }
        return TypeSerializerSchemaCompatibility.incompatible();
    }
}
