package org.lstm4j.flink;

import java.util.Arrays;
import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;

/**
 * The LSTM's answer to one event: the last layer's h_t (D·H_out floats) for (key, seq), and the
 * fingerprint (64 hex digits, {@code LSTM.fingerprint()}) of the model that computed it, so a
 * model swap is visible in the output.
 */
public record Scored(String key, long seq, String model, float[] output) {
    /** Flink's type for scored events. */
    public static final TypeInformation<Scored> TYPE = TypeInformation.of(Scored.class);


    /**
     * {@code key,seq,y0,...}: each float printed by {@link Float#toString}, which parses back to
     * the same float. Keys are written as given (they come from a CSV field, so hold no comma).
     */
    public String toCsv() {
        StringBuilder line = new StringBuilder(key.length() + 12 + 14 * output.length).append(key).append(',').append(seq);
        for (float v : output) {
            line.append(',').append(v);
        }
        return line.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Scored s && key.equals(s.key) && seq == s.seq && model.equals(s.model)
                && Arrays.equals(output, s.output);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, seq, model) * 31 + Arrays.hashCode(output);
    }

    @Override
    public String toString() {
        return "Scored(" + key + ", " + seq + ", model " + model.substring(0, Math.min(12, model.length())) + ", "
                + output.length + " outputs)";
    }
}
