package org.lstm4j.nn;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.lstm4j.internal.TensorData;
import org.lstm4j.tensor.Tensor;

/**
 * The recurrent state of a unidirectional {@link RNNBase} for N independent streams, carried from
 * one call to the next in the layout of {@code hN} (and an LSTM's {@code cN}): an
 * {@link LSTMState} (h, c) for an LSTM, a {@link HiddenState} (h) for a GRU or RNN. One
 * {@link InferenceSession} steps either; a store that keeps states per key (a server, a stream
 * processor) encodes any of them as {@link #tensors()} and rebuilds it with {@link #of}.
 *
 * <pre>{@code
 * RecurrentState state = gru.zeroState(1);           // or lstm.zeroState(1)
 * session.step(x, state);                              // updated in place
 * List<Tensor> parts = state.tensors();                // [h] or [h, c]: write them out
 * RecurrentState back = RecurrentState.of(parts);      // equal to state
 * }</pre>
 */
public sealed interface RecurrentState permits LSTMState, HiddenState {

    /** h (numLayers, N, H_out), live: in-place updates by a session are visible here. */
    Tensor h();

    /** The state's tensors in a fixed order, live: [h] for a {@link HiddenState}, [h, c] for an {@link LSTMState}. */
    List<Tensor> tensors();

    /** N, the number of streams. */
    default int batchSize() {
        return h().size(1);
    }

    /** A deep copy. */
    RecurrentState copy();

    /** Zeros stream {@code b}'s state (a new session for one entity), leaving the others alone. */
    default void reset(int b) {
        Objects.checkIndex(b, batchSize());
        for (Tensor t : tensors()) {
            int layers = t.size(0);
            int batch = t.size(1);
            int width = t.size(2);
            for (int l = 0; l < layers; l++) {
                Arrays.fill(TensorData.array(t), (l * batch + b) * width, (l * batch + b + 1) * width, 0f);
            }
        }
    }

    /**
     * The state made of {@code tensors} (wrapped, not copied), as {@link #tensors()} lists them:
     * one tensor is a {@link HiddenState}, two an {@link LSTMState}.
     *
     * @throws IllegalArgumentException for any other count or shapes that do not fit together
     */
    static RecurrentState of(List<Tensor> tensors) {
        Objects.requireNonNull(tensors, "tensors");
        return switch (tensors.size()) {
            case 1 -> new HiddenState(tensors.get(0));
            case 2 -> new LSTMState(tensors.get(0), tensors.get(1));
            default -> throw new IllegalArgumentException("Expected 1 tensor (h) or 2 tensors (h, c) for a recurrent"
                    + " state, got " + tensors.size());
        };
    }

    /** Zeros for {@code batch} streams of a module with this configuration: LSTMState or HiddenState by its mode. */
    static RecurrentState zeros(RNNBase.Config config, int batch) {
        Objects.requireNonNull(config, "config");
        return config instanceof LSTM.Config c ? LSTMState.zeros(c, batch) : HiddenState.zeros(config, batch);
    }
}
