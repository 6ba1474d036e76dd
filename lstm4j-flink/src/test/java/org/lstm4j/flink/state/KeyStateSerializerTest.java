package org.lstm4j.flink.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.java.typeutils.GenericTypeInfo;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;
import org.lstm4j.flink.Event;
import org.lstm4j.flink.ModelRef;
import org.lstm4j.flink.Rejected;
import org.lstm4j.flink.Scored;
import org.lstm4j.nn.LSTMState;
import org.lstm4j.tensor.Tensor;

class KeyStateSerializerTest {
    private static KeyState sample() {
        byte[] fingerprint = new byte[32];
        fingerprint[0] = 7;
        fingerprint[31] = -1;
        LSTMState state = new LSTMState(Tensor.randn(1, 3, 1, 4), Tensor.randn(2, 3, 1, 6));
        state.h().data()[0] = Float.intBitsToFloat(0x7fc00abc);
        return new KeyState(fingerprint, 41, state);
    }

    @Test
    void roundTripIsBitExactAndHasTheDocumentedSize() throws IOException {
        KeyState state = sample();
        DataOutputSerializer out = new DataOutputSerializer(64);
        KeyStateSerializer.INSTANCE.serialize(state, out);
        // 8 + 38 + 2·(1 + 12) + 4·L·(H_out + H_cell), L = 3, H_out = 4, H_cell = 6
        assertThat(out.length()).isEqualTo(8 + 38 + 26 + 4 * 3 * (4 + 6));
        KeyState back = KeyStateSerializer.INSTANCE.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(back).isEqualTo(state);
        assertThat(Float.floatToRawIntBits(back.state().h().data()[0])).isEqualTo(0x7fc00abc);

        DataOutputSerializer copied = new DataOutputSerializer(64);
        KeyStateSerializer.INSTANCE.copy(new DataInputDeserializer(out.getCopyOfBuffer()), copied);
        assertThat(copied.getCopyOfBuffer()).isEqualTo(out.getCopyOfBuffer());
    }

    @Test
    void aGruStateIsHAloneAndRoundTripsToo() throws IOException {
        KeyState state = new KeyState(new byte[32], 3, org.lstm4j.nn.RecurrentState.of(List.of(Tensor.randn(4, 2, 1, 6))));
        DataOutputSerializer out = new DataOutputSerializer(64);
        KeyStateSerializer.INSTANCE.serialize(state, out);
        assertThat(out.length()).isEqualTo(8 + 38 + 13 + 4 * 2 * 6);
        KeyState back = KeyStateSerializer.INSTANCE.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(back).isEqualTo(state);
        assertThat(back.state()).isInstanceOf(org.lstm4j.nn.HiddenState.class);
    }

    @Test
    void copyIsDeep() {
        KeyState state = sample();
        KeyState copy = KeyStateSerializer.INSTANCE.copy(state);
        assertThat(copy).isEqualTo(state);
        copy.state().tensors().get(1).data()[0] += 1;
        copy.modelFingerprint()[1] = 9;
        copy.setLastSeq(99);
        assertThat(state).isEqualTo(sample());
    }

    @Test
    void aCorruptStateIsAnIOExceptionNotAnAllocation() {
        byte[] bytes = new byte[8 + 38 + 1 + 1 + 4];
        System.arraycopy(new byte[] {'L', '4', 'J', 'S', 1}, 0, bytes, 8, 5);
        bytes[8 + 37] = 1;             // one tensor
        bytes[8 + 38] = 1;             // of rank 1
        bytes[8 + 39] = 0x7f;          // with 2^31 - 1 elements
        bytes[8 + 40] = (byte) 0xff;
        bytes[8 + 41] = (byte) 0xff;
        bytes[8 + 42] = (byte) 0xff;
        assertThatThrownBy(() -> KeyStateSerializer.INSTANCE.deserialize(new DataInputDeserializer(bytes)))
                .isInstanceOf(IOException.class).hasMessageContaining("more values than the");
    }

    @Test
    void snapshotIsVersionedAndCompatibleOnlyWithItsOwnSchema() throws IOException {
        TypeSerializerSnapshot<KeyState> snapshot = KeyStateSerializer.INSTANCE.snapshotConfiguration();
        DataOutputSerializer out = new DataOutputSerializer(16);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, snapshot);
        TypeSerializerSnapshot<KeyState> restored = TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader());
        assertThat(restored.restoreSerializer()).isSameAs(KeyStateSerializer.INSTANCE);
        TypeSerializerSchemaCompatibility<KeyState> compatibility =
                KeyStateSerializer.INSTANCE.snapshotConfiguration().resolveSchemaCompatibility(restored);
        assertThat(compatibility.isCompatibleAsIs()).isTrue();

        DataOutputSerializer future = new DataOutputSerializer(4);
        future.writeByte(2); // a later state format
        KeyStateSerializerSnapshot later = new KeyStateSerializerSnapshot();
        later.readSnapshot(1, new DataInputDeserializer(future.getCopyOfBuffer()), getClass().getClassLoader());
        assertThat(snapshot.resolveSchemaCompatibility(later).isIncompatible()).isTrue();
        assertThatThrownBy(later::restoreSerializer).hasMessageContaining("recurrent state format 2");
        assertThatThrownBy(() -> new KeyStateSerializerSnapshot().readSnapshot(2, new DataInputDeserializer(new byte[1]),
                getClass().getClassLoader())).hasMessage("KeyStateSerializerSnapshot: expected snapshot version 1, got 2");
    }

    @Test
    void everyRecordTheJobSendsIsAPojoNotAGenericKryoType() {
        for (TypeInformation<?> type : List.of(Event.TYPE, Scored.TYPE, Rejected.TYPE, ModelRef.TYPE)) {
            assertThat(type).isInstanceOf(PojoTypeInfo.class).isNotInstanceOf(GenericTypeInfo.class);
        }
    }
}
