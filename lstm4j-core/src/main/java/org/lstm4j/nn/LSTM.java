package org.lstm4j.nn;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.lstm4j.autograd.Autograd;
import org.lstm4j.autograd.Variable;
import org.lstm4j.io.StateDicts;
import org.lstm4j.math.LayerPanels;
import org.lstm4j.nn.PackedVariable;
import org.lstm4j.tensor.Precision;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.nn.LSTM}: same constructor arguments, shapes, parameter names and
 * numbers. Everything shared with {@link GRU} and {@link RNN} — shapes, threading, model files —
 * is described in {@link RNNBase}; an LSTM adds its cell state c and {@code proj_size}.
 *
 * <pre>{@code
 * LSTM rnn = new LSTM(10, 20, 2);                 // torch.nn.LSTM(10, 20, 2)
 * Tensor input = Tensor.randn(0, 5, 3, 10);       // (L=5, N=3, H_in=10)
 * Tensor h0 = Tensor.randn(1, 2, 3, 20);          // (num_layers=2, N=3, H_out=20)
 * Tensor c0 = Tensor.randn(2, 2, 3, 20);
 * LSTM.Output out = rnn.forward(input, h0, c0);   // output (5, 3, 20), hN and cN (2, 3, 20)
 * }</pre>
 *
 * <h2>Shapes</h2>
 * As {@link RNNBase}, with H_cell = hiddenSize and H_out = projSize if projSize &gt; 0 else
 * hiddenSize: c0, cN are (D·numLayers, N, H_cell), or (D·numLayers, H_cell) for unbatched input.
 *
 * <h2>Training</h2>
 * The same forward on {@link Variable}s records itself on the autograd tape; {@code backward()}
 * on a loss then accumulates every parameter's {@code grad()} (and the input's, h0's and c0's
 * where they require grad). Truncated BPTT carries {@code hN().detach()} / {@code cN().detach()}
 * into the next chunk.
 * <pre>{@code
 * LSTM.VariableOutput out = rnn.forward(Variable.of(input), null, null);
 * out.output().mul(Variable.of(target)).sum().backward();   // rnn.parameters() now have grads
 * }</pre>
 */
public final class LSTM extends RNNBase {

    /**
     * The constructor arguments of {@code torch.nn.LSTM}, validated as PyTorch validates them;
     * PyTorch's {@code bidirectional} is {@code direction} here ({@link Direction} adds REVERSE).
     */
    public record Config(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst,
                         double dropout, Direction direction, int projSize) implements RNNBase.Config {

        public Config {
            Objects.requireNonNull(direction, "direction");
            checkArguments(inputSize, hiddenSize, numLayers, dropout, projSize);
        }

        /** {@code torch.nn.LSTM}'s arguments in its order, {@code bidirectional} as PyTorch has it. */
        public Config(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
                      boolean bidirectional, int projSize) {
            this(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, Direction.of(bidirectional), projSize);
        }

        /** {@code torch.nn.LSTM(inputSize, hiddenSize)} with every other argument at its default. */
        public static Config of(int inputSize, int hiddenSize) {
            return new Config(inputSize, hiddenSize, 1, true, false, 0.0, false, 0);
        }

        @Override
        public Mode mode() {
            return Mode.LSTM;
        }

        @Override
        public Config withBatchFirst(boolean value) {
            return new Config(inputSize, hiddenSize, numLayers, bias, value, dropout, direction, projSize);
        }

        @Override
        public Config withDropout(double value) {
            return new Config(inputSize, hiddenSize, numLayers, bias, batchFirst, value, direction, projSize);
        }

        /**
         * The configuration of the LSTM whose parameters are exactly {@code stateDict} (bare names
         * such as {@code weight_ih_l0}); batchFirst and dropout take PyTorch's defaults.
         *
         * @throws IllegalArgumentException naming the tensor whose name or shape does not fit, or
         *                                  saying which module the weights are if not an LSTM's
         */
        public static Config fromStateDict(Map<String, Tensor> stateDict) {
            return (Config) ConfigInference.infer(stateDict, Mode.LSTM);
        }
    }

    /** The result of a forward pass: PyTorch's {@code output, (h_n, c_n)}. */
    public record Output(Tensor output, Tensor hN, Tensor cN) {
    }

    /** One step in stream mode: the last layer's h_t, (N, H_out) or (H_out), and the new state. */
    public record StepOutput(Tensor output, LSTMState state) {
    }

    /** A forward pass that carried state: output as {@link Output#output()}, and the state after it. */
    public record StatefulOutput(Tensor output, LSTMState state) {
    }

    /**
     * The result of a forward pass over a {@link PackedSequence}: packed output (same batchSizes
     * and indices as the input, data (R, D·H_out)); hN and cN in the caller's original batch order.
     */
    public record PackedOutput(PackedSequence output, Tensor hN, Tensor cN) {
    }

    /** {@link Output} on the autograd tape: gradients flow back from any of the three. */
    public record VariableOutput(Variable output, Variable hN, Variable cN) {
    }

    /** {@link PackedOutput} on the autograd tape. */
    public record PackedVariableOutput(PackedVariable output, Variable hN, Variable cN) {
    }

    /** Builder with PyTorch's defaults; {@code seed} makes initialisation and dropout reproducible. */
    public static final class Builder extends RNNBase.Builder<Builder> {
        private int projSize;

        private Builder(int inputSize, int hiddenSize) {
            super(inputSize, hiddenSize);
        }

        public Builder projSize(int projSize) {
            this.projSize = projSize;
            return this;
        }

        @Override
        public LSTM build() {
            return new LSTM(new Config(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, direction,
                    projSize), seedOrRandom());
        }
    }

    /** {@code torch.nn.LSTM(inputSize, hiddenSize)}. */
    public LSTM(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, 1);
    }

    /** {@code torch.nn.LSTM(inputSize, hiddenSize, numLayers)}. */
    public LSTM(int inputSize, int hiddenSize, int numLayers) {
        this(new Config(inputSize, hiddenSize, numLayers, true, false, 0.0, false, 0),
                new SplittableRandom().nextLong());
    }

    /**
     * An LSTM with every parameter drawn from U(-1/√hiddenSize, 1/√hiddenSize), in state-dict
     * order, from a generator seeded with {@code seed} (PyTorch's {@code reset_parameters}).
     */
    public LSTM(Config config, long seed) {
        super(config, seed);
    }

    /** An inference-only {@code LSTM} ({@link #withWeightPrecision}). */
    LSTM(Config config, Precision precision, LayerPanels[][] panels, LayerWeights[][] biases) {
        super(config, precision, panels, biases);
    }

    public static Builder builder(int inputSize, int hiddenSize) {
        return new Builder(inputSize, hiddenSize);
    }

    /**
     * The LSTM stored in {@code stateDict}, its configuration inferred from names and shapes.
     * The state dict may be a whole model's: the one LSTM in it is found wherever its keys sit
     * ({@code lstm.weight_ih_l0}, {@code encoder.rnn.weight_ih_l0}, ...).
     *
     * <pre>{@code
     * LSTM rnn = LSTM.fromStateDict(StateDicts.read(Path.of("model.safetensors")).tensors());
     * }</pre>
     *
     * @throws IllegalArgumentException if there is no LSTM (a GRU's or RNN's weights say so), several
     *                                  (the message lists their prefixes), or a tensor whose name
     *                                  or shape does not fit
     */
    public static LSTM fromStateDict(Map<String, Tensor> stateDict) {
        return fromStateDict(stateDict, ConfigInference.findPrefix(stateDict, Mode.LSTM));
    }

    /** The LSTM whose keys start with {@code prefix} (e.g. "lstm." or "" for a bare LSTM). */
    public static LSTM fromStateDict(Map<String, Tensor> stateDict, String prefix) {
        Map<String, Tensor> own = ConfigInference.own(stateDict, prefix, Mode.LSTM);
        return (LSTM) withWeights(Config.fromStateDict(own), own);
    }

    /**
     * The LSTM in a model file: safetensors, {@code torch.save} (.pt/.pth: a state dict, a checkpoint
     * or a whole pickled model, zip or legacy format), a TorchScript archive, .npz or ONNX (its
     * {@code LSTM} nodes; see {@link org.lstm4j.io.Onnx}), read without executing anything from the file (see
     * {@link StateDicts}). The one LSTM in the file is found wherever its keys sit.
     *
     * <pre>{@code
     * // Python: torch.save(model.state_dict(), "model.pt")   or   torch.onnx.export(model, x, "model.onnx")
     * LSTM lstm = LSTM.load(Path.of("model.pt"));
     * }</pre>
     *
     * @throws IOException              if the file cannot be read or is not a supported format
     * @throws IllegalArgumentException if it holds no LSTM (a GRU's or RNN's weights say so), several
     *                                  (choose with {@link #load(Path, String)}), or an inconsistent one
     */
    public static LSTM load(Path file) throws IOException {
        return fromStateDict(StateDicts.read(file).tensors());
    }

    /** The LSTM under {@code prefix} in a model file, e.g. {@code load(path, "encoder.rnn.")}. */
    public static LSTM load(Path file, String prefix) throws IOException {
        return fromStateDict(StateDicts.read(file).tensors(), prefix);
    }

    /**
     * {@link #load(Path)} for a model file's bytes from a stream (a blob store, a classpath
     * resource, Flink's file systems): read into memory, never into a temporary file; {@code in}
     * is not closed. {@code name} stands for the file in error messages.
     */
    public static LSTM load(InputStream in, String name) throws IOException {
        return fromStateDict(StateDicts.read(in, name).tensors());
    }

    /** {@link #load(InputStream, String)} for the LSTM under {@code prefix}. */
    public static LSTM load(InputStream in, String name, String prefix) throws IOException {
        return fromStateDict(StateDicts.read(in, name).tensors(), prefix);
    }

    /** Every prefix under which {@code stateDict} holds an LSTM, e.g. ["lstm1.", "lstm2."]. */
    public static List<String> lstmPrefixes(Map<String, Tensor> stateDict) {
        return List.copyOf(ConfigInference.prefixes(stateDict, Mode.LSTM));
    }

    @Override
    public Config config() {
        return (Config) super.config();
    }

    /**
     * A copy of this LSTM (same weights, same mode) with batchFirst set: a state dict does not
     * record batch_first, so a model trained with {@code batch_first=True} is loaded as
     * {@code LSTM.load(path).withBatchFirst(true)}.
     */
    public LSTM withBatchFirst(boolean batchFirst) {
        return (LSTM) copyWith(config().withBatchFirst(batchFirst));
    }

    @Override
    public LSTM withWeightPrecision(Precision precision) {
        return (LSTM) super.withWeightPrecision(precision);
    }

    /** {@code forward(input, null, null)}: zero initial states. */
    public Output forward(Tensor input) {
        return forward(input, null, null);
    }

    /**
     * Runs the LSTM over {@code input}. {@code h0} and {@code c0} are given together or both null
     * (zeros). See {@link RNNBase} for shapes.
     *
     * @throws IllegalArgumentException for any shape that PyTorch would reject, worded as PyTorch
     */
    public Output forward(Tensor input, Tensor h0, Tensor c0) {
        Result r = run(input, h0, c0, null);
        return new Output(r.output(), r.hN(), r.cN());
    }

    /**
     * {@link #forward(Tensor, Tensor, Tensor)} on the autograd tape, for training:
     * {@code loss.backward()} then fills every parameter's {@code grad()} and the gradients of
     * {@code input}, {@code h0} and {@code c0} where they require grad. Inside
     * {@link Autograd#noGrad()} this is plain inference. h0 and c0 may both be null (zeros).
     */
    public VariableOutput forward(Variable input, Variable h0, Variable c0) {
        VariableResult r = runVariables(input, h0, c0);
        return new VariableOutput(r.output(), r.hN(), r.cN());
    }

    /**
     * Runs the LSTM over a packed batch of variable-length sequences, as PyTorch does: each
     * sequence is read only up to its own length, the backward direction starts at each
     * sequence's own last element, and hN / cN hold each sequence's state at its true last step.
     * {@code h0} and {@code c0} (D·numLayers, N, ·) are in the caller's batch order, as are hN and
     * cN; batchFirst does not apply to packed input.
     */
    public PackedOutput forward(PackedSequence input, Tensor h0, Tensor c0) {
        PackedResult r = runPacked(input, h0, c0, null);
        return new PackedOutput(r.output(), r.hN(), r.cN());
    }

    /**
     * {@link #forward(PackedSequence, Tensor, Tensor)} on the autograd tape: gradients reach the
     * packed data (and through {@link PackedVariable#pack} the padded input), h0 and c0, all in
     * the caller's batch order.
     */
    public PackedVariableOutput forward(PackedVariable input, Variable h0, Variable c0) {
        PackedVariableResult r = runPackedVariables(input, h0, c0);
        return new PackedVariableOutput(r.output(), r.hN(), r.cN());
    }

    /**
     * Zero state for {@code batch} independent streams, for {@link #step} and
     * {@link #forward(Tensor, LSTMState)}.
     */
    public LSTMState zeroState(int batch) {
        return LSTMState.zeros(config(), batch);
    }

    /**
     * One time step in stream mode: {@code x} (N, H_in) for a state of N streams, or (H_in) for a
     * state of one. Returns the output and a new state; {@code state} is left alone. Feeding a
     * sequence one step at a time gives exactly {@link #forward(Tensor, Tensor, Tensor)}'s
     * numbers. For a steady stream without allocation use an {@link InferenceSession}.
     *
     * @throws IllegalArgumentException for a bidirectional or REVERSE LSTM or shapes that do not fit
     * @throws IllegalStateException    in training mode with dropout (call {@code eval()})
     */
    public StepOutput step(Tensor x, LSTMState state) {
        StatefulResult r = stepFrom(x, state);
        return new StepOutput(r.output(), (LSTMState) r.state());
    }

    /**
     * {@link #forward(Tensor, Tensor, Tensor)} starting from {@code state} and returning the state
     * after the last step, so a long sequence can be fed in chunks: any chunking gives the same
     * outputs and final state as one call. Forward LSTMs only (not bidirectional or REVERSE);
     * input (L, N, H_in), (N, L, H_in) with batchFirst, or unbatched (L, H_in) with a state of one
     * stream.
     */
    public StatefulOutput forward(Tensor input, LSTMState state) {
        StatefulResult r = runFrom(input, state);
        return new StatefulOutput(r.output(), (LSTMState) r.state());
    }

    /** {@link Module#train()}, typed: returns this LSTM. */
    @Override
    public LSTM train() {
        super.train();
        return this;
    }

    /** {@link Module#eval()}, typed. */
    @Override
    public LSTM eval() {
        super.eval();
        return this;
    }
}
