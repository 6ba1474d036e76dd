package org.lstm4j.nn;

import java.util.List;
import java.util.Objects;
import org.lstm4j.tensor.Tensor;

/**
 * The recurrent state of a unidirectional {@link LSTM} for N independent streams, carried from
 * one call to the next: h (numLayers, N, H_out) and c (numLayers, N, H_cell), the layout of
 * {@code hN} / {@code cN}.
 *
 * <pre>{@code
 * LSTMState state = lstm.zeroState(1);
 * for (Tensor event : events) {                       // each (1, H_in)
 *     LSTM.StepOutput out = lstm.step(event, state);  // out.output(): (1, H_out)
 *     state = out.state();
 * }
 * }</pre>
 *
 * <p>{@link LSTM#step} and {@link LSTM#forward(Tensor, LSTMState)} return a new state and leave
 * this one alone; {@link InferenceSession#step} updates it in place, so a server can keep one
 * state per entity and step it without allocating. A GRU's or RNN's state is a
 * {@link HiddenState}; both are {@link RecurrentState}s.
 */
public final class LSTMState implements RecurrentState {
    private final Tensor h;
    private final Tensor c;

    /**
     * Wraps (no copy) h (numLayers, N, H_out) and c (numLayers, N, H_cell).
     *
     * @throws IllegalArgumentException unless both are 3-D with the same numLayers and N
     */
    public LSTMState(Tensor h, Tensor c) {
        this.h = Objects.requireNonNull(h, "h");
        this.c = Objects.requireNonNull(c, "c");
        if (h.dim() != 3 || c.dim() != 3 || h.size(0) != c.size(0) || h.size(1) != c.size(1)) {
            throw new IllegalArgumentException("LSTMState needs h (num_layers, N, H_out) and c (num_layers, N, H_cell)"
                    + " with the same num_layers and N, got h " + h.shapeString() + " and c " + c.shapeString());
        }
    }

    /**
     * The state from its tensors in {@link #tensors()}'s order, [h, c] (no copy), e.g. as
     * {@link org.lstm4j.io.RecurrentStateCodec} decoded them.
     *
     * @throws IllegalArgumentException unless there are exactly two that fit together
     */
    public static LSTMState of(List<Tensor> tensors) {
        if (tensors.size() != 2) {
            throw new IllegalArgumentException("an LSTM state is 2 tensors (h, c), got " + tensors.size());
        }
        return new LSTMState(tensors.get(0), tensors.get(1));
    }

    /** Zeros for {@code batch} streams (0 or more) of an LSTM with this configuration. */
    public static LSTMState zeros(LSTM.Config config, int batch) {
        if (batch < 0) {
            throw new IllegalArgumentException("batch must not be negative, got " + batch);
        }
        return new LSTMState(Tensor.zeros(config.numLayers(), batch, config.outputSize()),
                Tensor.zeros(config.numLayers(), batch, config.hiddenSize()));
    }

    /** (numLayers, N, H_out), live: in-place updates by a session are visible here. */
    @Override
    public Tensor h() {
        return h;
    }

    /** (numLayers, N, H_cell), live. */
    public Tensor c() {
        return c;
    }

    /** [h, c], live: the list {@link org.lstm4j.io.RecurrentStateCodec} writes. */
    @Override
    public List<Tensor> tensors() {
        return List.of(h, c);
    }

    @Override
    public LSTMState copy() {
        return new LSTMState(h.copy(), c.copy());
    }

    /** Equal shapes and bit-identical values. */
    @Override
    public boolean equals(Object o) {
        return o instanceof LSTMState s && h.equals(s.h) && c.equals(s.c);
    }

    @Override
    public int hashCode() {
        return 31 * h.hashCode() + c.hashCode();
    }

    @Override
    public String toString() {
        return "LSTMState(h=" + h + ", c=" + c + ")";
    }
}
