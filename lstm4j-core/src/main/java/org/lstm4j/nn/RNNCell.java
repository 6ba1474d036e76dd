package org.lstm4j.nn;

import java.util.Objects;
import java.util.SplittableRandom;
import org.lstm4j.math.RNNCellMath;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.nn.RNNCell}: one step of one Elman RNN layer,
 * h' = tanh(W_ih x + b_ih + W_hh h + b_hh), or relu.
 *
 * <pre>{@code
 * RNNCell cell = new RNNCell(10, 20, true, "relu", 42);
 * Tensor h = cell.forward(Tensor.randn(0, 3, 10));      // h': (3, 20), from h = 0
 * h = cell.forward(Tensor.randn(1, 3, 10), h);
 * }</pre>
 *
 * Parameters: {@code weight_ih} (hiddenSize, inputSize), {@code weight_hh} (hiddenSize,
 * hiddenSize), {@code bias_ih}, {@code bias_hh} (hiddenSize). Input (N, inputSize) or unbatched
 * (inputSize); h (N, hiddenSize) or (hiddenSize).
 */
public final class RNNCell extends RNNCellBase {

    private final String nonlinearity;

    /** {@code torch.nn.RNNCell(inputSize, hiddenSize)} (tanh) with a random seed. */
    public RNNCell(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, true, "tanh", new SplittableRandom().nextLong());
    }

    /**
     * {@code torch.nn.RNNCell(inputSize, hiddenSize, bias, nonlinearity)}, parameters drawn from
     * U(-1/√hiddenSize, 1/√hiddenSize) in state-dict order from {@code seed}.
     *
     * @param nonlinearity "tanh" or "relu"
     */
    public RNNCell(int inputSize, int hiddenSize, boolean bias, String nonlinearity, long seed) {
        super("RNNCell", inputSize, hiddenSize, bias, cellMath(nonlinearity), seed);
        this.nonlinearity = nonlinearity;
    }

    private static RNNCellMath cellMath(String nonlinearity) {
        Objects.requireNonNull(nonlinearity, "nonlinearity");
        return switch (nonlinearity) {
            case "tanh" -> RNNCellMath.TANH;
            case "relu" -> RNNCellMath.RELU;
            default -> throw new IllegalArgumentException("Unknown nonlinearity: " + nonlinearity);
        };
    }

    /** "tanh" or "relu". */
    public String nonlinearity() {
        return nonlinearity;
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

    @Override
    String extraRepr() {
        return nonlinearity.equals("tanh") ? "" : ", nonlinearity=" + nonlinearity;
    }

    /** {@link Module#train()}, typed: returns this RNNCell. */
    @Override
    public RNNCell train() {
        super.train();
        return this;
    }

    /** {@link Module#eval()}, typed. */
    @Override
    public RNNCell eval() {
        super.eval();
        return this;
    }
}
