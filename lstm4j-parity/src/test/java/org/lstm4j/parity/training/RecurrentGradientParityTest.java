package org.lstm4j.parity.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lstm4j.nn.PackedVariable;
import org.lstm4j.autograd.Variable;
import org.lstm4j.math.DropoutMath;
import org.lstm4j.nn.HiddenStateRNN;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.Parameter;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.nn.RNNBase.Mode;
import org.lstm4j.parity.LibTorch;
import org.lstm4j.tensor.Tensor;

/**
 * LSTM, GRU and RNN (tanh, relu) gradients against libtorch's autograd: for each of 48 seeded LSTM
 * configurations and 16 per other mode, spanning every option (layers, bidirectional, proj_size,
 * bias, batch_first, dropout in training mode, given or zero h0/c0, packed variable-length
 * batches, unbatched input), the loss L = Σ output·R1 + Σ h_n·R2 (+ Σ c_n·R3 for an LSTM) with
 * random R is differentiated by lstm4j ({@code loss.backward()}) and by libtorch
 * ({@code GradientCollector.backward} through {@code torch::lstm}, {@code torch::gru},
 * {@code torch::rnn_tanh}, {@code torch::rnn_relu}); every parameter's gradient and those of the
 * input, h0 and c0 must agree to 1e-4 of the gradient's largest magnitude.
 *
 * <p>How the reference is built, where {@code torch::lstm} alone cannot express the case:
 * <ul>
 *   <li>Dropout: libtorch's masks come from its own generator, so the stack is composed from
 *       one-layer libtorch calls with lstm4j's masks multiplied in between (a libtorch
 *       {@code mul}, so libtorch differentiates through it). The masks are regenerated from the
 *       seed given to {@link RNNBase#manualSeed} by the documented draw order
 *       ({@link DropoutMath#sampleMask}, layer by layer): if lstm4j drew or applied them
 *       differently the gradients would not match.</li>
 *   <li>Packed batches: DJL does not expose the packed overloads, so each
 *       sequence runs on its own over its true length (what packing means) and the gradients
 *       of the shared weights accumulate across the runs.</li>
 *   <li>batch_first: the reference transposes the input with a libtorch op and runs time-major.</li>
 * </ul>
 */
class RecurrentGradientParityTest {

    static final double TOLERANCE = 1e-4;
    private static final long DROPOUT_SEED = 4242;
    private static NDManager manager;
    private static final Map<String, Double> WORST = new TreeMap<>();

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    @AfterAll
    static void close() {
        manager.close();
        System.out.println("worst maxdiff / max|grad| per gradient kind over all configurations: " + WORST);
    }

    /** One configuration; lengths is null unless packed. */
    record Case(int index, RNNBase.Config config, int steps, int batch, boolean givenStates, int[] lengths,
                boolean unbatched) {
        @Override
        public String toString() {
            return String.format("#%d L=%d N=%d %s%s%s%s%s", index, steps, batch, RNNBase.create(config, 0),
                    config.mode() == Mode.RNN_RELU ? " relu" : "",
                    givenStates ? (config.mode().hasCellState() ? " h0/c0" : " h0") : "",
                    lengths != null ? " packed" + Arrays.toString(lengths) : "", unbatched ? " unbatched" : "");
        }
    }

    /** 48 LSTM configurations (seeds 1000+), then 16 per GRU, RNN_TANH, RNN_RELU (no proj_size). */
    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            cases.add(generate(Mode.LSTM, i, new SplittableRandom(1000 + i)));
        }
        for (Mode mode : new Mode[] {Mode.GRU, Mode.RNN_TANH, Mode.RNN_RELU}) {
            for (int i = 0; i < 16; i++) {
                cases.add(generate(mode, cases.size(), new SplittableRandom(3000 + 100 * mode.ordinal() + i)));
            }
        }
        return cases;
    }

    /** Case {@code i} of a mode: the options cycle with i, sizes from r. */
    private static Case generate(Mode mode, int i, SplittableRandom r) {
        int layers = 1 + i % 3;
        boolean bidirectional = (i / 3) % 2 == 1;
        int hidden = 2 + r.nextInt(6);
        int projSize = mode == Mode.LSTM && (i / 6) % 2 == 1 ? 1 + r.nextInt(hidden - 1) : 0;
        boolean bias = i % 5 != 0;
        boolean batchFirst = i % 4 == 1 || i % 8 == 7;
        double dropout = layers > 1 && i % 7 % 3 == 1 ? 0.2 + 0.1 * r.nextInt(5) : 0;
        boolean packed = i % 4 == 3;
        boolean unbatched = !packed && i % 6 == 4;
        int steps = 1 + r.nextInt(7);
        int batch = unbatched ? 1 : 1 + r.nextInt(4);
        int[] lengths = null;
        if (packed) {
            lengths = IntStream.range(0, batch).map(k -> 1 + r.nextInt(steps)).toArray();
            lengths[r.nextInt(batch)] = steps;
        }
        RNNBase.Config config = RNNBase.Config.of(mode, 1 + r.nextInt(5), hidden, layers, bias, batchFirst,
                dropout, bidirectional, projSize);
        return new Case(i, config, steps, batch, i % 3 != 2, lengths, unbatched);
    }

    @Test
    void theConfigurationsCoverEveryOption() {
        List<Case> everyMode = cases();
        for (Mode mode : Mode.values()) {
            assertThat(everyMode.stream().filter(c -> c.config().mode() == mode).count()).as(mode.name())
                    .isGreaterThanOrEqualTo(16);
        }
        List<Case> all = everyMode.stream().filter(c -> c.config().mode() == Mode.LSTM).toList();
        assertThat(all).hasSizeGreaterThanOrEqualTo(40);
        assertThat(all.stream().filter(c -> c.config().numLayers() == 3).count()).isGreaterThanOrEqualTo(3);
        assertThat(all.stream().filter(c -> c.config().bidirectional()).count()).isGreaterThanOrEqualTo(3);
        assertThat(all.stream().filter(c -> c.config().projSize() > 0).count()).isGreaterThanOrEqualTo(3);
        assertThat(all.stream().filter(c -> !c.config().bias()).count()).isGreaterThanOrEqualTo(3);
        assertThat(all.stream().filter(c -> c.config().batchFirst()).count()).isGreaterThanOrEqualTo(3);
        assertThat(all.stream().filter(c -> c.config().dropout() > 0).count()).isGreaterThanOrEqualTo(3);
        assertThat(all.stream().filter(c -> c.lengths() != null).count()).isGreaterThanOrEqualTo(3);
        assertThat(all.stream().filter(c -> c.lengths() != null && c.config().dropout() > 0).count())
                .isGreaterThanOrEqualTo(1);
        assertThat(all.stream().filter(c -> c.lengths() != null && c.config().projSize() > 0
                && c.config().bidirectional()).count()).isGreaterThanOrEqualTo(1);
        assertThat(all.stream().filter(Case::unbatched).count()).isGreaterThanOrEqualTo(3);
        assertThat(all.stream().filter(c -> !c.givenStates()).count()).isGreaterThanOrEqualTo(3);
    }

    static Stream<Case> configurations() {
        return cases().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void gradientsMatchLibtorchAutograd(Case c) {
        RNNBase.Config config = c.config();
        RNNBase module = RNNBase.create(config, 7 + c.index());
        boolean cellState = config.mode().hasCellState();
        int directions = config.numDirections();
        int stateRows = directions * config.numLayers();
        int proj = config.outputSize();
        int hidden = config.hiddenSize();
        boolean packed = c.lengths() != null;
        // lstm4j's input layout: padded (L, N, I) / (N, L, I) for packed and batched input, (L, I) unbatched
        int[] xShape = c.unbatched() ? new int[] {c.steps(), config.inputSize()}
                : config.batchFirst() ? new int[] {c.batch(), c.steps(), config.inputSize()}
                : new int[] {c.steps(), c.batch(), config.inputSize()};
        Tensor x = Tensor.randn(10L * c.index() + 1, xShape);
        int[] hShape = c.unbatched() ? new int[] {stateRows, proj} : new int[] {stateRows, c.batch(), proj};
        int[] cShape = c.unbatched() ? new int[] {stateRows, hidden} : new int[] {stateRows, c.batch(), hidden};
        Tensor h0 = c.givenStates() ? Tensor.randn(10L * c.index() + 2, hShape) : null;
        Tensor c0 = c.givenStates() && cellState ? Tensor.randn(10L * c.index() + 3, cShape) : null;

        // lstm4j
        Variable xv = Variable.requiringGrad(x);
        Variable h0v = h0 == null ? null : Variable.requiringGrad(h0);
        Variable c0v = c0 == null ? null : Variable.requiringGrad(c0);
        module.manualSeed(DROPOUT_SEED);
        Variable output;
        Variable hN;
        Variable cN = null;
        PackedVariable packedInput = null;
        if (packed) {
            packedInput = PackedVariable.pack(xv, c.lengths(), config.batchFirst(), false);
            if (module instanceof LSTM lstm) {
                LSTM.PackedVariableOutput out = lstm.forward(packedInput, h0v, c0v);
                output = out.output().data();
                hN = out.hN();
                cN = out.cN();
            } else {
                HiddenStateRNN.PackedVariableOutput out = ((HiddenStateRNN) module).forward(packedInput, h0v);
                output = out.output().data();
                hN = out.hN();
            }
        } else if (module instanceof LSTM lstm) {
            LSTM.VariableOutput out = lstm.forward(xv, h0v, c0v);
            output = out.output();
            hN = out.hN();
            cN = out.cN();
        } else {
            HiddenStateRNN.VariableOutput out = ((HiddenStateRNN) module).forward(xv, h0v);
            output = out.output();
            hN = out.hN();
        }
        Tensor r1 = Tensor.randn(10L * c.index() + 4, output.shape());
        Tensor r2 = Tensor.randn(10L * c.index() + 5, hN.shape());
        Tensor r3 = cN == null ? null : Tensor.randn(10L * c.index() + 6, cN.shape());
        Variable loss = output.mul(Variable.of(r1)).sum().add(hN.mul(Variable.of(r2)).sum());
        if (cN != null) {
            loss = loss.add(cN.mul(Variable.of(r3)).sum());
        }
        loss.backward();

        // libtorch
        Reference ref = new Reference(c, module, x, h0, c0, r1, r2, r3, packedInput);
        System.out.println(c + ":");
        List<RNNBase.ParameterSpec> specs = config.parameterSpecs();
        Map<String, Parameter> params = module.namedParameters();
        for (int k = 0; k < specs.size(); k++) {
            String name = specs.get(k).name();
            check(config.mode() + " " + name.replaceAll("_l\\d.*", ""), name, params.get(name).grad().data(),
                    ref.paramGrads[k]);
        }
        check(config.mode() + " input", "input", xv.grad().data(), ref.inputGrad);
        if (h0 != null) {
            check(config.mode() + " h0", "h0", h0v.grad().data(), ref.h0Grad);
        }
        if (c0 != null) {
            check(config.mode() + " c0", "c0", c0v.grad().data(), ref.c0Grad);
        }
    }

    private static void check(String kind, String name, float[] actual, float[] expected) {
        assertThat(actual).as(name).hasSize(expected.length);
        double scale = 0;
        double maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
        }
        double relative = scale == 0 ? maxDiff : maxDiff / scale;
        System.out.printf("  %-22s maxdiff %.2e  max|grad| %.2e  relative %.2e%n", name, maxDiff, scale, relative);
        WORST.merge(kind, relative, Math::max);
        assertThat(relative).as(name + ": maxdiff / max|grad|").isLessThanOrEqualTo(TOLERANCE);
    }

    /** libtorch's gradients for one case, laid out as lstm4j's. */
    private static final class Reference {
        final float[][] paramGrads;
        final float[] inputGrad;
        float[] h0Grad;
        float[] c0Grad;

        Reference(Case c, RNNBase module, Tensor x, Tensor h0, Tensor c0, Tensor r1, Tensor r2, Tensor r3,
                  PackedVariable packedInput) {
            RNNBase.Config config = c.config();
            boolean cellState = config.mode().hasCellState();
            int directions = config.numDirections();
            int layers = config.numLayers();
            int stateRows = directions * layers;
            int proj = config.outputSize();
            int hidden = config.hiddenSize();
            int width = directions * proj;
            int inputSize = config.inputSize();
            int batch = c.batch();
            boolean batchFirst = config.batchFirst() && !c.unbatched();
            int[] layerOf = config.parameterSpecs().stream().mapToInt(RNNBase.ParameterSpec::layer).toArray();

            // Rows of the time-major (packed) batch lstm4j ran on: row of (t, n), -1 past n's length.
            int[] lengths = c.lengths() != null ? c.lengths() : filled(batch, c.steps());
            int[][] rowOf = new int[c.steps()][batch];
            int rows = 0;
            if (packedInput != null) {
                int[] batchSizes = packedInput.batchSizes();
                int[] unsorted = packedInput.unsortedIndices();
                for (int t = 0; t < c.steps(); t++) {
                    for (int n = 0; n < batch; n++) {
                        int pos = unsorted == null ? n : unsorted[n];
                        rowOf[t][n] = t < batchSizes.length && pos < batchSizes[t] ? rows + pos : -1;
                    }
                    rows += t < batchSizes.length ? batchSizes[t] : 0;
                }
            } else {
                for (int t = 0; t < c.steps(); t++) {
                    for (int n = 0; n < batch; n++) {
                        rowOf[t][n] = t * batch + n;
                    }
                }
                rows = c.steps() * batch;
            }
            float[][] masks = new float[layers - 1][];
            if (config.dropout() > 0) {
                SplittableRandom stream = new SplittableRandom(DROPOUT_SEED);
                for (int l = 0; l < layers - 1; l++) {
                    masks[l] = new float[rows * width];
                    DropoutMath.sampleMask(stream, config.dropout(), masks[l]);
                }
            }
            // lstm4j's output gradient weights R1 as (row, D·P) in time-major row order
            float[] r1Rows = packedInput != null ? r1.data()
                    : batchFirst ? r1.transpose(0, 1).data() : r1.data();

            try (NDManager m = manager.newSubManager()) {
                NDList weights = new NDList();
                for (RNNBase.ParameterSpec spec : config.parameterSpecs()) {
                    weights.add(LibTorch.leaf(LibTorch.toNd(m, module.stateDict().get(spec.name()))));
                }
                NDArray xLeaf = packedInput == null ? LibTorch.leaf(LibTorch.toNd(m, x)) : null;
                // per sequence group (one group of all N unless packed), per layer when dropout
                boolean perSequence = packedInput != null;
                int groups = perSequence ? batch : 1;
                NDArray[][] h0Leaves = new NDArray[groups][];
                NDArray[][] c0Leaves = new NDArray[groups][];
                NDArray[] xLeaves = new NDArray[groups];
                boolean perLayer = config.dropout() > 0;
                int calls = perLayer ? layers : 1;
                try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                    NDArray loss = m.zeros(new Shape());
                    for (int g = 0; g < groups; g++) {
                        int[] members = perSequence ? new int[] {g} : IntStream.range(0, batch).toArray();
                        int len = perSequence ? lengths[g] : c.steps();
                        int nb = members.length;
                        NDArray input;
                        if (perSequence) {
                            float[] seq = new float[len * inputSize];
                            for (int t = 0; t < len; t++) {
                                int src = batchFirst ? (g * c.steps() + t) * inputSize : (t * batch + g) * inputSize;
                                System.arraycopy(x.data(), src, seq, t * inputSize, inputSize);
                            }
                            xLeaves[g] = LibTorch.leaf(m.create(seq, new Shape(len, 1, inputSize)));
                            input = xLeaves[g];
                        } else {
                            input = batchFirst ? xLeaf.transpose(1, 0, 2) : xLeaf.reshape(len, nb, inputSize);
                        }
                        h0Leaves[g] = new NDArray[calls];
                        c0Leaves[g] = new NDArray[calls];
                        for (int call = 0; call < calls; call++) {
                            int firstLayer = perLayer ? call : 0;
                            int callLayers = perLayer ? 1 : layers;
                            int firstRow = firstLayer * directions;
                            int rowCount = callLayers * directions;
                            NDArray hInit = states(m, h0, stateRows, batch, proj, firstRow, rowCount, members);
                            NDArray cInit = cellState ? states(m, c0, stateRows, batch, hidden, firstRow, rowCount,
                                    members) : null;
                            if (h0 != null) {
                                h0Leaves[g][call] = LibTorch.leaf(hInit);
                            }
                            if (c0 != null) {
                                c0Leaves[g][call] = LibTorch.leaf(cInit);
                            }
                            NDList w = new NDList();
                            for (int k = 0; k < weights.size(); k++) {
                                if (layerOf[k] >= firstLayer && layerOf[k] < firstLayer + callLayers) {
                                    w.add(weights.get(k));
                                }
                            }
                            // these layers alone, time-major, no dropout: lstm4j's masks are multiplied in below
                            RNNBase.Config callConfig = RNNBase.Config.of(config.mode(),
                                    config.layerInputSize(firstLayer), hidden, callLayers, config.bias(), false, 0.0,
                                    config.bidirectional(), config.projSize());
                            NDList out = cellState ? LibTorch.lstm(input, hInit, cInit, w, (LSTM.Config) callConfig, true)
                                    : LibTorch.hiddenStateRnn(input, hInit, w, callConfig, true);
                            // h_n (, c_n) of these layers against R2 (, R3)
                            loss = loss.add(out.get(1).mul(states(m, r2, stateRows, batch, proj, firstRow, rowCount,
                                    members)).sum());
                            if (cellState) {
                                loss = loss.add(out.get(2).mul(states(m, r3, stateRows, batch, hidden, firstRow,
                                        rowCount, members)).sum());
                            }
                            int lastLayer = firstLayer + callLayers - 1;
                            if (lastLayer == layers - 1) {
                                loss = loss.add(out.get(0).mul(m.create(gatherRows(r1Rows, width, rowOf, len,
                                        members), new Shape(len, nb, width))).sum());
                            } else {
                                input = out.get(0).mul(m.create(gatherRows(masks[lastLayer], width, rowOf, len,
                                        members), new Shape(len, nb, width)));
                            }
                        }
                    }
                    collector.backward(loss);
                }
                paramGrads = new float[weights.size()][];
                for (int k = 0; k < weights.size(); k++) {
                    paramGrads[k] = weights.get(k).getGradient().toFloatArray();
                }
                if (perSequence) {
                    inputGrad = new float[x.numel()];
                    for (int g = 0; g < groups; g++) {
                        float[] d = xLeaves[g].getGradient().toFloatArray();
                        for (int t = 0; t < lengths[g]; t++) {
                            int dst = batchFirst ? (g * c.steps() + t) * inputSize : (t * batch + g) * inputSize;
                            System.arraycopy(d, t * inputSize, inputGrad, dst, inputSize);
                        }
                    }
                } else {
                    inputGrad = xLeaf.getGradient().toFloatArray();
                }
                if (h0 != null) {
                    h0Grad = new float[h0.numel()];
                    c0Grad = c0 == null ? null : new float[c0.numel()];
                    for (int g = 0; g < groups; g++) {
                        int[] members = perSequence ? new int[] {g} : IntStream.range(0, batch).toArray();
                        for (int call = 0; call < calls; call++) {
                            int firstRow = (perLayer ? call : 0) * directions;
                            scatterStates(h0Leaves[g][call].getGradient().toFloatArray(), h0Grad, batch, proj,
                                    firstRow, members);
                            if (c0 != null) {
                                scatterStates(c0Leaves[g][call].getGradient().toFloatArray(), c0Grad, batch, hidden,
                                        firstRow, members);
                            }
                        }
                    }
                }
            }
        }

        /** States rows [firstRow, firstRow + rowCount) of the given batch members, as (rowCount, |members|, width); zeros if t is null. */
        private static NDArray states(NDManager m, Tensor t, int stateRows, int batch, int width, int firstRow,
                                      int rowCount, int[] members) {
            float[] out = new float[rowCount * members.length * width];
            if (t != null) {
                for (int s = 0; s < rowCount; s++) {
                    for (int j = 0; j < members.length; j++) {
                        System.arraycopy(t.data(), ((firstRow + s) * batch + members[j]) * width, out,
                                (s * members.length + j) * width, width);
                    }
                }
            }
            return m.create(out, new Shape(rowCount, members.length, width));
        }

        private static void scatterStates(float[] grad, float[] into, int batch, int width, int firstRow,
                                          int[] members) {
            int rowCount = grad.length / (members.length * width);
            for (int s = 0; s < rowCount; s++) {
                for (int j = 0; j < members.length; j++) {
                    System.arraycopy(grad, (s * members.length + j) * width, into,
                            ((firstRow + s) * batch + members[j]) * width, width);
                }
            }
        }

        /** (len, |members|, width) from time-major rows; a packed row past a sequence's end never occurs here. */
        private static float[] gatherRows(float[] rowsData, int width, int[][] rowOf, int len, int[] members) {
            float[] out = new float[len * members.length * width];
            for (int t = 0; t < len; t++) {
                for (int j = 0; j < members.length; j++) {
                    System.arraycopy(rowsData, rowOf[t][members[j]] * width, out, (t * members.length + j) * width,
                            width);
                }
            }
            return out;
        }

        private static int[] filled(int n, int value) {
            int[] a = new int[n];
            Arrays.fill(a, value);
            return a;
        }
    }
}
