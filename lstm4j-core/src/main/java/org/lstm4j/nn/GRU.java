package org.lstm4j.nn;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.lstm4j.io.StateDicts;
import org.lstm4j.math.LayerPanels;
import org.lstm4j.tensor.Precision;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.nn.GRU}: same constructor arguments (no proj_size), shapes, parameter
 * names and numbers. Gates r, z, n in PyTorch's row order:
 * <pre>
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)    z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))    h' = (1 − z) ⊙ n + z ⊙ h
 * </pre>
 *
 * <pre>{@code
 * GRU gru = GRU.builder(10, 20).numLayers(2).batchFirst(true).seed(42).build();
 * GRU.Output out = gru.forward(Tensor.randn(0, 3, 5, 10));   // output (3, 5, 20), hN (2, 3, 20)
 * }</pre>
 *
 * Shapes, packed sequences, training and stream mode are as {@link HiddenStateRNN} and
 * {@link RNNBase} describe; the state is h alone.
 */
public final class GRU extends HiddenStateRNN {

    /**
     * The constructor arguments of {@code torch.nn.GRU}, validated as PyTorch validates them;
     * PyTorch's {@code bidirectional} is {@code direction} here ({@link Direction} adds REVERSE).
     */
    public record Config(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst,
                         double dropout, Direction direction) implements RNNBase.Config {

        public Config {
            Objects.requireNonNull(direction, "direction");
            checkArguments(inputSize, hiddenSize, numLayers, dropout, 0);
        }

        /** {@code torch.nn.GRU}'s arguments in its order, {@code bidirectional} as PyTorch has it. */
        public Config(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
                      boolean bidirectional) {
            this(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, Direction.of(bidirectional));
        }

        /** {@code torch.nn.GRU(inputSize, hiddenSize)} with every other argument at its default. */
        public static Config of(int inputSize, int hiddenSize) {
            return new Config(inputSize, hiddenSize, 1, true, false, 0.0, false);
        }

        @Override
        public Mode mode() {
            return Mode.GRU;
        }

        @Override
        public Config withBatchFirst(boolean value) {
            return new Config(inputSize, hiddenSize, numLayers, bias, value, dropout, direction);
        }

        @Override
        public Config withDropout(double value) {
            return new Config(inputSize, hiddenSize, numLayers, bias, batchFirst, value, direction);
        }

        /**
         * The configuration of the GRU whose parameters are exactly {@code stateDict} (bare names);
         * batchFirst and dropout take PyTorch's defaults.
         *
         * @throws IllegalArgumentException naming the tensor whose name or shape does not fit, or
         *                                  saying which module the weights are if not a GRU's
         */
        public static Config fromStateDict(Map<String, Tensor> stateDict) {
            return (Config) ConfigInference.infer(stateDict, Mode.GRU);
        }
    }

    /** Builder with PyTorch's defaults; {@code seed} makes initialisation and dropout reproducible. */
    public static final class Builder extends RNNBase.Builder<Builder> {
        private Builder(int inputSize, int hiddenSize) {
            super(inputSize, hiddenSize);
        }

        @Override
        public GRU build() {
            return new GRU(new Config(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, direction),
                    seedOrRandom());
        }
    }

    /** {@code torch.nn.GRU(inputSize, hiddenSize)}. */
    public GRU(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, 1);
    }

    /** {@code torch.nn.GRU(inputSize, hiddenSize, numLayers)}. */
    public GRU(int inputSize, int hiddenSize, int numLayers) {
        this(new Config(inputSize, hiddenSize, numLayers, true, false, 0.0, false), new SplittableRandom().nextLong());
    }

    /**
     * A GRU with every parameter drawn from U(-1/√hiddenSize, 1/√hiddenSize), in state-dict order,
     * from a generator seeded with {@code seed}.
     */
    public GRU(Config config, long seed) {
        super(config, seed);
    }

    /** An inference-only {@code GRU} ({@link #withWeightPrecision}). */
    GRU(Config config, Precision precision, LayerPanels[][] panels, LayerWeights[][] biases) {
        super(config, precision, panels, biases);
    }

    public static Builder builder(int inputSize, int hiddenSize) {
        return new Builder(inputSize, hiddenSize);
    }

    /**
     * The GRU stored in {@code stateDict} (a whole model's is fine: the one GRU in it is found
     * wherever its keys sit), its configuration inferred from names and shapes.
     *
     * @throws IllegalArgumentException if there is no GRU (an LSTM's or RNN's weights say so),
     *                                  several (the message lists their prefixes), or a tensor
     *                                  whose name or shape does not fit
     */
    public static GRU fromStateDict(Map<String, Tensor> stateDict) {
        return fromStateDict(stateDict, ConfigInference.findPrefix(stateDict, Mode.GRU));
    }

    /** The GRU whose keys start with {@code prefix} (e.g. "gru." or "" for a bare GRU). */
    public static GRU fromStateDict(Map<String, Tensor> stateDict, String prefix) {
        Map<String, Tensor> own = ConfigInference.own(stateDict, prefix, Mode.GRU);
        return (GRU) withWeights(Config.fromStateDict(own), own);
    }

    /**
     * The GRU in a model file (safetensors, {@code torch.save} .pt/.pth, .npz), read without
     * executing anything from the file (see {@link StateDicts}).
     *
     * <pre>{@code
     * // Python: torch.save(gru.state_dict(), "gru.pt")
     * GRU gru = GRU.load(Path.of("gru.pt"));
     * }</pre>
     *
     * @throws IOException              if the file cannot be read or is not a supported format
     * @throws IllegalArgumentException as {@link #fromStateDict(Map)}
     */
    public static GRU load(Path file) throws IOException {
        return fromStateDict(StateDicts.read(file).tensors());
    }

    /** The GRU under {@code prefix} in a model file. */
    public static GRU load(Path file, String prefix) throws IOException {
        return fromStateDict(StateDicts.read(file).tensors(), prefix);
    }

    /** {@link #load(Path)} for a model file's bytes from a stream ({@code in} is not closed). */
    public static GRU load(InputStream in, String name) throws IOException {
        return fromStateDict(StateDicts.read(in, name).tensors());
    }

    /** Every prefix under which {@code stateDict} holds a GRU. */
    public static List<String> gruPrefixes(Map<String, Tensor> stateDict) {
        return List.copyOf(ConfigInference.prefixes(stateDict, Mode.GRU));
    }

    @Override
    public Config config() {
        return (Config) super.config();
    }

    /** A copy of this GRU (same weights, same mode) with batchFirst set (a state dict does not record it). */
    public GRU withBatchFirst(boolean batchFirst) {
        return (GRU) copyWith(config().withBatchFirst(batchFirst));
    }

    /** {@link Module#train()}, typed: returns this GRU. */
    @Override
    public GRU train() {
        super.train();
        return this;
    }

    /** {@link Module#eval()}, typed. */
    @Override
    public GRU eval() {
        super.eval();
        return this;
    }

    @Override
    public GRU withWeightPrecision(Precision precision) {
        return (GRU) super.withWeightPrecision(precision);
    }
}
