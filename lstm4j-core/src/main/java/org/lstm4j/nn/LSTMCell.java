package org.lstm4j.nn;

import java.util.SplittableRandom;
import org.lstm4j.math.LSTMCellMath;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.nn.LSTMCell}: one step of one LSTM layer.
 *
 * <pre>{@code
 * LSTMCell cell = new LSTMCell(10, 20, true, 42);
 * LSTMCell.State s = cell.forward(Tensor.randn(0, 3, 10), null, null);  // h, c: (3, 20)
 * s = cell.forward(Tensor.randn(1, 3, 10), s.h(), s.c());
 * }</pre>
 *
 * Parameters: {@code weight_ih} (4·hiddenSize, inputSize), {@code weight_hh} (4·hiddenSize,
 * hiddenSize), {@code bias_ih}, {@code bias_hh} (4·hiddenSize), gate rows ordered i, f, g, o.
 * Input (N, inputSize) or unbatched (inputSize); h and c (N, hiddenSize) or (hiddenSize).
 */
public final class LSTMCell extends RNNCellBase {

    /** The new hidden and cell state, PyTorch's {@code (h_1, c_1)}. */
    public record State(Tensor h, Tensor c) {
    }

    /** {@code torch.nn.LSTMCell(inputSize, hiddenSize)} with a random seed. */
    public LSTMCell(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, true, new SplittableRandom().nextLong());
    }

    /** Parameters drawn from U(-1/√hiddenSize, 1/√hiddenSize) in state-dict order from {@code seed}. */
    public LSTMCell(int inputSize, int hiddenSize, boolean bias, long seed) {
        super("LSTMCell", inputSize, hiddenSize, bias, LSTMCellMath.INSTANCE, seed);
    }

    /**
     * One step. {@code h} and {@code c} are given together or both null (zeros).
     *
     * @throws IllegalArgumentException on shapes PyTorch rejects, worded as PyTorch
     */
    public State forward(Tensor input, Tensor h, Tensor c) {
        if ((h == null) != (c == null)) {
            throw new IllegalArgumentException("h and c must be given together, got h "
                    + (h == null ? "null" : h.shapeString()) + " and c " + (c == null ? "null" : c.shapeString()));
        }
        float[][] next = step(input, h, c);
        int[] shape = stateShape(input);
        return new State(Tensor.of(next[0], shape), Tensor.of(next[1], shape));
    }

    /** {@link Module#train()}, typed: returns this LSTMCell. */
    @Override
    public LSTMCell train() {
        super.train();
        return this;
    }

    /** {@link Module#eval()}, typed. */
    @Override
    public LSTMCell eval() {
        super.eval();
        return this;
    }
}
