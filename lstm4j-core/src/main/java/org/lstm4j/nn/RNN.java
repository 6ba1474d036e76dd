package org.lstm4j.nn;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.math.LayerPanels;
import org.lstm4j.tensor.Precision;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.nn.RNN}, the Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh), or
 * relu with {@code nonlinearity("relu")}. Same constructor arguments (no proj_size), shapes,
 * parameter names and numbers as PyTorch.
 *
 * <pre>{@code
 * RNN rnn = RNN.builder(10, 20).numLayers(2).nonlinearity("relu").seed(42).build();
 * RNN.Output out = rnn.forward(Tensor.randn(0, 5, 3, 10));   // output (5, 3, 20), hN (2, 3, 20)
 * }</pre>
 *
 * Shapes, packed sequences, training and stream mode are as {@link HiddenStateRNN} and
 * {@link RNNBase} describe; the state is h alone.
 */
public final class RNN extends HiddenStateRNN {

    /**
     * The constructor arguments of {@code torch.nn.RNN}, in its order, validated as PyTorch
     * validates them.
     *
     * @param nonlinearity "tanh" (mode RNN_TANH) or "relu" (RNN_RELU)
     * @param direction    PyTorch's {@code bidirectional} as a {@link Direction}, which adds REVERSE
     */
    public record Config(int inputSize, int hiddenSize, int numLayers, String nonlinearity, boolean bias,
                         boolean batchFirst, double dropout, Direction direction) implements RNNBase.Config {

        public Config {
            Objects.requireNonNull(direction, "direction");
            Objects.requireNonNull(nonlinearity, "nonlinearity");
            if (!nonlinearity.equals("tanh") && !nonlinearity.equals("relu")) {
                throw new IllegalArgumentException("Unknown nonlinearity '" + nonlinearity
                        + "'. Select from 'tanh' or 'relu'.");
            }
            checkArguments(inputSize, hiddenSize, numLayers, dropout, 0);
        }

        /** {@code torch.nn.RNN}'s arguments in its order, {@code bidirectional} as PyTorch has it. */
        public Config(int inputSize, int hiddenSize, int numLayers, String nonlinearity, boolean bias,
                      boolean batchFirst, double dropout, boolean bidirectional) {
            this(inputSize, hiddenSize, numLayers, nonlinearity, bias, batchFirst, dropout, Direction.of(bidirectional));
        }

        /** {@code torch.nn.RNN(inputSize, hiddenSize)} with every other argument at its default. */
        public static Config of(int inputSize, int hiddenSize) {
            return new Config(inputSize, hiddenSize, 1, "tanh", true, false, 0.0, false);
        }

        @Override
        public Mode mode() {
            return nonlinearity.equals("relu") ? Mode.RNN_RELU : Mode.RNN_TANH;
        }

        @Override
        public Config withBatchFirst(boolean value) {
            return new Config(inputSize, hiddenSize, numLayers, nonlinearity, bias, value, dropout, direction);
        }

        @Override
        public Config withDropout(double value) {
            return new Config(inputSize, hiddenSize, numLayers, nonlinearity, bias, batchFirst, value, direction);
        }

        /** This configuration with the nonlinearity replaced (a state dict does not record it). */
        public Config withNonlinearity(String value) {
            return new Config(inputSize, hiddenSize, numLayers, value, bias, batchFirst, dropout, direction);
        }

        /**
         * The configuration of the RNN whose parameters are exactly {@code stateDict} (bare names);
         * nonlinearity, batchFirst and dropout take PyTorch's defaults (tanh, false, 0).
         *
         * @throws IllegalArgumentException naming the tensor whose name or shape does not fit, or
         *                                  saying which module the weights are if not an RNN's
         */
        public static Config fromStateDict(Map<String, Tensor> stateDict) {
            return (Config) ConfigInference.infer(stateDict, Mode.RNN_TANH);
        }
    }

    /** Builder with PyTorch's defaults; {@code seed} makes initialisation and dropout reproducible. */
    public static final class Builder extends RNNBase.Builder<Builder> {
        private String nonlinearity = "tanh";

        private Builder(int inputSize, int hiddenSize) {
            super(inputSize, hiddenSize);
        }

        /** "tanh" (the default) or "relu". */
        public Builder nonlinearity(String nonlinearity) {
            this.nonlinearity = nonlinearity;
            return this;
        }

        @Override
        public RNN build() {
            return new RNN(new Config(inputSize, hiddenSize, numLayers, nonlinearity, bias, batchFirst, dropout,
                    direction), seedOrRandom());
        }
    }

    /** {@code torch.nn.RNN(inputSize, hiddenSize)}. */
    public RNN(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, 1);
    }

    /** {@code torch.nn.RNN(inputSize, hiddenSize, numLayers)}. */
    public RNN(int inputSize, int hiddenSize, int numLayers) {
        this(new Config(inputSize, hiddenSize, numLayers, "tanh", true, false, 0.0, false),
                new SplittableRandom().nextLong());
    }

    /**
     * An RNN with every parameter drawn from U(-1/√hiddenSize, 1/√hiddenSize), in state-dict order,
     * from a generator seeded with {@code seed}.
     */
    public RNN(Config config, long seed) {
        super(config, seed);
    }

    /** An inference-only {@code RNN} ({@link #withWeightPrecision}). */
    RNN(Config config, Precision precision, LayerPanels[][] panels, LayerWeights[][] biases) {
        super(config, precision, panels, biases);
    }

    public static Builder builder(int inputSize, int hiddenSize) {
        return new Builder(inputSize, hiddenSize);
    }

    /**
     * The RNN stored in {@code stateDict} (a whole model's is fine), its configuration inferred
     * from names and shapes, with tanh: a state dict does not record the nonlinearity, so a relu
     * RNN is loaded as {@code RNN.fromStateDict(sd).withNonlinearity("relu")}.
     *
     * @throws IllegalArgumentException if there is no RNN (an LSTM's or GRU's weights say so),
     *                                  several (the message lists their prefixes), or a tensor
     *                                  whose name or shape does not fit
     */
    public static RNN fromStateDict(Map<String, Tensor> stateDict) {
        return fromStateDict(stateDict, ConfigInference.findPrefix(stateDict, Mode.RNN_TANH));
    }

    /** The RNN whose keys start with {@code prefix} (e.g. "rnn." or "" for a bare RNN), with tanh. */
    public static RNN fromStateDict(Map<String, Tensor> stateDict, String prefix) {
        Map<String, Tensor> own = ConfigInference.own(stateDict, prefix, Mode.RNN_TANH);
        return (RNN) withWeights(Config.fromStateDict(own), own);
    }

    /**
     * The RNN in a model file (safetensors, {@code torch.save} .pt/.pth, .npz), with tanh (see
     * {@link #withNonlinearity}); from an ONNX model, with the activation its node states.
     *
     * <pre>{@code
     * // Python: torch.save(nn.RNN(8, 16, nonlinearity="relu").state_dict(), "rnn.pt")
     * RNN rnn = RNN.load(Path.of("rnn.pt")).withNonlinearity("relu");
     * }</pre>
     *
     * @throws IOException              if the file cannot be read or is not a supported format
     * @throws IllegalArgumentException as {@link #fromStateDict(Map)}
     */
    public static RNN load(Path file) throws IOException {
        return loaded(StateDicts.read(file));
    }

    /** The RNN under {@code prefix} in a model file, with tanh unless an ONNX model says Relu. */
    public static RNN load(Path file, String prefix) throws IOException {
        StateDictFile contents = StateDicts.read(file);
        return withStoredMode(fromStateDict(contents.tensors(), prefix), contents, prefix);
    }

    /** {@link #load(Path)} for a model file's bytes from a stream ({@code in} is not closed). */
    public static RNN load(InputStream in, String name) throws IOException {
        return loaded(StateDicts.read(in, name));
    }

    /** The one RNN in a file's contents, with the nonlinearity the file states (an ONNX node's) or tanh. */
    private static RNN loaded(StateDictFile contents) {
        String prefix = ConfigInference.findPrefix(contents.tensors(), Mode.RNN_TANH);
        return withStoredMode(fromStateDict(contents.tensors(), prefix), contents, prefix);
    }

    /** Every prefix under which {@code stateDict} holds an RNN. */
    public static List<String> rnnPrefixes(Map<String, Tensor> stateDict) {
        return List.copyOf(ConfigInference.prefixes(stateDict, Mode.RNN_TANH));
    }

    @Override
    public Config config() {
        return (Config) super.config();
    }

    /** "tanh" or "relu". */
    public String nonlinearity() {
        return config().nonlinearity();
    }

    /** A copy of this RNN (same weights, same mode) with batchFirst set (a state dict does not record it). */
    public RNN withBatchFirst(boolean batchFirst) {
        return (RNN) copyWith(config().withBatchFirst(batchFirst));
    }

    @Override
    public RNN withWeightPrecision(Precision precision) {
        return (RNN) super.withWeightPrecision(precision);
    }

    /** A copy of this RNN (same weights, same mode) with another nonlinearity (a state dict does not record it). */
    public RNN withNonlinearity(String nonlinearity) {
        return (RNN) copyWith(config().withNonlinearity(nonlinearity));
    }

    /** {@link Module#train()}, typed: returns this RNN. */
    @Override
    public RNN train() {
        super.train();
        return this;
    }

    /** {@link Module#eval()}, typed. */
    @Override
    public RNN eval() {
        super.eval();
        return this;
    }
}
