package org.lstm4j.nn;

import java.util.SplittableRandom;
import org.lstm4j.math.GRUCellMath;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.nn.GRUCell}: one step of one GRU layer, gates r, z, n as {@link GRU}.
 *
 * <pre>{@code
 * GRUCell cell = new GRUCell(10, 20, true, 42);
 * Tensor h = cell.forward(Tensor.randn(0, 3, 10));      // h': (3, 20), from h = 0
 * h = cell.forward(Tensor.randn(1, 3, 10), h);
 * }</pre>
 *
 * Parameters: {@code weight_ih} (3·hiddenSize, inputSize), {@code weight_hh} (3·hiddenSize,
 * hiddenSize), {@code bias_ih}, {@code bias_hh} (3·hiddenSize). Input (N, inputSize) or unbatched
 * (inputSize); h (N, hiddenSize) or (hiddenSize).
 */
public final class GRUCell extends RNNCellBase {

    /** {@code torch.nn.GRUCell(inputSize, hiddenSize)} with a random seed. */
    public GRUCell(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, true, new SplittableRandom().nextLong());
    }

    /** Parameters drawn from U(-1/√hiddenSize, 1/√hiddenSize) in state-dict order from {@code seed}. */
    public GRUCell(int inputSize, int hiddenSize, boolean bias, long seed) {
        super("GRUCell", inputSize, hiddenSize, bias, GRUCellMath.INSTANCE, seed);
    }

    /** {@code forward(input, null)}: from h = 0. */
    public Tensor forward(Tensor input) {
        return forward(input, null);
    }

    /**
     * One step from {@code hx}, or from zeros when it is null: PyTorch's {@code h' = cell(input, hx)}.
     *
     * @throws IllegalArgumentException on shapes PyTorch rejects, worded as PyTorch
     */
    public Tensor forward(Tensor input, Tensor hx) {
        return Tensor.of(step(input, hx, null)[0], stateShape(input));
    }

    /** {@link Module#train()}, typed: returns this GRUCell. */
    @Override
    public GRUCell train() {
        super.train();
        return this;
    }

    /** {@link Module#eval()}, typed. */
    @Override
    public GRUCell eval() {
        super.eval();
        return this;
    }
}
