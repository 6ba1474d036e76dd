package org.lstm4j.flink.model;

import java.util.HexFormat;
import org.lstm4j.nn.LSTM;

/**
 * A model ready to step: the LSTM (evaluation mode, shared read-only by every subtask of the JVM),
 * the SHA-256 of its file, and its {@link LSTM#fingerprint()}, which tags every key state it
 * produces.
 */
public record LoadedModel(LSTM lstm, String fileSha256, byte[] fingerprint) {
    /** The fingerprint as 64 hex digits, as it appears in {@link org.lstm4j.flink.Scored#model()}. */
    public String fingerprintHex() {
        return HexFormat.of().formatHex(fingerprint);
    }

    /** H_in: the features one event must carry. */
    public int inputSize() {
        return lstm.config().inputSize();
    }
}
