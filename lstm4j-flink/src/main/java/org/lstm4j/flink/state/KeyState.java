package org.lstm4j.flink.state;

import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.lstm4j.nn.RecurrentState;

/**
 * What the job keeps per key in Flink's keyed state: the recurrent state of one stream (numLayers, 1,
 * ·), the fingerprint of the model that produced it, and the last seq applied (events at or below
 * it are duplicates or replays). Mutable: operators step {@link #state()} in place and write the
 * object back.
 */
public final class KeyState {
    /** The last seq of a key that has seen no event yet. */
    public static final long NO_SEQ = -1;

    /** The name of the keyed state the operators keep. */
    public static final String STATE_NAME = "lstm4j-key-state";

    private byte[] modelFingerprint;
    private long lastSeq;
    private RecurrentState state;

    public KeyState(byte[] modelFingerprint, long lastSeq, RecurrentState state) {
        this.modelFingerprint = Objects.requireNonNull(modelFingerprint, "modelFingerprint");
        this.lastSeq = lastSeq;
        this.state = Objects.requireNonNull(state, "state");
    }

    /**
     * The keyed state's descriptor, typed by {@link KeyStateSerializer}; with {@code idleTtl} above
     * zero a key untouched that long is dropped (it starts again from zeros and seq checks).
     */
    public static ValueStateDescriptor<KeyState> descriptor(Duration idleTtl) {
        ValueStateDescriptor<KeyState> descriptor = new ValueStateDescriptor<>(STATE_NAME, KeyStateSerializer.INSTANCE);
        if (idleTtl.compareTo(Duration.ZERO) > 0) {
            descriptor.enableTimeToLive(StateTtlConfig.newBuilder(idleTtl)
                    .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                    .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                    .build());
        }
        return descriptor;
    }

    public byte[] modelFingerprint() {
        return modelFingerprint;
    }

    public long lastSeq() {
        return lastSeq;
    }

    /** (numLayers, 1, H_out) and (numLayers, 1, H_cell), live. */
    public RecurrentState state() {
        return state;
    }

    public void setLastSeq(long lastSeq) {
        this.lastSeq = lastSeq;
    }

    /** Tags the state with another model (after a swap), keeping or replacing its tensors. */
    public void switchModel(byte[] modelFingerprint, RecurrentState state) {
        this.modelFingerprint = Objects.requireNonNull(modelFingerprint, "modelFingerprint");
        this.state = Objects.requireNonNull(state, "state");
    }

    /** A deep copy: no array is shared. */
    public KeyState copy() {
        return new KeyState(modelFingerprint.clone(), lastSeq, state.copy());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyState k && lastSeq == k.lastSeq && Arrays.equals(modelFingerprint, k.modelFingerprint)
                && state.equals(k.state);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(modelFingerprint) + Long.hashCode(lastSeq)) + state.hashCode();
    }

    @Override
    public String toString() {
        return "KeyState(model " + HexFormat.of().formatHex(modelFingerprint, 0, 6) + "…, lastSeq " + lastSeq + ", "
                + state + ")";
    }
}
