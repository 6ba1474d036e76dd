package org.lstm4j.flink.model;

import java.util.HexFormat;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.nn.RecurrentState;

/**
 * A model ready to step: the recurrent module — LSTM, GRU or RNN — in evaluation mode, shared
 * read-only by every subtask of the JVM; the SHA-256 of its file; and its
 * {@link RNNBase#fingerprint()}, which tags every key state it produces.
 */
public record LoadedModel(RNNBase module, String fileSha256, byte[] fingerprint) {
    /** The fingerprint as 64 hex digits, as it appears in {@link org.lstm4j.flink.Scored#model()}. */
    public String fingerprintHex() {
        return HexFormat.of().formatHex(fingerprint);
    }

    /** H_in: the features one event must carry. */
    public int inputSize() {
        return module.config().inputSize();
    }

    /** The state of one new stream: zeros, an LSTMState (h, c) or a HiddenState (h). */
    public RecurrentState zeroState() {
        return RecurrentState.zeros(module.config(), 1);
    }
}
