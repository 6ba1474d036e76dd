package org.lstm4j.nn;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.lstm4j.autograd.Autograd;
import org.lstm4j.autograd.PackedVariable;
import org.lstm4j.autograd.Variable;
import org.lstm4j.internal.ArraySizes;
import org.lstm4j.internal.TensorData;
import org.lstm4j.io.Onnx;
import org.lstm4j.io.RecurrentStack;
import org.lstm4j.io.StateDicts;
import org.lstm4j.kernels.Kernels;
import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.kernels.PackedMatrix;
import org.lstm4j.math.LSTMMath;
import org.lstm4j.kernels.PointwiseKernels;
import org.lstm4j.math.DropoutMath;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.nn.LSTM}: same constructor arguments, shapes, parameter names and
 * numbers.
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
 * N = batch, L = sequence length, D = 2 if bidirectional else 1, H_in = inputSize,
 * H_cell = hiddenSize, H_out = projSize if projSize &gt; 0 else hiddenSize.
 * <ul>
 *   <li>input: (L, N, H_in), or (N, L, H_in) with batchFirst, or unbatched (L, H_in)</li>
 *   <li>h0, hN: (D·numLayers, N, H_out); c0, cN: (D·numLayers, N, H_cell) — batchFirst never
 *       changes them; unbatched input uses (D·numLayers, H_out) and (D·numLayers, H_cell)</li>
 *   <li>output: (L, N, D·H_out), the <b>last layer's</b> h_t for every t; bidirectional
 *       concatenates [forward h_t, backward h_t] on the last dimension</li>
 *   <li>hN[2·l] is layer l forward, hN[2·l+1] layer l backward (unidirectional: hN[l])</li>
 * </ul>
 * Where users trip: {@code output[-1] == hN[-1]} only for the forward direction; for
 * bidirectional, the backward half of {@code output[0]} equals {@code hN[-1]}, since the
 * backward direction ends at t = 0.
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
 *
 * <p>Thread safety: {@code forward} does not modify the module (outside training-mode dropout's
 * random stream), so one instance in evaluation mode may serve many threads. Large calls are
 * split across lstm4j's worker threads ({@code -Dlstm4j.threads=N}, default: available
 * processors) with bit-identical results.
 *
 * <p>Weights are laid out once for the matrix kernels and laid out again when a parameter's
 * {@link Parameter#version()} moves: optimizer steps, {@code loadStateDict} and every write
 * through a parameter's tensor ({@link Tensor#set}, {@link Tensor#data()}) move it.
 */
public final class LSTM extends Module {

    private static final System.Logger LOG = System.getLogger(LSTM.class.getName());

    /**
     * The constructor arguments of {@code torch.nn.LSTM}, validated as PyTorch validates them.
     */
    public record Config(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst,
                         double dropout, boolean bidirectional, int projSize) {

        public Config {
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

        /** {@code torch.nn.LSTM(inputSize, hiddenSize)} with every other argument at its default. */
        public static Config of(int inputSize, int hiddenSize) {
            return new Config(inputSize, hiddenSize, 1, true, false, 0.0, false, 0);
        }

        /** This configuration with batchFirst replaced (a state dict does not record it). */
        public Config withBatchFirst(boolean value) {
            return new Config(inputSize, hiddenSize, numLayers, bias, value, dropout, bidirectional, projSize);
        }

        /** This configuration with dropout replaced (a state dict does not record it). */
        public Config withDropout(double value) {
            return new Config(inputSize, hiddenSize, numLayers, bias, batchFirst, value, bidirectional, projSize);
        }

        /**
         * The configuration of the LSTM whose parameters are exactly {@code stateDict} (bare names
         * such as {@code weight_ih_l0}); batchFirst and dropout take PyTorch's defaults.
         *
         * @throws IllegalArgumentException naming the tensor whose name or shape does not fit
         */
        public static Config fromStateDict(Map<String, Tensor> stateDict) {
            return LSTMConfigInference.infer(stateDict);
        }

        /** D: 2 if bidirectional, else 1. */
        public int numDirections() {
            return bidirectional ? 2 : 1;
        }

        /** H_out: projSize if projections are on, else hiddenSize. */
        public int outputSize() {
            return projSize > 0 ? projSize : hiddenSize;
        }

        /** Width of layer {@code layer}'s input: inputSize for layer 0, else D·H_out. */
        public int layerInputSize(int layer) {
            return layer == 0 ? inputSize : numDirections() * outputSize();
        }

        /**
         * Every parameter in PyTorch's order ({@code _flat_weights_names}): for each layer, for each
         * direction, weight_ih, weight_hh, bias_ih, bias_hh, weight_hr. This single list drives
         * creation, state dicts and loading.
         */
        public List<ParameterSpec> parameterSpecs() {
            List<ParameterSpec> specs = new ArrayList<>();
            for (int layer = 0; layer < numLayers; layer++) {
                for (int direction = 0; direction < numDirections(); direction++) {
                    for (ParameterKind kind : ParameterKind.values()) {
                        if ((kind.isBias() && !bias) || (kind == ParameterKind.WEIGHT_HR && projSize == 0)) {
                            continue;
                        }
                        specs.add(new ParameterSpec(kind, layer, direction, kind.shape(this, layer)));
                    }
                }
            }
            return Collections.unmodifiableList(specs);
        }
    }

    /** The five kinds of LSTM parameter, in PyTorch's order within a layer and direction. */
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
            int gates = 4 * config.hiddenSize();
            return switch (this) {
                case WEIGHT_IH -> new int[] {gates, config.layerInputSize(layer)};
                case WEIGHT_HH -> new int[] {gates, config.outputSize()};
                case BIAS_IH, BIAS_HH -> new int[] {gates};
                case WEIGHT_HR -> new int[] {config.projSize(), config.hiddenSize()};
            };
        }
    }

    /** One parameter: its kind, layer, direction (0 forward, 1 backward) and shape. */
    public record ParameterSpec(ParameterKind kind, int layer, int direction, int[] shape) {
        /** PyTorch's name, e.g. {@code weight_ih_l0} or {@code bias_hh_l1_reverse}. */
        public String name() {
            return kind.prefix() + "_l" + layer + (direction == 1 ? "_reverse" : "");
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
    public static final class Builder {
        private final int inputSize;
        private final int hiddenSize;
        private int numLayers = 1;
        private boolean bias = true;
        private boolean batchFirst;
        private double dropout;
        private boolean bidirectional;
        private int projSize;
        private Long seed;

        private Builder(int inputSize, int hiddenSize) {
            this.inputSize = inputSize;
            this.hiddenSize = hiddenSize;
        }

        public Builder numLayers(int numLayers) {
            this.numLayers = numLayers;
            return this;
        }

        public Builder bias(boolean bias) {
            this.bias = bias;
            return this;
        }

        public Builder batchFirst(boolean batchFirst) {
            this.batchFirst = batchFirst;
            return this;
        }

        public Builder dropout(double dropout) {
            this.dropout = dropout;
            return this;
        }

        public Builder bidirectional(boolean bidirectional) {
            this.bidirectional = bidirectional;
            return this;
        }

        public Builder projSize(int projSize) {
            this.projSize = projSize;
            return this;
        }

        /** Seed for the initial weights and the dropout stream (default: a random seed). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public LSTM build() {
            Config config = new Config(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout,
                    bidirectional, projSize);
            return new LSTM(config, seed != null ? seed : new SplittableRandom().nextLong());
        }
    }

    private final Config config;
    /** weights[layer][direction]: that cell's parameters, views of the registered ones. */
    private final LayerWeights[][] weights;
    /** The training-mode dropout stream; replaced by {@link #manualSeed}, guarded by {@code dropoutLock}. */
    private SplittableRandom dropoutRandom;
    private final Object dropoutLock = new Object();
    private final MatrixKernels kernels = Kernels.matrix();
    private final PointwiseKernels pointwise = Kernels.pointwise();
    private final LSTMForwardPass forwardPass;
    private final LSTMBackwardPass backwardPass;

    /** A cell's weights: wIh (4H, I), wHh (4H, P), bIh and bHh (4H) or null, wHr (P, H) or null. */
    record LayerWeights(float[] wIh, float[] wHh, float[] bIh, float[] bHh, float[] wHr) {
    }

    /**
     * A cell's weights laid out for {@link MatrixKernels#multTransBPacked}: W_ih and W_hh
     * gate-interleaved, W_hr plain or null; and bias = b_ih + b_hh ({@link LSTMMath#gateBias}) or
     * null.
     */
    record PackedLayer(PackedMatrix wIh, PackedMatrix wHh, PackedMatrix wHr, float[] bias) {
    }

    /** Every cell's packed weights, [layer][direction], kept in step with the parameters. */
    private final ParameterDerived<PackedLayer[][]> packed;

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
        this.config = Objects.requireNonNull(config, "config");
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
        this.weights = new LayerWeights[config.numLayers()][d];
        for (int layer = 0; layer < config.numLayers(); layer++) {
            for (int dir = 0; dir < d; dir++) {
                float[][] k = byKind[layer * d + dir];
                weights[layer][dir] = new LayerWeights(k[0], k[1], k[2], k[3], k[4]);
            }
        }
        this.packed = new ParameterDerived<>(parameters, this::pack);
        this.forwardPass = new LSTMForwardPass(this);
        this.backwardPass = new LSTMBackwardPass(this);
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
     * @throws IllegalArgumentException if there is no LSTM, several (the message lists their
     *                                  prefixes), or a tensor whose name or shape does not fit
     */
    public static LSTM fromStateDict(Map<String, Tensor> stateDict) {
        return fromStateDict(stateDict, LSTMConfigInference.findPrefix(stateDict.keySet()));
    }

    /** The LSTM whose keys start with {@code prefix} (e.g. "lstm." or "" for a bare LSTM). */
    public static LSTM fromStateDict(Map<String, Tensor> stateDict, String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        Map<String, Tensor> own = LSTMConfigInference.strip(stateDict, prefix);
        if (own.isEmpty()) {
            throw new IllegalArgumentException("no key starts with prefix \"" + prefix + "\"; LSTMs found under: "
                    + LSTMConfigInference.prefixes(stateDict.keySet()));
        }
        LSTM lstm = new LSTM(Config.fromStateDict(own), 0L);
        lstm.loadStateDict(own, true);
        return lstm;
    }

    /**
     * The LSTM in a model file: safetensors, {@code torch.save} (.pt/.pth: a state dict, a checkpoint
     * or a whole pickled model, zip or legacy format), a TorchScript archive, .npz or ONNX (its
     * {@code LSTM} nodes; see {@link Onnx}), read without executing anything from the file (see
     * {@link StateDicts}). The one LSTM in the file is found wherever its keys sit.
     *
     * <pre>{@code
     * // Python: torch.save(model.state_dict(), "model.pt")   or   torch.onnx.export(model, x, "model.onnx")
     * LSTM lstm = LSTM.load(Path.of("model.pt"));
     * }</pre>
     *
     * @throws IOException              if the file cannot be read or is not a supported format
     * @throws IllegalArgumentException if it holds no LSTM, several (choose with
     *                                  {@link #load(Path, String)}), or an inconsistent one
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

    /**
     * Writes this LSTM as an ONNX model: one {@code LSTM} node per layer, as torch.onnx.export
     * writes it, graph input {@code input} ((L, N, H_in), or (N, L, H_in) with batchFirst),
     * outputs {@code output}, {@code h_n} and {@code c_n} in PyTorch's shapes; the state starts at
     * zero. ONNX Runtime runs the file; {@link #load} reads it back.
     *
     * <pre>{@code
     * lstm.toOnnx(Path.of("lstm.onnx"), 17);
     * }</pre>
     *
     * @param opset the ai.onnx operator set, 7 to 22 ({@link Onnx#DEFAULT_OPSET} is a good choice)
     * @throws IllegalArgumentException for proj_size &gt; 0 (ONNX's LSTM has no projection) or an
     *                                  opset outside 7 to 22
     */
    public void toOnnx(Path file, int opset) throws IOException {
        toOnnx(file, Onnx.ExportOptions.opset(opset).withBatchFirst(config.batchFirst()));
    }

    /**
     * {@link #toOnnx(Path, int)} with every choice spelled out: {@code options} decide the opset,
     * the input layout (their batchFirst, not this module's), whether the graph takes
     * {@code h0}/{@code c0} inputs, and the module path the nodes are named after.
     */
    public void toOnnx(Path file, Onnx.ExportOptions options) throws IOException {
        if (config.projSize() > 0) {
            throw new IllegalArgumentException("cannot export an LSTM with proj_size=" + config.projSize()
                    + " to ONNX: ONNX's LSTM has no projection (torch.onnx.export refuses LSTMs with projections too)");
        }
        Onnx.write(file, new RecurrentStack(RecurrentStack.Mode.LSTM, config.inputSize(), config.hiddenSize(),
                config.numLayers(), config.bias(), config.bidirectional() ? RecurrentStack.Direction.BIDIRECTIONAL
                : RecurrentStack.Direction.FORWARD, stateDict()), options);
    }

    /**
     * SHA-256 of what this LSTM computes: its kind, configuration and parameters, so equal
     * fingerprints mean equal numbers. batchFirst and dropout are left out (neither changes a
     * step in evaluation mode). Bytes hashed, big-endian: {@code int32 4, "LSTM"}; {@code int32 6}
     * and the configuration {@code input_size, hidden_size, num_layers, bias (0/1),
     * bidirectional (0/1), proj_size} as int32; then per parameter in {@link #stateDict()} order
     * {@code int32 name length, UTF-8 name, int32 rank, rank × int32 shape, numel × int32 raw
     * IEEE-754 bits}. Computed on each call (parameters may change).
     *
     * <pre>{@code
     * String id = HexFormat.of().formatHex(lstm.fingerprint());   // 64 hex digits
     * }</pre>
     */
    public byte[] fingerprint() {
        int[] configuration = {config.inputSize(), config.hiddenSize(), config.numLayers(), config.bias() ? 1 : 0,
            config.bidirectional() ? 1 : 0, config.projSize()};
        return ModelFingerprint.of("LSTM", configuration, stateDict());
    }

    /**
     * Zero state for {@code batch} independent streams, for {@link #step} and
     * {@link #forward(Tensor, LSTMState)}.
     */
    public LSTMState zeroState(int batch) {
        return LSTMState.zeros(config, batch);
    }

    /**
     * A workspace for stepping this LSTM from one thread without allocating; see
     * {@link InferenceSession}. Any number of sessions may share this LSTM.
     *
     * @param maxBatch the most streams one call will step
     * @throws IllegalArgumentException for a bidirectional LSTM (it needs the whole sequence)
     */
    public InferenceSession newSession(int maxBatch) {
        return new InferenceSession(this, maxBatch);
    }

    /**
     * One time step in stream mode: {@code x} (N, H_in) for a state of N streams, or (H_in) for a
     * state of one. Returns the output and a new state; {@code state} is left alone. Feeding a
     * sequence one step at a time gives exactly {@link #forward(Tensor, Tensor, Tensor)}'s
     * numbers. For a steady stream without allocation use an {@link InferenceSession}.
     *
     * @throws IllegalArgumentException for a bidirectional LSTM or shapes that do not fit
     * @throws IllegalStateException    in training mode with dropout (call {@code eval()})
     */
    public StepOutput step(Tensor x, LSTMState state) {
        LSTMState next = Objects.requireNonNull(state, "state").copy();
        Tensor y = new InferenceSession(this, next.batchSize()).step(x, next);
        return new StepOutput(y, next);
    }

    /**
     * {@link #forward(Tensor, Tensor, Tensor)} starting from {@code state} and returning the state
     * after the last step, so a long sequence can be fed in chunks: any chunking gives the same
     * outputs and final state as one call. Unidirectional LSTMs only; input (L, N, H_in),
     * (N, L, H_in) with batchFirst, or unbatched (L, H_in) with a state of one stream.
     */
    public StatefulOutput forward(Tensor input, LSTMState state) {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(state, "state");
        if (config.bidirectional()) {
            throw new IllegalArgumentException("forward(input, state) carries state forward in time and needs a"
                    + " unidirectional LSTM; a bidirectional LSTM must see the whole sequence: use forward(input)");
        }
        requireInferenceMode();
        if (input.dim() == 2) {
            state.check(config, 1);
            Output out = forward(input, state.h().reshape(config.numLayers(), config.outputSize()),
                    state.c().reshape(config.numLayers(), config.hiddenSize()));
            return new StatefulOutput(out.output(), new LSTMState(out.hN().reshape(config.numLayers(), 1,
                    config.outputSize()), out.cN().reshape(config.numLayers(), 1, config.hiddenSize())));
        }
        Output out = forward(input, state.h(), state.c());
        return new StatefulOutput(out.output(), new LSTMState(out.hN(), out.cN()));
    }

    /** Stream mode has no dropout: refuse training mode when dropout would apply. */
    void requireInferenceMode() {
        if (isTraining() && config.dropout() > 0 && config.numLayers() > 1) {
            throw new IllegalStateException("stream mode is for inference: this LSTM is in training mode with dropout="
                    + config.dropout() + "; call eval() first");
        }
    }

    /** weights[layer][direction]: every cell's parameters, views of the registered ones (read-only use). */
    LayerWeights[][] weights() {
        return weights;
    }

    MatrixKernels kernels() {
        return kernels;
    }

    /**
     * The weights packed for {@link #kernels()}, repacked first if any parameter's
     * {@link Parameter#version()} moved since the last pack (an optimizer step, a state-dict
     * load, a write through a parameter's tensor).
     */
    PackedLayer[][] packedWeights() {
        return packed.get();
    }

    private PackedLayer[][] pack() {
        int hidden = config.hiddenSize();
        PackedLayer[][] layers = new PackedLayer[config.numLayers()][config.numDirections()];
        for (int layer = 0; layer < layers.length; layer++) {
            for (int dir = 0; dir < layers[layer].length; dir++) {
                LayerWeights w = weights[layer][dir];
                layers[layer][dir] = new PackedLayer(
                        kernels.packGates(w.wIh(), 0, hidden, config.layerInputSize(layer)),
                        kernels.packGates(w.wHh(), 0, hidden, config.outputSize()),
                        w.wHr() == null ? null : kernels.pack(w.wHr(), 0, config.projSize(), hidden),
                        LSTMMath.gateBias(w.bIh(), w.bHh()));
            }
        }
        return layers;
    }

    PointwiseKernels pointwise() {
        return pointwise;
    }

    /** The lock to hold while drawing from {@link #dropoutRandom()}. */
    Object dropoutLock() {
        return dropoutLock;
    }

    /** The training-mode dropout stream: use it only while holding {@link #dropoutLock()}. */
    SplittableRandom dropoutRandom() {
        return dropoutRandom;
    }

    /**
     * A copy of this LSTM (same weights, same mode) with batchFirst set: a state dict does not
     * record batch_first, so a model trained with {@code batch_first=True} is loaded as
     * {@code LSTM.load(path).withBatchFirst(true)}.
     */
    public LSTM withBatchFirst(boolean batchFirst) {
        LSTM copy = new LSTM(config.withBatchFirst(batchFirst), 0L);
        copy.loadStateDict(stateDict(), true);
        if (!isTraining()) {
            copy.eval();
        }
        return copy;
    }

    /** Every prefix under which {@code stateDict} holds an LSTM, e.g. ["lstm1.", "lstm2."]. */
    public static List<String> lstmPrefixes(Map<String, Tensor> stateDict) {
        return List.copyOf(LSTMConfigInference.prefixes(stateDict.keySet()));
    }

    public Config config() {
        return config;
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

    /** {@code forward(input, null, null)}: zero initial states. */
    public Output forward(Tensor input) {
        return forward(input, null, null);
    }

    /**
     * Runs the LSTM over {@code input}. {@code h0} and {@code c0} are given together or both null
     * (zeros). See the class documentation for shapes.
     *
     * @throws IllegalArgumentException for any shape that PyTorch would reject, worded as PyTorch
     */
    public Output forward(Tensor input, Tensor h0, Tensor c0) {
        return run(input, h0, c0, null);
    }

    /**
     * {@link #forward(Tensor, Tensor, Tensor)} on the autograd tape, for training:
     * {@code loss.backward()} then fills every parameter's {@code grad()} and the gradients of
     * {@code input}, {@code h0} and {@code c0} where they require grad. Inside
     * {@link Autograd#noGrad()} this is plain inference. h0 and c0 may both be null (zeros).
     */
    public VariableOutput forward(Variable input, Variable h0, Variable c0) {
        Objects.requireNonNull(input, "input");
        Tensor h0Value = h0 == null ? null : h0.value();
        Tensor c0Value = c0 == null ? null : c0.value();
        if (!Autograd.isGradEnabled()) {
            Output out = run(input.value(), h0Value, c0Value, null);
            return new VariableOutput(Variable.of(out.output()), Variable.of(out.hN()), Variable.of(out.cN()));
        }
        LSTMTrace trace = new LSTMTrace();
        Output out = run(input.value(), h0Value, c0Value, trace);
        boolean batchFirst = input.dim() == 3 && config.batchFirst();
        Variable[] v = Autograd.record("LSTM", new Variable[] {input, h0, c0},
                savedForBackward(input.value(), h0Value, c0Value), true,
                new Tensor[] {out.output(), out.hN(), out.cN()}, (dOut, dIn) -> {
                    float[] dOutput = dOut[0] == null ? null
                            : batchFirst ? TensorData.array(dOut[0].transpose(0, 1)) : TensorData.array(dOut[0]);
                    float[] dh = dOut[1] == null ? new float[out.hN().numel()] : TensorData.array(dOut[1]).clone();
                    float[] dc = dOut[2] == null ? new float[out.cN().numel()] : TensorData.array(dOut[2]).clone();
                    float[] dx = dIn[0] == null ? null : new float[input.value().numel()];
                    backwardPass.backwardPacked(trace, dOutput, dh, dc, dx);
                    if (dx != null) {
                        int[] shape = input.shape();
                        float[] dxCaller = batchFirst
                                ? TensorData.array(Tensor.of(dx, shape[1], shape[0], shape[2]).transpose(0, 1)) : dx;
                        addInto(dxCaller, TensorData.array(dIn[0]));
                    }
                    if (dIn[1] != null) {
                        addInto(dh, TensorData.array(dIn[1]));
                    }
                    if (dIn[2] != null) {
                        addInto(dc, TensorData.array(dIn[2]));
                    }
                });
        return new VariableOutput(v[0], v[1], v[2]);
    }

    /** The forward pass; with a trace it also keeps what {@link LSTMBackwardPass#backwardPacked} needs. */
    private Output run(Tensor input, Tensor h0, Tensor c0, LSTMTrace trace) {
        Objects.requireNonNull(input, "input");
        requireBothOrNeither(h0, c0);
        if (input.dim() != 2 && input.dim() != 3) {
            throw new IllegalArgumentException("LSTM: Expected input to be 2D or 3D, got " + input.dim() + "D instead");
        }
        boolean batched = input.dim() == 3;
        if (h0 != null) {
            int expected = batched ? 3 : 2;
            if (h0.dim() != expected || c0.dim() != expected) {
                throw new IllegalArgumentException((batched ? "For batched 3-D input, hx and cx should also be 3-D"
                        : "For unbatched 2-D input, hx and cx should also be 2-D") + " but got (" + h0.dim() + "-D, "
                        + c0.dim() + "-D) tensors");
            }
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
        int stateRows = config.numDirections() * config.numLayers();
        float[] h = new float[ArraySizes.length("h_n (D·num_layers, N, H_out)", stateRows, batch, config.outputSize())];
        float[] c = new float[ArraySizes.length("c_n (D·num_layers, N, H_cell)", stateRows, batch, config.hiddenSize())];
        if (h0 != null) {
            checkHidden(h0, c0, batched ? batch : -1);
            System.arraycopy(TensorData.array(h0), 0, h, 0, h.length);
            System.arraycopy(TensorData.array(c0), 0, c, 0, c.length);
        }
        int[] batchSizes = new int[steps];
        java.util.Arrays.fill(batchSizes, batch);
        float[] out = forwardPass.forwardPacked(TensorData.array(timeMajor), batchSizes, batch, h, c, trace);

        int width = config.numDirections() * config.outputSize();
        Tensor output = Tensor.of(out, steps, batch, width);
        if (!batched) {
            output = output.reshape(steps, width);
            return new Output(output, Tensor.of(h, stateRows, config.outputSize()),
                    Tensor.of(c, stateRows, config.hiddenSize()));
        }
        if (config.batchFirst()) {
            output = output.transpose(0, 1);
        }
        return new Output(output, Tensor.of(h, stateRows, batch, config.outputSize()),
                Tensor.of(c, stateRows, batch, config.hiddenSize()));
    }

    /**
     * Runs the LSTM over a packed batch of variable-length sequences, as PyTorch does: each
     * sequence is read only up to its own length, the backward direction starts at each
     * sequence's own last element, and hN / cN hold each sequence's state at its true last step.
     * {@code h0} and {@code c0} (D·numLayers, N, ·) are in the caller's batch order, as are hN and
     * cN; batchFirst does not apply to packed input.
     */
    public PackedOutput forward(PackedSequence input, Tensor h0, Tensor c0) {
        return runPacked(input, h0, c0, null);
    }

    /**
     * {@link #forward(PackedSequence, Tensor, Tensor)} on the autograd tape: gradients reach the
     * packed data (and through {@link PackedVariable#pack} the padded input), h0 and c0, all in
     * the caller's batch order.
     */
    public PackedVariableOutput forward(PackedVariable input, Variable h0, Variable c0) {
        Objects.requireNonNull(input, "input");
        Tensor h0Value = h0 == null ? null : h0.value();
        Tensor c0Value = c0 == null ? null : c0.value();
        PackedSequence sequence = input.toPackedSequence();
        if (!Autograd.isGradEnabled()) {
            PackedOutput out = runPacked(sequence, h0Value, c0Value, null);
            return new PackedVariableOutput(PackedVariable.of(out.output()), Variable.of(out.hN()),
                    Variable.of(out.cN()));
        }
        LSTMTrace trace = new LSTMTrace();
        PackedOutput out = runPacked(sequence, h0Value, c0Value, trace);
        int stateRows = config.numDirections() * config.numLayers();
        int batch = sequence.batchSize();
        int[] sorted = sequence.sortedIndices();
        int[] unsorted = sequence.unsortedIndices();
        Variable[] v = Autograd.record("LSTM", new Variable[] {input.data(), h0, c0},
                savedForBackward(sequence.data(), h0Value, c0Value), true,
                new Tensor[] {out.output().data(), out.hN(), out.cN()}, (dOut, dIn) -> {
                    float[] dh = new float[out.hN().numel()];
                    float[] dc = new float[out.cN().numel()];
                    if (dOut[1] != null) {
                        permuteBatch(TensorData.array(dOut[1]), dh, stateRows, batch, config.outputSize(), sorted);
                    }
                    if (dOut[2] != null) {
                        permuteBatch(TensorData.array(dOut[2]), dc, stateRows, batch, config.hiddenSize(), sorted);
                    }
                    float[] dx = dIn[0] == null ? null : new float[sequence.data().numel()];
                    backwardPass.backwardPacked(trace, dOut[0] == null ? null : TensorData.array(dOut[0]), dh, dc, dx);
                    if (dx != null) {
                        addInto(dx, TensorData.array(dIn[0]));
                    }
                    if (dIn[1] != null) {
                        float[] dh0 = new float[dh.length];
                        permuteBatch(dh, dh0, stateRows, batch, config.outputSize(), unsorted);
                        addInto(dh0, TensorData.array(dIn[1]));
                    }
                    if (dIn[2] != null) {
                        float[] dc0 = new float[dc.length];
                        permuteBatch(dc, dc0, stateRows, batch, config.hiddenSize(), unsorted);
                        addInto(dc0, TensorData.array(dIn[2]));
                    }
                });
        PackedVariable output = new PackedVariable(v[0], out.output().batchSizes(), sorted, unsorted);
        return new PackedVariableOutput(output, v[1], v[2]);
    }

    private PackedOutput runPacked(PackedSequence input, Tensor h0, Tensor c0, LSTMTrace trace) {
        Objects.requireNonNull(input, "input");
        requireBothOrNeither(h0, c0);
        Tensor data = input.data();
        if (data.dim() != 2) {
            throw new IllegalArgumentException("input must have 2 dimensions, got " + data.dim());
        }
        checkInputSize(data);
        int batch = input.batchSize();
        int stateRows = config.numDirections() * config.numLayers();
        int projected = config.outputSize();
        int hidden = config.hiddenSize();
        float[] h = new float[ArraySizes.length("h_n (D·num_layers, N, H_out)", stateRows, batch, projected)];
        float[] c = new float[ArraySizes.length("c_n (D·num_layers, N, H_cell)", stateRows, batch, hidden)];
        int[] sorted = input.sortedIndices();
        if (h0 != null) {
            if (h0.dim() != 3 || c0.dim() != 3) {
                throw new IllegalArgumentException("For batched 3-D input, hx and cx should also be 3-D but got ("
                        + h0.dim() + "-D, " + c0.dim() + "-D) tensors");
            }
            checkHidden(h0, c0, batch);
            permuteBatch(TensorData.array(h0), h, stateRows, batch, projected, sorted);
            permuteBatch(TensorData.array(c0), c, stateRows, batch, hidden, sorted);
        }
        float[] out = forwardPass.forwardPacked(TensorData.array(data), input.batchSizes(), batch, h, c, trace);
        int[] unsorted = input.unsortedIndices();
        float[] hN = new float[h.length];
        float[] cN = new float[c.length];
        permuteBatch(h, hN, stateRows, batch, projected, unsorted);
        permuteBatch(c, cN, stateRows, batch, hidden, unsorted);
        PackedSequence output = new PackedSequence(Tensor.of(out, data.size(0), config.numDirections() * projected),
                input.batchSizes(), sorted, input.unsortedIndices());
        return new PackedOutput(output, Tensor.of(hN, stateRows, batch, projected),
                Tensor.of(cN, stateRows, batch, hidden));
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

    private void checkInputSize(Tensor input) {
        if (input.size(-1) != config.inputSize()) {
            throw new IllegalArgumentException("input.size(-1) must be equal to input_size. Expected "
                    + config.inputSize() + ", got " + input.size(-1));
        }
    }

    private static void requireBothOrNeither(Tensor h0, Tensor c0) {
        if ((h0 == null) != (c0 == null)) {
            throw new IllegalArgumentException("h0 and c0 must be given together (PyTorch's hx is a tuple (h_0, c_0)),"
                    + " got h0 " + (h0 == null ? "null" : h0.shapeString()) + " and c0 "
                    + (c0 == null ? "null" : c0.shapeString()));
        }
    }

    /** PyTorch's check_forward_args for LSTM; {@code batch} is -1 for unbatched (2-D) states. */
    private void checkHidden(Tensor h0, Tensor c0, int batch) {
        int stateRows = config.numDirections() * config.numLayers();
        int[] expectedH = batch < 0 ? new int[] {stateRows, config.outputSize()}
                : new int[] {stateRows, batch, config.outputSize()};
        int[] expectedC = batch < 0 ? new int[] {stateRows, config.hiddenSize()}
                : new int[] {stateRows, batch, config.hiddenSize()};
        checkHiddenSize(h0, expectedH, "hidden[0]");
        checkHiddenSize(c0, expectedC, "hidden[1]");
    }

    private static void checkHiddenSize(Tensor hx, int[] expected, String which) {
        if (!java.util.Arrays.equals(hx.shape(), expected)) {
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

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("LSTM(").append(config.inputSize()).append(", ").append(config.hiddenSize());
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
        }
        if (config.projSize() != 0) {
            sb.append(", proj_size=").append(config.projSize());
        }
        return sb.append(')').toString();
    }
}
