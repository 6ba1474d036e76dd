package org.lstm4j.nn;

import java.util.List;
import java.util.Objects;
import org.lstm4j.tensor.Tensor;

/**
 * The recurrent state of a unidirectional {@link GRU} or {@link RNN} for N independent streams,
 * carried from one call to the next: h (numLayers, N, H_out), the layout of {@code hN}.
 *
 * <pre>{@code
 * HiddenState state = gru.zeroState(1);
 * for (Tensor event : events) {                      // each (1, H_in)
 *     GRU.StepOutput out = gru.step(event, state);   // out.output(): (1, H_out)
 *     state = out.state();
 * }
 * }</pre>
 *
 * <p>{@code step} and {@code forward(input, state)} return a new state and leave this one alone;
 * {@link InferenceSession#step} updates it in place, so a server can keep one state per entity and
 * step it without allocating.
 */
public final class HiddenState implements RecurrentState {
    private final Tensor h;

    /**
     * Wraps (no copy) h (numLayers, N, H_out).
     *
     * @throws IllegalArgumentException unless h is 3-D
     */
    public HiddenState(Tensor h) {
        this.h = Objects.requireNonNull(h, "h");
        if (h.dim() != 3) {
            throw new IllegalArgumentException("HiddenState needs h (num_layers, N, H_out), got h " + h.shapeString());
        }
    }

    /** Zeros for {@code batch} streams (0 or more) of a GRU or RNN with this configuration. */
    public static HiddenState zeros(RNNBase.Config config, int batch) {
        if (config.mode().hasCellState()) {
            throw new IllegalArgumentException("an LSTM's state is (h, c): use LSTMState.zeros, got a "
                    + config.mode() + " configuration");
        }
        if (batch < 0) {
            throw new IllegalArgumentException("batch must not be negative, got " + batch);
        }
        return new HiddenState(Tensor.zeros(config.numLayers(), batch, config.outputSize()));
    }

    @Override
    public Tensor h() {
        return h;
    }

    /** [h]. */
    @Override
    public List<Tensor> tensors() {
        return List.of(h);
    }

    @Override
    public HiddenState copy() {
        return new HiddenState(h.copy());
    }

    /** Equal shapes and bit-identical values. */
    @Override
    public boolean equals(Object o) {
        return o instanceof HiddenState s && h.equals(s.h);
    }

    @Override
    public int hashCode() {
        return h.hashCode();
    }

    @Override
    public String toString() {
        return "HiddenState(h=" + h + ")";
    }
}
