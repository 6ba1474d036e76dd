package org.lstm4j.nn;

import org.lstm4j.autograd.Autograd;
import org.lstm4j.autograd.Variable;
import org.lstm4j.math.LayerPanels;
import org.lstm4j.nn.PackedVariable;
import org.lstm4j.tensor.Precision;
import org.lstm4j.tensor.Tensor;

/**
 * The public forward API of the recurrent layers whose whole state is h — {@link GRU} and
 * {@link RNN}: PyTorch's {@code output, h_n = module(input, h_0)}, where hx is one tensor
 * (an LSTM's is the pair (h, c)). Everything else is {@link RNNBase}'s.
 *
 * <pre>{@code
 * GRU gru = new GRU(10, 20, 2);                   // torch.nn.GRU(10, 20, 2)
 * Tensor input = Tensor.randn(0, 5, 3, 10);       // (L=5, N=3, H_in=10)
 * Tensor h0 = Tensor.randn(1, 2, 3, 20);          // (num_layers=2, N=3, H_out=20)
 * GRU.Output out = gru.forward(input, h0);        // output (5, 3, 20), hN (2, 3, 20)
 * }</pre>
 */
public abstract sealed class HiddenStateRNN extends RNNBase permits GRU, RNN {

    /** The result of a forward pass: PyTorch's {@code output, h_n}. */
    public record Output(Tensor output, Tensor hN) {
    }

    /**
     * The result of a forward pass over a {@link PackedSequence}: packed output (same batchSizes
     * and indices as the input, data (R, D·H_out)); hN in the caller's original batch order.
     */
    public record PackedOutput(PackedSequence output, Tensor hN) {
    }

    /** {@link Output} on the autograd tape: gradients flow back from either. */
    public record VariableOutput(Variable output, Variable hN) {
    }

    /** {@link PackedOutput} on the autograd tape. */
    public record PackedVariableOutput(PackedVariable output, Variable hN) {
    }

    /** One step in stream mode: the last layer's h_t, (N, H_out) or (H_out), and the new state. */
    public record StepOutput(Tensor output, HiddenState state) {
    }

    /** A forward pass that carried state: output as {@link Output#output()}, and the state after it. */
    public record StatefulOutput(Tensor output, HiddenState state) {
    }

    HiddenStateRNN(Config config, long seed) {
        super(config, seed);
    }

    HiddenStateRNN(Config config, Precision precision, LayerPanels[][] panels, LayerWeights[][] biases) {
        super(config, precision, panels, biases);
    }

    /** {@code forward(input, null)}: zero initial state. */
    public Output forward(Tensor input) {
        return forward(input, (Tensor) null);
    }

    /**
     * Runs the layer over {@code input} from {@code h0}, or from zeros when h0 is null. See
     * {@link RNNBase} for shapes.
     *
     * @throws IllegalArgumentException for any shape that PyTorch would reject, worded as PyTorch
     */
    public Output forward(Tensor input, Tensor h0) {
        Result r = run(input, h0, null, null);
        return new Output(r.output(), r.hN());
    }

    /**
     * {@link #forward(Tensor, Tensor)} on the autograd tape, for training: {@code loss.backward()}
     * then fills every parameter's {@code grad()} and the gradients of {@code input} and {@code h0}
     * where they require grad. Inside {@link Autograd#noGrad()} this is plain inference. h0 may be
     * null (zeros).
     */
    public VariableOutput forward(Variable input, Variable h0) {
        VariableResult r = runVariables(input, h0, null);
        return new VariableOutput(r.output(), r.hN());
    }

    /**
     * Runs the layer over a packed batch of variable-length sequences, as PyTorch does: each
     * sequence is read only up to its own length, the backward direction starts at each
     * sequence's own last element, and hN holds each sequence's state at its true last step.
     * {@code h0} (D·numLayers, N, H_out) is in the caller's batch order, as is hN; batchFirst does
     * not apply to packed input.
     */
    public PackedOutput forward(PackedSequence input, Tensor h0) {
        PackedResult r = runPacked(input, h0, null, null);
        return new PackedOutput(r.output(), r.hN());
    }

    /**
     * {@link #forward(PackedSequence, Tensor)} on the autograd tape: gradients reach the packed
     * data (and through {@link PackedVariable#pack} the padded input) and h0, in the caller's
     * batch order.
     */
    public PackedVariableOutput forward(PackedVariable input, Variable h0) {
        PackedVariableResult r = runPackedVariables(input, h0, null);
        return new PackedVariableOutput(r.output(), r.hN());
    }

    /** Zero state for {@code batch} independent streams, for {@link #step} and {@link #forward(Tensor, HiddenState)}. */
    public HiddenState zeroState(int batch) {
        return HiddenState.zeros(config(), batch);
    }

    /**
     * One time step in stream mode: {@code x} (N, H_in) for a state of N streams, or (H_in) for a
     * state of one. Returns the output and a new state; {@code state} is left alone. Feeding a
     * sequence one step at a time gives exactly {@link #forward(Tensor, Tensor)}'s numbers. For a
     * steady stream without allocation use an {@link InferenceSession}.
     *
     * @throws IllegalArgumentException for a bidirectional or REVERSE layer or shapes that do not fit
     * @throws IllegalStateException    in training mode with dropout (call {@code eval()})
     */
    public StepOutput step(Tensor x, HiddenState state) {
        StatefulResult r = stepFrom(x, state);
        return new StepOutput(r.output(), (HiddenState) r.state());
    }

    /**
     * {@link #forward(Tensor, Tensor)} starting from {@code state} and returning the state after
     * the last step, so a long sequence can be fed in chunks: any chunking gives the same outputs
     * and final state as one call. Forward layers only (not bidirectional or REVERSE); input (L, N, H_in), (N, L, H_in)
     * with batchFirst, or unbatched (L, H_in) with a state of one stream.
     */
    public StatefulOutput forward(Tensor input, HiddenState state) {
        StatefulResult r = runFrom(input, state);
        return new StatefulOutput(r.output(), (HiddenState) r.state());
    }
}
