package org.lstm4j.nn;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.lstm4j.autograd.Autograd;
import org.lstm4j.autograd.Variable;
import org.lstm4j.internal.ArraySizes;
import org.lstm4j.internal.TensorData;
import org.lstm4j.io.Onnx;
import org.lstm4j.io.RecurrentStack;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.kernels.Kernels;
import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.kernels.PanelMatrix;
import org.lstm4j.kernels.PointwiseKernels;
import org.lstm4j.math.CellMath;
import org.lstm4j.math.DropoutMath;
import org.lstm4j.math.GRUCellMath;
import org.lstm4j.math.LSTMCellMath;
import org.lstm4j.math.LayerPanels;
import org.lstm4j.math.RNNCellMath;
import org.lstm4j.nn.PackedVariable;
import org.lstm4j.tensor.Precision;
import org.lstm4j.tensor.Tensor;

/**
 * What every recurrent layer of the {@code torch.nn} family shares, as PyTorch's
 * {@code RNNBase(mode, ...)}: the {@link Mode} (LSTM, GRU, RNN_TANH, RNN_RELU) decides the gate
 * count, and from it the parameters ({@link Config#parameterSpecs()}), their initialisation, state
 * dicts, the weight-panel cache, the forward pass over padded or packed input (any
 * {@link Direction}, dropout, h0, unbatched, batch_first, split across threads), the training
 * backward, stream mode
 * ({@link #newSession}) and loading model files. {@link LSTM}, {@link GRU} and {@link RNN} only add
 * what differs: LSTM its cell state and proj_size, RNN its nonlinearity.
 *
 * <pre>{@code
 * RNNBase rnn = RNNBase.load(Path.of("model.pt"));   // an LSTM, GRU or RNN, whichever the file holds
 * System.out.println(rnn.mode());                    // e.g. GRU
 * }</pre>
 *
 * <h2>Shapes</h2>
 * N = batch, L = sequence length, D = 2 if bidirectional else 1 (REVERSE too), H_in = inputSize,
 * H_cell = hiddenSize, H_out = projSize if projSize &gt; 0 (LSTM only) else hiddenSize.
 * <ul>
 *   <li>input: (L, N, H_in), or (N, L, H_in) with batchFirst, or unbatched (L, H_in)</li>
 *   <li>h0, hN: (D·numLayers, N, H_out) — batchFirst never changes them; unbatched input uses
 *       (D·numLayers, H_out); an LSTM's c0, cN likewise with H_cell</li>
 *   <li>output: (L, N, D·H_out), the <b>last layer's</b> h_t for every t; bidirectional
 *       concatenates [forward h_t, backward h_t] on the last dimension</li>
 *   <li>hN[2·l] is layer l forward, hN[2·l+1] layer l backward (unidirectional: hN[l])</li>
 * </ul>
 * Where users trip: {@code output[-1] == hN[-1]} only for the forward direction; for
 * bidirectional, the backward half of {@code output[0]} equals {@code hN[-1]}, since the
 * backward direction ends at t = 0. A {@link Direction#REVERSE} module (ONNX's
 * {@code direction="reverse"}) runs every layer backward only: output is still in time order,
 * and {@code output[0] == hN[-1]}.
 *
 * <p>Thread safety: {@code forward} does not modify the module (outside training-mode dropout's
 * random stream), so one instance in evaluation mode may serve many threads. Large calls are
 * split across lstm4j's worker threads ({@code -Dlstm4j.threads=N}, default: available
 * processors) with bit-identical results.
 *
 * <p>Weights are laid out in panels once for the matrix kernels and laid out again when a
 * parameter's {@link Parameter#version()} moves: optimizer steps, {@code loadStateDict} and every
 * write through a parameter's tensor ({@link Tensor#set}, {@link Tensor#data()}) move it.
 */
public abstract sealed class RNNBase extends Module permits LSTM, HiddenStateRNN {

    private static final System.Logger LOG = System.getLogger(RNNBase.class.getName());

    /** PyTorch's {@code RNNBase.mode}: which cell every layer runs. */
    public enum Mode {
        LSTM("LSTM", LSTMCellMath.INSTANCE),
        GRU("GRU", GRUCellMath.INSTANCE),
        RNN_TANH("RNN", RNNCellMath.TANH),
        RNN_RELU("RNN", RNNCellMath.RELU);

        private final String moduleName;
        private final CellMath cell;

        Mode(String moduleName, CellMath cell) {
            this.moduleName = moduleName;
            this.cell = cell;
        }

        /** Gates per hidden unit, PyTorch's {@code gate_size / hidden_size}: 4, 3 or 1. */
        public int gates() {
            return cell.gates();
        }

        /** The class that runs this mode: "LSTM", "GRU" or "RNN". */
        public String moduleName() {
            return moduleName;
        }

        /** The module's name with its article, as messages say it: "an LSTM", "a GRU", "an RNN". */
        String withArticle() {
            return (this == GRU ? "a " : "an ") + moduleName;
        }

        /** True for LSTM, whose state is (h, c); the others carry h alone. */
        public boolean hasCellState() {
            return cell.hasCellState();
        }

        CellMath cell() {
            return cell;
        }
    }

    /**
     * Which way each layer runs through time. PyTorch's {@code bidirectional=False} and
     * {@code True} are FORWARD and BIDIRECTIONAL; REVERSE is ONNX's {@code direction="reverse"},
     * which torch.nn has no argument for: every layer runs once, from t = L-1 down to 0 (from
     * each sequence's own last element for packed input), and its parameters carry the suffix
     * {@code _reverse}, as the backward direction of a bidirectional module does.
     */
    public enum Direction {
        FORWARD, REVERSE, BIDIRECTIONAL;

        /** D: 2 for BIDIRECTIONAL, else 1. */
        public int count() {
            return this == BIDIRECTIONAL ? 2 : 1;
        }

        /**
         * Whether direction {@code dir} (0 to D-1) of a layer runs backward in time, t = L-1 down
         * to 0: the second one of a bidirectional layer, the only one of a REVERSE layer.
         */
        public boolean runsBackward(int dir) {
            return dir == 1 || this == REVERSE;
        }

        /** FORWARD or BIDIRECTIONAL, as PyTorch's {@code bidirectional} argument says. */
        public static Direction of(boolean bidirectional) {
            return bidirectional ? BIDIRECTIONAL : FORWARD;
        }
    }

    /**
     * The constructor arguments every recurrent layer shares, PyTorch's {@code RNNBase.__init__}:
     * {@link LSTM.Config}, {@link GRU.Config} and {@link RNN.Config} implement it, each validated
     * as PyTorch validates it.
     */
    public sealed interface Config permits LSTM.Config, GRU.Config, RNN.Config {

        Mode mode();

        int inputSize();

        int hiddenSize();

        int numLayers();

        boolean bias();

        boolean batchFirst();

        double dropout();

        /** Which way each layer runs (see {@link Direction}). */
        Direction direction();

        /** PyTorch's {@code bidirectional}: true for {@link Direction#BIDIRECTIONAL}. */
        default boolean bidirectional() {
            return direction() == Direction.BIDIRECTIONAL;
        }

        /** LSTM's proj_size; 0 (no projections) for every other mode. */
        default int projSize() {
            return 0;
        }

        /** This configuration with batchFirst replaced (a state dict does not record it). */
        Config withBatchFirst(boolean value);

        /** This configuration with dropout replaced (a state dict does not record it). */
        Config withDropout(double value);

        /** D: 2 if bidirectional, else 1. */
        default int numDirections() {
            return direction().count();
        }

        /** H_out: projSize if projections are on, else hiddenSize. */
        default int outputSize() {
            return projSize() > 0 ? projSize() : hiddenSize();
        }

        /** Width of layer {@code layer}'s input: inputSize for layer 0, else D·H_out. */
        default int layerInputSize(int layer) {
            return layer == 0 ? inputSize() : numDirections() * outputSize();
        }

        /** PyTorch's {@code gate_size}: gates·hiddenSize rows in W_ih, W_hh and the biases. */
        default int gateSize() {
            return mode().gates() * hiddenSize();
        }

        /**
         * Every parameter in PyTorch's order ({@code _flat_weights_names}): for each layer, for each
         * direction, weight_ih, weight_hh, bias_ih, bias_hh, weight_hr. This single list drives
         * creation, state dicts, loading and gradients. A direction that runs backward in time
         * (see {@link Direction#runsBackward}) names its parameters with the suffix {@code _reverse}.
         */
        default List<ParameterSpec> parameterSpecs() {
            List<ParameterSpec> specs = new ArrayList<>();
            for (int layer = 0; layer < numLayers(); layer++) {
                for (int direction = 0; direction < numDirections(); direction++) {
                    for (ParameterKind kind : ParameterKind.values()) {
                        if ((kind.isBias() && !bias()) || (kind == ParameterKind.WEIGHT_HR && projSize() == 0)) {
                            continue;
                        }
                        specs.add(new ParameterSpec(kind, layer, direction, kind.shape(this, layer),
                                direction().runsBackward(direction)));
                    }
                }
            }
            return Collections.unmodifiableList(specs);
        }

        /**
         * PyTorch's {@code RNNBase(mode, input_size, hidden_size, num_layers, bias, batch_first,
         * dropout, bidirectional, proj_size)} as the configuration of the matching module.
         *
         * @throws IllegalArgumentException for arguments PyTorch rejects, worded as PyTorch
         *                                  (proj_size is LSTM's alone)
         */
        static Config of(Mode mode, int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst,
                         double dropout, boolean bidirectional, int projSize) {
            return of(mode, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, Direction.of(bidirectional),
                    projSize);
        }

        /** {@link #of(Mode, int, int, int, boolean, boolean, double, boolean, int)} with any {@link Direction}. */
        static Config of(Mode mode, int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst,
                         double dropout, Direction direction, int projSize) {
            Objects.requireNonNull(mode, "mode");
            if (mode != Mode.LSTM && projSize != 0) {
                throw new IllegalArgumentException("proj_size argument is only supported for LSTM, not RNN or GRU");
            }
            return switch (mode) {
                case LSTM -> new LSTM.Config(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, direction,
                        projSize);
                case GRU -> new GRU.Config(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, direction);
                case RNN_TANH, RNN_RELU -> new RNN.Config(inputSize, hiddenSize, numLayers,
                        mode == Mode.RNN_RELU ? "relu" : "tanh", bias, batchFirst, dropout, direction);
            };
        }
    }

    /**
     * PyTorch's {@code RNNBase.__init__} argument checks, worded as PyTorch; every mode's config
     * runs them in its constructor.
     */
    static void checkArguments(int inputSize, int hiddenSize, int numLayers, double dropout, int projSize) {
        if (inputSize <= 0) {
            throw new IllegalArgumentException("input_size must be greater than zero, got " + inputSize);
        }
        if (hiddenSize <= 0) {
            throw new IllegalArgumentException("hidden_size must be greater than zero, got " + hiddenSize);
        }
        if (numLayers <= 0) {
            throw new IllegalArgumentException("num_layers must be greater than zero, got " + numLayers);
        }
        if (!(dropout >= 0 && dropout <= 1)) {
            throw new IllegalArgumentException("dropout should be a number in range [0, 1] representing the"
                    + " probability of an element being zeroed, got " + dropout);
        }
        if (projSize < 0) {
            throw new IllegalArgumentException("proj_size should be a positive integer or zero to disable"
                    + " projections, got " + projSize);
        }
        if (projSize >= hiddenSize) {
            throw new IllegalArgumentException("proj_size has to be smaller than hidden_size, got proj_size="
                    + projSize + " and hidden_size=" + hiddenSize);
        }
    }

    /** The five kinds of parameter, in PyTorch's order within a layer and direction. */
    public enum ParameterKind {
        WEIGHT_IH("weight_ih"), WEIGHT_HH("weight_hh"), BIAS_IH("bias_ih"), BIAS_HH("bias_hh"), WEIGHT_HR("weight_hr");

        private final String prefix;

        ParameterKind(String prefix) {
            this.prefix = prefix;
        }

        public String prefix() {
            return prefix;
        }

        public boolean isBias() {
            return this == BIAS_IH || this == BIAS_HH;
        }

        int[] shape(Config config, int layer) {
            int gates = config.gateSize();
            return switch (this) {
                case WEIGHT_IH -> new int[] {gates, config.layerInputSize(layer)};
                case WEIGHT_HH -> new int[] {gates, config.outputSize()};
                case BIAS_IH, BIAS_HH -> new int[] {gates};
                case WEIGHT_HR -> new int[] {config.projSize(), config.hiddenSize()};
            };
        }
    }

    /**
     * One parameter: its kind, layer, direction (0 to D-1: 0 forward, 1 backward in a
     * bidirectional layer), shape, and whether its direction runs backward in time (the second
     * of a bidirectional layer, the only one of a {@link Direction#REVERSE} layer).
     */
    public record ParameterSpec(ParameterKind kind, int layer, int direction, int[] shape, boolean reverse) {
        /** A parameter of a forward or bidirectional module: direction 1 runs backward. */
        public ParameterSpec(ParameterKind kind, int layer, int direction, int[] shape) {
            this(kind, layer, direction, shape, direction == 1);
        }

        /** PyTorch's name, e.g. {@code weight_ih_l0} or {@code bias_hh_l1_reverse}. */
        public String name() {
            return kind.prefix() + "_l" + layer + (reverse ? "_reverse" : "");
        }
    }

    /**
     * The arguments every builder shares, with PyTorch's defaults; {@code seed} makes
     * initialisation and dropout reproducible.
     *
     * @param <B> the concrete builder, returned by every setter
     */
    public abstract static class Builder<B extends Builder<B>> {
        final int inputSize;
        final int hiddenSize;
        int numLayers = 1;
        boolean bias = true;
        boolean batchFirst;
        double dropout;
        Direction direction = Direction.FORWARD;
        private Long seed;

        Builder(int inputSize, int hiddenSize) {
            this.inputSize = inputSize;
            this.hiddenSize = hiddenSize;
        }

        public B numLayers(int numLayers) {
            this.numLayers = numLayers;
            return self();
        }

        public B bias(boolean bias) {
            this.bias = bias;
            return self();
        }

        public B batchFirst(boolean batchFirst) {
            this.batchFirst = batchFirst;
            return self();
        }

        public B dropout(double dropout) {
            this.dropout = dropout;
            return self();
        }

        /** PyTorch's {@code bidirectional}: {@link Direction#BIDIRECTIONAL} if true, else FORWARD. */
        public B bidirectional(boolean bidirectional) {
            this.direction = Direction.of(bidirectional);
            return self();
        }

        /**
         * Which way each layer runs; {@link Direction#REVERSE} is ONNX's {@code direction="reverse"}
         * (no torch.nn argument). The last of {@code direction} and {@link #bidirectional} called wins.
         */
        public B direction(Direction direction) {
            this.direction = Objects.requireNonNull(direction, "direction");
            return self();
        }

        /** Seed for the initial weights and the dropout stream (default: a random seed). */
        public B seed(long seed) {
            this.seed = seed;
            return self();
        }

        /** The module these arguments describe: an {@link LSTM}, {@link GRU} or {@link RNN}. */
        public abstract RNNBase build();

        long seedOrRandom() {
            return seed != null ? seed : new SplittableRandom().nextLong();
        }

        @SuppressWarnings("unchecked")
        private B self() {
            return (B) this;
        }
    }

    /** A cell's parameters, views of the registered ones: wIh (G·H, I), wHh (G·H, P), bIh and bHh (G·H) or null, wHr (P, H) or null. */
    record LayerWeights(float[] wIh, float[] wHh, float[] bIh, float[] bHh, float[] wHr) {
    }

    /** A forward pass's results; cN is null without a cell state. */
    record Result(Tensor output, Tensor hN, Tensor cN) {
    }

    /** A forward pass over a packed sequence; hN and cN in the caller's batch order, cN null without a cell state. */
    record PackedResult(PackedSequence output, Tensor hN, Tensor cN) {
    }

    /** {@link Result} on the autograd tape. */
    record VariableResult(Variable output, Variable hN, Variable cN) {
    }

    /** {@link PackedResult} on the autograd tape. */
    record PackedVariableResult(PackedVariable output, Variable hN, Variable cN) {
    }

    /** A forward pass that carried state: the output and the state after it. */
    record StatefulResult(Tensor output, RecurrentState state) {
    }

    private final Config config;
    private final CellMath cell;
    /**
     * weights[layer][direction]: that cell's parameters, views of the registered ones; for an
     * inference-only module ({@link #withWeightPrecision}) only copies of the biases, its weight
     * matrices living in {@link #panels} alone.
     */
    private final LayerWeights[][] weights;
    /** How the weight matrices are stored: FP32 unless {@link #withWeightPrecision} made this module. */
    private final Precision weightPrecision;
    /** True for a module made by {@link #withWeightPrecision}: no parameters, evaluation mode for good. */
    private final boolean inferenceOnly;
    /** The training-mode dropout stream; replaced by {@link #manualSeed}, guarded by {@code dropoutLock}. */
    private SplittableRandom dropoutRandom;
    private final Object dropoutLock = new Object();
    private final MatrixKernels kernels = Kernels.matrix();
    private final PointwiseKernels pointwise = Kernels.pointwise();
    /** Every cell's weights in panels, [layer][direction], kept in step with the parameters. */
    private final ParameterDerived<LayerPanels[][]> panels;
    private final RecurrentForwardPass forwardPass;
    private final RecurrentBackwardPass backwardPass;

    /**
     * Every parameter drawn from U(-1/√hiddenSize, 1/√hiddenSize), in state-dict order, from a
     * generator seeded with {@code seed} (PyTorch's {@code reset_parameters}).
     */
    RNNBase(Config config, long seed) {
        this.config = Objects.requireNonNull(config, "config");
        this.cell = config.mode().cell();
        if (config.dropout() > 0 && config.numLayers() == 1) {
            LOG.log(Level.WARNING, "dropout option adds dropout after all but last recurrent layer, so non-zero"
                    + " dropout expects num_layers greater than 1, but got dropout=" + config.dropout()
                    + " and num_layers=" + config.numLayers());
        }
        SplittableRandom init = new SplittableRandom(seed);
        this.dropoutRandom = init.split();
        double bound = 1.0 / Math.sqrt(config.hiddenSize());
        int d = config.numDirections();
        float[][][] byKind = new float[config.numLayers() * d][ParameterKind.values().length][];
        List<ParameterSpec> specs = config.parameterSpecs();
        Parameter[] parameters = new Parameter[specs.size()];
        for (int index = 0; index < specs.size(); index++) {
            ParameterSpec spec = specs.get(index);
            Tensor value = Tensor.zeros(spec.shape());
            float[] v = TensorData.array(value);
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) init.nextDouble(-bound, bound);
            }
            parameters[index] = new Parameter(value);
            registerParameter(spec.name(), parameters[index]);
            byKind[spec.layer() * d + spec.direction()][spec.kind().ordinal()] = v;
        }
        this.weights = layerWeights(config, byKind);
        this.weightPrecision = Precision.FP32;
        this.inferenceOnly = false;
        this.panels = new ParameterDerived<>(parameters, this::layOutPanels);
        this.forwardPass = new RecurrentForwardPass(this);
        this.backwardPass = new RecurrentBackwardPass(this);
    }

    /**
     * An inference-only module ({@link #withWeightPrecision}) computing with {@code panels}: no
     * parameters, evaluation mode, training refused.
     *
     * @param panels [layer][direction], stored in {@code precision}; never changed afterwards
     * @param biases [layer][direction]: b_ih and b_hh (or null without bias), matrices null
     */
    RNNBase(Config config, Precision precision, LayerPanels[][] panels, LayerWeights[][] biases) {
        this.config = Objects.requireNonNull(config, "config");
        this.cell = config.mode().cell();
        this.dropoutRandom = new SplittableRandom(0L);
        this.weights = biases;
        this.weightPrecision = Objects.requireNonNull(precision, "precision");
        this.inferenceOnly = true;
        this.panels = new ParameterDerived<>(new Parameter[0], () -> panels);
        this.forwardPass = new RecurrentForwardPass(this);
        this.backwardPass = null;
        eval();
    }

    /** byKind[layer·D + direction][kind] as [layer][direction] weights. */
    static LayerWeights[][] layerWeights(Config config, float[][][] byKind) {
        int d = config.numDirections();
        LayerWeights[][] layers = new LayerWeights[config.numLayers()][d];
        for (int layer = 0; layer < config.numLayers(); layer++) {
            for (int dir = 0; dir < d; dir++) {
                float[][] k = byKind[layer * d + dir];
                layers[layer][dir] = new LayerWeights(k[0], k[1], k[2], k[3], k[4]);
            }
        }
        return layers;
    }

    /**
     * A new module of the kind {@code config} describes ({@link LSTM}, {@link GRU} or {@link RNN}),
     * initialised from {@code seed}.
     */
    public static RNNBase create(Config config, long seed) {
        Objects.requireNonNull(config, "config");
        if (config instanceof LSTM.Config c) {
            return new LSTM(c, seed);
        }
        if (config instanceof GRU.Config c) {
            return new GRU(c, seed);
        }
        return new RNN((RNN.Config) config, seed);
    }

    /**
     * The one recurrent module in {@code stateDict} (an LSTM, GRU or RNN, wherever its keys sit),
     * its kind and configuration inferred from names and shapes: the gate count (4·H, 3·H or H
     * rows) with weight_hh's (gates·H, H) shape deciding. An RNN loads with tanh (a state dict does
     * not record the nonlinearity; see {@link RNN#withNonlinearity}).
     *
     * @throws IllegalArgumentException if there is none, several (the message lists their
     *                                  prefixes), the kind cannot be told (the message names the
     *                                  candidates), or a tensor's name or shape does not fit
     */
    public static RNNBase fromStateDict(Map<String, Tensor> stateDict) {
        return fromStateDict(stateDict, ConfigInference.findPrefix(stateDict, null));
    }

    /** The recurrent module whose keys start with {@code prefix} (e.g. "encoder.rnn." or ""). */
    public static RNNBase fromStateDict(Map<String, Tensor> stateDict, String prefix) {
        Map<String, Tensor> own = ConfigInference.own(stateDict, prefix, null);
        return withWeights(ConfigInference.infer(own), own);
    }

    /**
     * The recurrent module in a model file: safetensors, {@code torch.save} (.pt/.pth: a state dict,
     * a checkpoint or a whole pickled model), a TorchScript archive, .npz or ONNX, read without
     * executing anything from the file (see {@link StateDicts}).
     *
     * @throws IOException              if the file cannot be read or is not a supported format
     * @throws IllegalArgumentException as {@link #fromStateDict(Map)}
     */
    public static RNNBase load(Path file) throws IOException {
        return loaded(StateDicts.read(file));
    }

    /** The recurrent module under {@code prefix} in a model file. */
    public static RNNBase load(Path file, String prefix) throws IOException {
        StateDictFile contents = StateDicts.read(file);
        return withStoredMode(fromStateDict(contents.tensors(), prefix), contents, prefix);
    }

    /**
     * {@code module} as the file says it computes: an ONNX model states each stack's mode
     * ({@code <prefix>mode}, see {@link Onnx}), so an RNN exported with Relu loads with relu; a
     * state dict states none, and the module is returned as inferred.
     */
    static <M extends RNNBase> M withStoredMode(M module, StateDictFile contents, String prefix) {
        if (module instanceof RNN rnn && Mode.RNN_RELU.name().equals(contents.otherEntries().get(prefix + "mode"))) {
            @SuppressWarnings("unchecked")
            M relu = (M) rnn.withNonlinearity("relu");
            return relu;
        }
        return module;
    }

    /**
     * Writes this module as an ONNX model: one {@code LSTM}, {@code GRU} or {@code RNN} node per
     * layer, as torch.onnx.export writes it, graph input {@code input} ((L, N, H_in), or
     * (N, L, H_in) with batchFirst), outputs {@code output}, {@code h_n} (and an LSTM's
     * {@code c_n}) in PyTorch's shapes; the state starts at zero; a REVERSE module's nodes say
     * {@code direction="reverse"}. ONNX Runtime runs the file;
     * {@link #load} reads it back.
     *
     * <pre>{@code
     * gru.toOnnx(Path.of("gru.onnx"), 17);
     * }</pre>
     *
     * @param opset the ai.onnx operator set, 7 to 22 ({@link Onnx#DEFAULT_OPSET} is a good choice)
     * @throws IllegalArgumentException for an LSTM with proj_size &gt; 0 (ONNX's LSTM has no
     *                                  projection) or an opset outside 7 to 22
     */
    public void toOnnx(Path file, int opset) throws IOException {
        toOnnx(file, Onnx.ExportOptions.opset(opset).withBatchFirst(config.batchFirst()));
    }

    /**
     * {@link #toOnnx(Path, int)} with every choice spelled out: {@code options} decide the opset,
     * the input layout (their batchFirst, not this module's), whether the graph takes
     * {@code h0} (and {@code c0}) inputs, and the module path the nodes are named after. An
     * inference-only module ({@link #withWeightPrecision}) is written in float32 with the weights
     * it computes with ({@link #dequantizedStateDict()}).
     */
    public void toOnnx(Path file, Onnx.ExportOptions options) throws IOException {
        if (config.projSize() > 0) {
            throw new IllegalArgumentException("cannot export an LSTM with proj_size=" + config.projSize()
                    + " to ONNX: ONNX's LSTM has no projection (torch.onnx.export refuses LSTMs with projections too)");
        }
        Onnx.write(file, new RecurrentStack(RecurrentStack.Mode.valueOf(mode().name()), config.inputSize(),
                config.hiddenSize(), config.numLayers(), config.bias(),
                RecurrentStack.Direction.valueOf(config.direction().name()), dequantizedStateDict()), options);
    }

    /**
     * {@link #load(Path)} for a model file's bytes from a stream, read into memory (never into a
     * temporary file); {@code in} is not closed. {@code name} stands for the file in error messages.
     */
    public static RNNBase load(InputStream in, String name) throws IOException {
        return loaded(StateDicts.read(in, name));
    }

    /** The one recurrent module in a file's contents, as the file says it computes. */
    private static RNNBase loaded(StateDictFile contents) {
        String prefix = ConfigInference.findPrefix(contents.tensors(), null);
        return withStoredMode(fromStateDict(contents.tensors(), prefix), contents, prefix);
    }

    /** Every prefix under which {@code stateDict} holds a recurrent module (any kind), sorted. */
    public static List<String> prefixes(Map<String, Tensor> stateDict) {
        return List.copyOf(ConfigInference.prefixes(stateDict.keySet()));
    }

    /** A module with {@code config}, holding exactly the parameters {@code own} (bare names). */
    static RNNBase withWeights(Config config, Map<String, Tensor> own) {
        RNNBase module = create(config, 0L);
        module.loadStateDict(own, true);
        return module;
    }

    /** A copy with the same weights and mode and another configuration (batchFirst, nonlinearity). */
    RNNBase copyWith(Config other) {
        if (inferenceOnly) {
            return inferenceOnly(other, weightPrecision, panels(), weights); // both never change: shared
        }
        RNNBase copy = create(other, 0L);
        copy.loadStateDict(stateDict(), true);
        if (!isTraining()) {
            copy.eval();
        }
        return copy;
    }

    public Config config() {
        return config;
    }

    public Mode mode() {
        return config.mode();
    }

    /**
     * SHA-256 of what this module computes: its mode, configuration and parameters, so equal
     * fingerprints mean equal numbers (a state saved for one model is never fed to another, see
     * {@link org.lstm4j.io.RecurrentStateCodec}). batchFirst and dropout are left out (neither
     * changes a step in evaluation mode). Bytes hashed, big-endian: {@code int32 length} and the
     * mode's name in UTF-8 ("LSTM", "GRU", "RNN_TANH", "RNN_RELU" — the nonlinearity is part of
     * what an RNN computes); {@code int32 6} and the configuration {@code input_size,
     * hidden_size, num_layers, bias (0/1), direction (0 forward, 1 bidirectional, 2 reverse),
     * proj_size} as int32; then per
     * parameter in {@link #stateDict()} order {@code int32 name length, UTF-8 name, int32 rank,
     * rank × int32 shape, numel × int32 raw IEEE-754 bits}. Computed on each call (parameters may
     * change).
     *
     * <pre>{@code
     * String id = HexFormat.of().formatHex(lstm.fingerprint());   // 64 hex digits
     * }</pre>
     */
    public byte[] fingerprint() {
        int[] configuration = {config.inputSize(), config.hiddenSize(), config.numLayers(), config.bias() ? 1 : 0,
            directionCode(config.direction()), config.projSize()};
        String kind = weightPrecision == Precision.FP32 ? mode().name() : mode().name() + "/" + weightPrecision.cliName();
        return ModelFingerprint.of(kind, configuration, dequantizedStateDict());
    }

    /** The direction as {@link #fingerprint()} hashes it: 0 and 1 as bidirectional was hashed before REVERSE existed. */
    private static int directionCode(Direction direction) {
        return switch (direction) {
            case FORWARD -> 0;
            case BIDIRECTIONAL -> 1;
            case REVERSE -> 2;
        };
    }

    /**
     * An inference-only copy whose weight matrices (W_ih, W_hh, W_hr) are stored in
     * {@code precision}: bf16 rounds each weight to nearest even, int8 quantizes each row with its
     * own scale as PyTorch's dynamic quantization does (see {@link Precision}); biases, activations
     * and every sum stay float32. The copy has no parameters and shares nothing that can change
     * with this module; it is in evaluation mode for good: {@code train()} and gradients through it
     * are refused. Sessions, stream mode and packed input work as on this module. {@code FP32}
     * keeps the weights as they are (the same numbers as this module) in half the memory.
     * On an inference-only module this re-encodes the weights it computes with
     * ({@link #dequantizedStateDict()}).
     *
     * <pre>{@code
     * LSTM fast = LSTM.load(path).withWeightPrecision(Precision.BF16);   // half the bytes read per step
     * InferenceSession session = fast.newSession(1);
     * }</pre>
     *
     * @throws IllegalArgumentException for INT8 when a weight is NaN or infinite
     */
    public RNNBase withWeightPrecision(Precision precision) {
        Objects.requireNonNull(precision, "precision");
        LayerPanels[][] current = panels();
        LayerPanels[][] encoded = new LayerPanels[config.numLayers()][config.numDirections()];
        LayerWeights[][] biases = new LayerWeights[config.numLayers()][config.numDirections()];
        for (int layer = 0; layer < encoded.length; layer++) {
            for (int dir = 0; dir < encoded[layer].length; dir++) {
                LayerWeights w = weights[layer][dir];
                LayerPanels p = current[layer][dir];
                float[] wIh = inferenceOnly ? rowMajor(p.wIh()) : w.wIh();
                float[] wHh = inferenceOnly ? rowMajor(p.wHh()) : w.wHh();
                float[] wHr = p.wHr() == null ? null : inferenceOnly ? rowMajor(p.wHr()) : w.wHr();
                encoded[layer][dir] = LayerPanels.of(kernels, cell, config.hiddenSize(), config.layerInputSize(layer),
                        config.outputSize(), wIh, wHh, wHr, w.bIh(), w.bHh(), precision);
                biases[layer][dir] = new LayerWeights(null, null, w.bIh() == null ? null : w.bIh().clone(),
                        w.bHh() == null ? null : w.bHh().clone(), null);
            }
        }
        return inferenceOnly(config, precision, encoded, biases);
    }

    /** A module of this kind ({@link LSTM}, {@link GRU} or {@link RNN}) from {@link #RNNBase(Config, Precision, LayerPanels[][], LayerWeights[][])}'s arguments. */
    private static RNNBase inferenceOnly(Config config, Precision precision, LayerPanels[][] panels,
                                         LayerWeights[][] biases) {
        if (config instanceof LSTM.Config c) {
            return new LSTM(c, precision, panels, biases);
        }
        if (config instanceof GRU.Config c) {
            return new GRU(c, precision, panels, biases);
        }
        return new RNN((RNN.Config) config, precision, panels, biases);
    }

    private static float[] rowMajor(PanelMatrix w) {
        float[] values = new float[ArraySizes.length("weight (rows, cols)", w.rows(), w.cols())];
        w.toRowMajor(values, 0);
        return values;
    }

    /** How the weight matrices are stored: FP32 for a trainable module, else as {@link #withWeightPrecision} chose. */
    public Precision weightPrecision() {
        return weightPrecision;
    }

    /** True for a module made by {@link #withWeightPrecision}: inference only, no parameters. */
    public boolean isInferenceOnly() {
        return inferenceOnly;
    }

    /**
     * The state dict of the float32 module that computes what this one computes, in PyTorch's
     * names: every weight as the kernels read it (bf16 widened exactly; int8 times its row's
     * scale, PyTorch's {@code dequantize()}), biases as they are. Fresh tensors; for a trainable
     * module a copy of {@link #stateDict()}.
     */
    public Map<String, Tensor> dequantizedStateDict() {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        if (!inferenceOnly) {
            stateDict().forEach((name, value) -> out.put(name, value.copy()));
            return out;
        }
        LayerPanels[][] p = panels();
        for (ParameterSpec spec : config.parameterSpecs()) {
            LayerPanels layer = p[spec.layer()][spec.direction()];
            LayerWeights biases = weights[spec.layer()][spec.direction()];
            float[] values = switch (spec.kind()) {
                case WEIGHT_IH -> rowMajor(layer.wIh());
                case WEIGHT_HH -> rowMajor(layer.wHh());
                case WEIGHT_HR -> rowMajor(layer.wHr());
                case BIAS_IH -> biases.bIh().clone();
                case BIAS_HH -> biases.bHh().clone();
            };
            out.put(spec.name(), Tensor.of(values, spec.shape()));
        }
        return out;
    }

    /**
     * Bytes this module keeps for its weights and biases: a trainable module its float32
     * parameters and their panels (two copies, 8 bytes per parameter), an inference-only one its
     * panels in its precision and the biases. Divide by {@link #parameterCount()} for bytes per
     * parameter.
     */
    public long weightBytes() {
        long bytes = 0;
        for (LayerPanels[] layer : panels()) {
            for (LayerPanels p : layer) {
                bytes += p.storageBytes();
            }
        }
        for (LayerWeights[] layer : weights) {
            for (LayerWeights w : layer) {
                for (float[] values : new float[][] {w.wIh(), w.wHh(), w.bIh(), w.bHh(), w.wHr()}) {
                    bytes += values == null ? 0 : 4L * values.length;
                }
            }
        }
        return bytes;
    }

    /** Elements of every parameter PyTorch's module of this configuration has (weights and biases). */
    public long parameterCount() {
        long count = 0;
        for (ParameterSpec spec : config.parameterSpecs()) {
            long numel = 1;
            for (int d : spec.shape()) {
                numel *= d;
            }
            count += numel;
        }
        return count;
    }

    /**
     * A workspace for stepping this module from one thread without allocating; see
     * {@link InferenceSession}. Any number of sessions may share this module.
     *
     * @param maxBatch the most streams one call will step
     * @throws IllegalArgumentException for a bidirectional or REVERSE module (it needs the whole
     *                                  sequence)
     */
    public InferenceSession newSession(int maxBatch) {
        return new InferenceSession(this, maxBatch);
    }

    /**
     * Restarts the training-mode dropout stream from {@code seed} ({@code torch.manual_seed} for
     * this module): the next forward passes draw the same masks as after any other call with the
     * same seed. Masks take one {@code nextDouble()} per element of each non-last layer's
     * (R, D·H_out) output, layer by layer (see {@link DropoutMath}).
     */
    public void manualSeed(long seed) {
        synchronized (dropoutLock) {
            dropoutRandom = new SplittableRandom(seed);
        }
    }

    /**
     * {@link RecurrentForwardPass#forwardStack}; out of heap, it says about how much the call's
     * buffers needed: the layer outputs (R, D·H_out) and gates (R, G·H) it keeps at once — two
     * layer outputs and one gates buffer in inference, every layer's with a trace.
     */
    private float[] forwardStack(float[] x, int[] batchSizes, int batch, float[] h, float[] c, RecurrentTrace trace) {
        try {
            return forwardPass.forwardStack(x, batchSizes, batch, h, c, trace);
        } catch (OutOfMemoryError e) {
            long rows = 0;
            for (int live : batchSizes) {
                rows += live;
            }
            long outputs = rows * config.numDirections() * config.outputSize();
            long gates = rows * config.gateSize();
            long floats = trace == null ? 2 * outputs + gates
                    : config.numLayers() * (outputs + config.numDirections() * gates);
            throw ArraySizes.outOfMemory(mode().moduleName() + " forward pass over " + rows + " rows (L·N) of "
                    + config.inputSize() + " features", floats);
        }
    }

    /** The forward pass; with a trace it also keeps what {@link RecurrentBackwardPass#backwardStack} needs. */
    Result run(Tensor input, Tensor h0, Tensor c0, RecurrentTrace trace) {
        Objects.requireNonNull(input, "input");
        requireBothOrNeither(h0, c0);
        if (input.dim() != 2 && input.dim() != 3) {
            throw new IllegalArgumentException(mode().moduleName() + ": Expected input to be 2D or 3D, got "
                    + input.dim() + "D instead");
        }
        boolean batched = input.dim() == 3;
        if (h0 != null) {
            checkStateDims(batched, h0, c0);
        }
        checkInputSize(input);
        // Everything below works on time-major (L, N, H_in).
        Tensor timeMajor = !batched ? input.reshape(input.size(0), 1, input.size(1))
                : config.batchFirst() ? input.transpose(0, 1) : input;
        int steps = timeMajor.size(0);
        int batch = timeMajor.size(1);
        if (steps == 0) {
            throw new IllegalArgumentException("Expected sequence length to be larger than 0 in RNN, got input of shape "
                    + input.shapeString());
        }
        int stateRows = stateRows();
        float[] h = new float[ArraySizes.length("h_n (D·num_layers, N, H_out)", stateRows, batch, config.outputSize())];
        float[] c = !cell.hasCellState() ? null
                : new float[ArraySizes.length("c_n (D·num_layers, N, H_cell)", stateRows, batch, config.hiddenSize())];
        if (h0 != null) {
            checkHidden(h0, c0, batched ? batch : -1);
            System.arraycopy(TensorData.array(h0), 0, h, 0, h.length);
            if (c != null) {
                System.arraycopy(TensorData.array(c0), 0, c, 0, c.length);
            }
        }
        int[] batchSizes = new int[steps];
        Arrays.fill(batchSizes, batch);
        float[] out = forwardStack(TensorData.array(timeMajor), batchSizes, batch, h, c, trace);

        int width = config.numDirections() * config.outputSize();
        Tensor output = Tensor.of(out, steps, batch, width);
        int[] hShape = batched ? new int[] {stateRows, batch, config.outputSize()}
                : new int[] {stateRows, config.outputSize()};
        int[] cShape = batched ? new int[] {stateRows, batch, config.hiddenSize()}
                : new int[] {stateRows, config.hiddenSize()};
        if (!batched) {
            output = output.reshape(steps, width);
        } else if (config.batchFirst()) {
            output = output.transpose(0, 1);
        }
        return new Result(output, Tensor.of(h, hShape), c == null ? null : Tensor.of(c, cShape));
    }

    /**
     * {@link #run} on the autograd tape: {@code loss.backward()} then fills every parameter's
     * {@code grad()} and the gradients of input, h0 (and c0) where they require grad. Inside
     * {@link Autograd#noGrad()} this is plain inference. c0 is null without a cell state.
     */
    VariableResult runVariables(Variable input, Variable h0, Variable c0) {
        Objects.requireNonNull(input, "input");
        Tensor h0Value = h0 == null ? null : h0.value();
        Tensor c0Value = c0 == null ? null : c0.value();
        if (!recordsForBackward(input, h0, c0)) {
            Result out = run(input.value(), h0Value, c0Value, null);
            return new VariableResult(Variable.of(out.output()), Variable.of(out.hN()), constant(out.cN()));
        }
        RecurrentTrace trace = new RecurrentTrace();
        Result out = run(input.value(), h0Value, c0Value, trace);
        boolean batchFirst = input.dim() == 3 && config.batchFirst();
        boolean cellState = cell.hasCellState();
        Variable[] inputs = cellState ? new Variable[] {input, h0, c0} : new Variable[] {input, h0};
        Tensor[] outputs = cellState ? new Tensor[] {out.output(), out.hN(), out.cN()}
                : new Tensor[] {out.output(), out.hN()};
        Tensor[] saved = savedForBackward(input.value(), h0Value, c0Value);
        Variable[] v = Autograd.record(mode().moduleName(), inputs, saved, true, outputs, (dOut, dIn) -> {
            float[] dOutput = dOut[0] == null ? null
                    : batchFirst ? TensorData.array(dOut[0].transpose(0, 1)) : TensorData.array(dOut[0]);
            float[] dh = dOut[1] == null ? new float[out.hN().numel()] : TensorData.array(dOut[1]).clone();
            float[] dc = !cellState ? null
                    : dOut[2] == null ? new float[out.cN().numel()] : TensorData.array(dOut[2]).clone();
            float[] dx = dIn[0] == null ? null : new float[input.value().numel()];
            backwardPass.backwardStack(trace, dOutput, dh, dc, dx);
            if (dx != null) {
                int[] shape = input.shape();
                float[] dxCaller = batchFirst
                        ? TensorData.array(Tensor.of(dx, shape[1], shape[0], shape[2]).transpose(0, 1)) : dx;
                addInto(dxCaller, TensorData.array(dIn[0]));
            }
            if (dIn[1] != null) {
                addInto(dh, TensorData.array(dIn[1]));
            }
            if (cellState && dIn[2] != null) {
                addInto(dc, TensorData.array(dIn[2]));
            }
        });
        return new VariableResult(v[0], v[1], cellState ? v[2] : null);
    }

    /**
     * The forward pass over a packed batch of variable-length sequences, as PyTorch runs it: each
     * sequence is read only up to its own length, the backward direction starts at each
     * sequence's own last element, and hN (cN) hold each sequence's state at its true last step.
     * h0 and c0 (D·numLayers, N, ·) are in the caller's batch order, as are hN and cN; batchFirst
     * does not apply to packed input.
     */
    PackedResult runPacked(PackedSequence input, Tensor h0, Tensor c0, RecurrentTrace trace) {
        Objects.requireNonNull(input, "input");
        requireBothOrNeither(h0, c0);
        Tensor data = input.data();
        if (data.dim() != 2) {
            throw new IllegalArgumentException("input must have 2 dimensions, got " + data.dim());
        }
        checkInputSize(data);
        int batch = input.batchSize();
        int stateRows = stateRows();
        int projected = config.outputSize();
        int hidden = config.hiddenSize();
        float[] h = new float[ArraySizes.length("h_n (D·num_layers, N, H_out)", stateRows, batch, projected)];
        float[] c = !cell.hasCellState() ? null
                : new float[ArraySizes.length("c_n (D·num_layers, N, H_cell)", stateRows, batch, hidden)];
        int[] sorted = input.sortedIndices();
        if (h0 != null) {
            checkStateDims(true, h0, c0);
            checkHidden(h0, c0, batch);
            permuteBatch(TensorData.array(h0), h, stateRows, batch, projected, sorted);
            if (c != null) {
                permuteBatch(TensorData.array(c0), c, stateRows, batch, hidden, sorted);
            }
        }
        float[] out = forwardStack(TensorData.array(data), input.batchSizes(), batch, h, c, trace);
        int[] unsorted = input.unsortedIndices();
        float[] hN = new float[h.length];
        permuteBatch(h, hN, stateRows, batch, projected, unsorted);
        Tensor cN = null;
        if (c != null) {
            float[] cSorted = new float[c.length];
            permuteBatch(c, cSorted, stateRows, batch, hidden, unsorted);
            cN = Tensor.of(cSorted, stateRows, batch, hidden);
        }
        PackedSequence output = new PackedSequence(Tensor.of(out, data.size(0), config.numDirections() * projected),
                input.batchSizes(), sorted, input.unsortedIndices());
        return new PackedResult(output, Tensor.of(hN, stateRows, batch, projected), cN);
    }

    /**
     * {@link #runPacked} on the autograd tape: gradients reach the packed data (and through
     * {@link PackedVariable#pack} the padded input), h0 and c0, all in the caller's batch order.
     */
    PackedVariableResult runPackedVariables(PackedVariable input, Variable h0, Variable c0) {
        Objects.requireNonNull(input, "input");
        Tensor h0Value = h0 == null ? null : h0.value();
        Tensor c0Value = c0 == null ? null : c0.value();
        PackedSequence sequence = input.toPackedSequence();
        if (!recordsForBackward(input.data(), h0, c0)) {
            PackedResult out = runPacked(sequence, h0Value, c0Value, null);
            return new PackedVariableResult(PackedVariable.of(out.output()), Variable.of(out.hN()),
                    constant(out.cN()));
        }
        RecurrentTrace trace = new RecurrentTrace();
        PackedResult out = runPacked(sequence, h0Value, c0Value, trace);
        int stateRows = stateRows();
        int batch = sequence.batchSize();
        int[] sorted = sequence.sortedIndices();
        int[] unsorted = sequence.unsortedIndices();
        boolean cellState = cell.hasCellState();
        Variable[] inputs = cellState ? new Variable[] {input.data(), h0, c0} : new Variable[] {input.data(), h0};
        Tensor[] outputs = cellState ? new Tensor[] {out.output().data(), out.hN(), out.cN()}
                : new Tensor[] {out.output().data(), out.hN()};
        Tensor[] saved = savedForBackward(sequence.data(), h0Value, c0Value);
        Variable[] v = Autograd.record(mode().moduleName(), inputs, saved, true, outputs, (dOut, dIn) -> {
            float[] dh = new float[out.hN().numel()];
            float[] dc = cellState ? new float[out.cN().numel()] : null;
            if (dOut[1] != null) {
                permuteBatch(TensorData.array(dOut[1]), dh, stateRows, batch, config.outputSize(), sorted);
            }
            if (cellState && dOut[2] != null) {
                permuteBatch(TensorData.array(dOut[2]), dc, stateRows, batch, config.hiddenSize(), sorted);
            }
            float[] dx = dIn[0] == null ? null : new float[sequence.data().numel()];
            backwardPass.backwardStack(trace, dOut[0] == null ? null : TensorData.array(dOut[0]), dh, dc, dx);
            if (dx != null) {
                addInto(dx, TensorData.array(dIn[0]));
            }
            if (dIn[1] != null) {
                float[] dh0 = new float[dh.length];
                permuteBatch(dh, dh0, stateRows, batch, config.outputSize(), unsorted);
                addInto(dh0, TensorData.array(dIn[1]));
            }
            if (cellState && dIn[2] != null) {
                float[] dc0 = new float[dc.length];
                permuteBatch(dc, dc0, stateRows, batch, config.hiddenSize(), unsorted);
                addInto(dc0, TensorData.array(dIn[2]));
            }
        });
        PackedVariable output = new PackedVariable(v[0], out.output().batchSizes(), sorted, unsorted);
        return new PackedVariableResult(output, v[1], cellState ? v[2] : null);
    }

    /**
     * What the backward reads besides its trace: the input, h0, c0 (each may be null) and every
     * weight. A change to any of them between forward and backward is refused (see
     * {@link Autograd#record(String, Variable[], Tensor[], boolean, Tensor[], org.lstm4j.autograd.BackwardFunction)}).
     */
    private Tensor[] savedForBackward(Tensor input, Tensor h0, Tensor c0) {
        List<Parameter> weights = parameters();
        Tensor[] saved = new Tensor[3 + weights.size()];
        saved[0] = input;
        saved[1] = h0;
        saved[2] = c0;
        for (int k = 0; k < weights.size(); k++) {
            saved[3 + k] = weights.get(k).data();
        }
        return saved;
    }

    /**
     * The forward pass from {@code state}, returning the state after the last step, so a long
     * sequence can be fed in chunks: any chunking gives the same outputs and final state as one
     * call. Forward modules only (not bidirectional or REVERSE); input (L, N, H_in), (N, L, H_in) with batchFirst, or
     * unbatched (L, H_in) with a state of one stream.
     */
    StatefulResult runFrom(Tensor input, RecurrentState state) {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(state, "state");
        String backward = backwardInTime();
        if (backward != null) {
            throw new IllegalArgumentException("forward(input, state) carries state forward in time and needs a"
                    + " unidirectional " + mode().moduleName() + " that runs forward in time; " + backward
                    + " must see the whole sequence: use forward(input)");
        }
        requireInferenceMode();
        checkStateKind(state);
        Tensor h = state.h();
        Tensor c = state instanceof LSTMState s ? s.c() : null;
        int layers = config.numLayers();
        if (input.dim() == 2) {
            checkState(state, 1);
            Result out = run(input, h.reshape(layers, config.outputSize()),
                    c == null ? null : c.reshape(layers, config.hiddenSize()), null);
            return new StatefulResult(out.output(), stateOf(out.hN().reshape(layers, 1, config.outputSize()),
                    out.cN() == null ? null : out.cN().reshape(layers, 1, config.hiddenSize())));
        }
        Result out = run(input, h, c, null);
        return new StatefulResult(out.output(), stateOf(out.hN(), out.cN()));
    }

    /** One step in stream mode, leaving {@code state} alone: the output and a new state. */
    StatefulResult stepFrom(Tensor x, RecurrentState state) {
        RecurrentState next = Objects.requireNonNull(state, "state").copy();
        Tensor y = new InferenceSession(this, next.batchSize()).step(x, next);
        return new StatefulResult(y, next);
    }

    /**
     * What in this module reads the sequence from its end, for refusing step-wise use (stream
     * mode, carried state): "a bidirectional LSTM", "an LSTM with direction REVERSE"; null when
     * every layer runs forward in time only.
     */
    String backwardInTime() {
        return switch (config.direction()) {
            case FORWARD -> null;
            case BIDIRECTIONAL -> "a bidirectional " + mode().moduleName();
            case REVERSE -> mode().withArticle() + " with direction REVERSE";
        };
    }

    private static RecurrentState stateOf(Tensor h, Tensor c) {
        return c == null ? new HiddenState(h) : new LSTMState(h, c);
    }

    /**
     * True when a forward pass on the tape must keep what backward needs: gradients are enabled
     * and this module is trainable. An inference-only module runs as inference when none of its
     * inputs needs a gradient, and refuses when one does (none flows through it).
     */
    private boolean recordsForBackward(Variable... inputs) {
        if (!Autograd.isGradEnabled()) {
            return false;
        }
        if (!inferenceOnly) {
            return true;
        }
        for (Variable v : inputs) {
            if (v != null && v.requiresGrad()) {
                throw new IllegalStateException(inferenceOnlyMessage()
                        + "; no gradient flows through it: train the float32 module, or run this one on inputs"
                        + " that need no gradient (Autograd.noGrad)");
            }
        }
        return false;
    }

    @Override
    String trainingRefusal() {
        return inferenceOnly ? inferenceOnlyMessage() + "; train() is refused: train the float32 module"
                : super.trainingRefusal();
    }

    private String inferenceOnlyMessage() {
        return "this " + mode().moduleName() + " is inference-only (" + weightPrecision.cliName()
                + " weights from withWeightPrecision)";
    }

    /** Stream mode has no dropout: refuse training mode when dropout would apply. */
    void requireInferenceMode() {
        if (isTraining() && config.dropout() > 0 && config.numLayers() > 1) {
            throw new IllegalStateException("stream mode is for inference: this " + mode().moduleName()
                    + " is in training mode with dropout=" + config.dropout() + "; call eval() first");
        }
    }

    /** Throws unless {@code state} is this mode's kind of state (LSTMState for an LSTM, else HiddenState). */
    void checkStateKind(RecurrentState state) {
        if ((state instanceof LSTMState) != cell.hasCellState()) {
            String module = mode().withArticle();
            throw new IllegalArgumentException(cell.hasCellState()
                    ? "Expected an LSTMState (h, c) for " + module + ", got a HiddenState (h only)"
                    : "Expected a HiddenState (h only) for " + module + ", got an LSTMState (h, c)");
        }
    }

    /** Checks that {@code state} fits this module with {@code batch} streams, saying expected vs got. */
    void checkState(RecurrentState state, int batch) {
        checkStateKind(state);
        int[] expectedH = {config.numLayers(), batch, config.outputSize()};
        int[] expectedC = {config.numLayers(), batch, config.hiddenSize()};
        if (state instanceof LSTMState s) {
            if (!Arrays.equals(s.h().shape(), expectedH) || !Arrays.equals(s.c().shape(), expectedC)) {
                throw new IllegalArgumentException("Expected state h " + tupleString(expectedH) + " and c "
                        + tupleString(expectedC) + ", got h " + s.h().shapeString() + " and c " + s.c().shapeString());
            }
        } else if (!Arrays.equals(state.h().shape(), expectedH)) {
            throw new IllegalArgumentException("Expected state h " + tupleString(expectedH) + ", got h "
                    + state.h().shapeString());
        }
    }

    /** weights[layer][direction]: every cell's parameters, views of the registered ones (read-only use). */
    LayerWeights[][] weights() {
        return weights;
    }

    CellMath cell() {
        return cell;
    }

    MatrixKernels kernels() {
        return kernels;
    }

    PointwiseKernels pointwise() {
        return pointwise;
    }

    /**
     * The weights in panels for {@link #kernels()}, laid out again first if any parameter's
     * {@link Parameter#version()} moved since the last time (an optimizer step, a state-dict load,
     * a write through a parameter's tensor).
     */
    LayerPanels[][] panels() {
        return panels.get();
    }

    private LayerPanels[][] layOutPanels() {
        LayerPanels[][] layers = new LayerPanels[config.numLayers()][config.numDirections()];
        for (int layer = 0; layer < layers.length; layer++) {
            for (int dir = 0; dir < layers[layer].length; dir++) {
                LayerWeights w = weights[layer][dir];
                layers[layer][dir] = LayerPanels.of(kernels, cell, config.hiddenSize(), config.layerInputSize(layer),
                        config.outputSize(), w.wIh(), w.wHh(), w.wHr(), w.bIh(), w.bHh());
            }
        }
        return layers;
    }

    /** The lock to hold while drawing from {@link #dropoutRandom()}. */
    Object dropoutLock() {
        return dropoutLock;
    }

    /** The training-mode dropout stream: use it only while holding {@link #dropoutLock()}. */
    SplittableRandom dropoutRandom() {
        return dropoutRandom;
    }

    /** D·numLayers: rows of h0, hN (and c0, cN). */
    int stateRows() {
        return config.numDirections() * config.numLayers();
    }

    private static Variable constant(Tensor t) {
        return t == null ? null : Variable.of(t);
    }

    /** dst[s, k, :] = src[s, order[k], :] for every state row s; a plain copy when order is null. */
    private static void permuteBatch(float[] src, float[] dst, int stateRows, int batch, int width, int[] order) {
        if (order == null) {
            System.arraycopy(src, 0, dst, 0, dst.length);
            return;
        }
        for (int s = 0; s < stateRows; s++) {
            for (int k = 0; k < batch; k++) {
                System.arraycopy(src, (s * batch + order[k]) * width, dst, (s * batch + k) * width, width);
            }
        }
    }

    private static void addInto(float[] src, float[] dst) {
        for (int i = 0; i < dst.length; i++) {
            dst[i] += src[i];
        }
    }

    /** PyTorch's {@code check_input}: the last dimension is input_size. */
    private void checkInputSize(Tensor input) {
        if (input.size(-1) != config.inputSize()) {
            throw new IllegalArgumentException("input.size(-1) must be equal to input_size. Expected "
                    + config.inputSize() + ", got " + input.size(-1));
        }
    }

    /** An LSTM's hx is the pair (h0, c0): both given or neither. */
    private void requireBothOrNeither(Tensor h0, Tensor c0) {
        if (!cell.hasCellState()) {
            return;
        }
        if ((h0 == null) != (c0 == null)) {
            throw new IllegalArgumentException("h0 and c0 must be given together (PyTorch's hx is a tuple (h_0, c_0)),"
                    + " got h0 " + (h0 == null ? "null" : h0.shapeString()) + " and c0 "
                    + (c0 == null ? "null" : c0.shapeString()));
        }
    }

    /** PyTorch's forward: batched input needs 3-D states, unbatched 2-D, worded per mode. */
    private void checkStateDims(boolean batched, Tensor h0, Tensor c0) {
        int expected = batched ? 3 : 2;
        String which = batched ? "For batched 3-D input, " : "For unbatched 2-D input, ";
        if (cell.hasCellState()) {
            if (h0.dim() != expected || c0.dim() != expected) {
                throw new IllegalArgumentException(which + "hx and cx should also be " + expected + "-D but got ("
                        + h0.dim() + "-D, " + c0.dim() + "-D) tensors");
            }
        } else if (h0.dim() != expected) {
            throw new IllegalArgumentException(which + "hx should also be " + expected + "-D but got " + h0.dim()
                    + "-D tensor");
        }
    }

    /**
     * PyTorch's {@code check_forward_args}: hidden (LSTM: hidden[0] and hidden[1]) of the expected
     * size; {@code batch} is -1 for unbatched (2-D) states.
     */
    private void checkHidden(Tensor h0, Tensor c0, int batch) {
        int stateRows = stateRows();
        int[] expectedH = batch < 0 ? new int[] {stateRows, config.outputSize()}
                : new int[] {stateRows, batch, config.outputSize()};
        if (!cell.hasCellState()) {
            checkHiddenSize(h0, expectedH, "hidden");
            return;
        }
        int[] expectedC = batch < 0 ? new int[] {stateRows, config.hiddenSize()}
                : new int[] {stateRows, batch, config.hiddenSize()};
        checkHiddenSize(h0, expectedH, "hidden[0]");
        checkHiddenSize(c0, expectedC, "hidden[1]");
    }

    private static void checkHiddenSize(Tensor hx, int[] expected, String which) {
        if (!Arrays.equals(hx.shape(), expected)) {
            throw new IllegalArgumentException("Expected " + which + " size " + tupleString(expected) + ", got "
                    + hx.shapeString());
        }
    }

    /** Formats a shape as Python prints a tuple: (2, 3, 20). */
    static String tupleString(int[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(shape[i]);
        }
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }

    /**
     * PyTorch's repr, {@code GRU(10, 20, num_layers=2, batch_first=True)}: the non-default
     * arguments (an LSTM's proj_size last, as lstm4j has always printed it).
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(mode().moduleName()).append('(').append(config.inputSize()).append(", ")
                .append(config.hiddenSize());
        if (config.numLayers() != 1) {
            sb.append(", num_layers=").append(config.numLayers());
        }
        if (!config.bias()) {
            sb.append(", bias=False");
        }
        if (config.batchFirst()) {
            sb.append(", batch_first=True");
        }
        if (config.dropout() != 0) {
            sb.append(", dropout=").append(config.dropout());
        }
        if (config.bidirectional()) {
            sb.append(", bidirectional=True");
        } else if (config.direction() == Direction.REVERSE) {
            sb.append(", direction=\"reverse\"");
        }
        if (config.projSize() != 0) {
            sb.append(", proj_size=").append(config.projSize());
        }
        return sb.append(')').toString();
    }
}
