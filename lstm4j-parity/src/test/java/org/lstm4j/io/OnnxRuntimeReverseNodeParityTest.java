package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lstm4j.io.OnnxProto.AttributeProto.ofInt;
import static org.lstm4j.io.OnnxProto.AttributeProto.ofInts;
import static org.lstm4j.io.OnnxProto.AttributeProto.ofString;
import static org.lstm4j.io.OnnxProto.AttributeProto.ofStrings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lstm4j.io.OnnxProto.AttributeProto;
import org.lstm4j.io.OnnxProto.Dim;
import org.lstm4j.io.OnnxProto.GraphProto;
import org.lstm4j.io.OnnxProto.ModelProto;
import org.lstm4j.io.OnnxProto.NodeProto;
import org.lstm4j.io.OnnxProto.OperatorSetId;
import org.lstm4j.io.OnnxProto.TensorProto;
import org.lstm4j.io.OnnxProto.ValueInfoProto;
import org.lstm4j.nn.GRU;
import org.lstm4j.nn.HiddenStateRNN;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.PackedSequence;
import org.lstm4j.nn.RNN;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.nn.utils.Rnn;
import org.lstm4j.parity.onnx.OnnxRuntime;
import org.lstm4j.tensor.Tensor;

/**
 * ONNX {@code LSTM}, {@code GRU} and {@code RNN} nodes with {@code direction="reverse"}, as any
 * producer may write them — a graph input {@code sequence_lens} (variable lengths), graph inputs
 * initial_h / initial_c, {@code layout} 0 or 1, with and without B, one node or the two-node chain
 * torch's exporter writes for two layers — run by ONNX Runtime 1.22, and the same file loaded by
 * {@link RNNBase#load} as a module with direction REVERSE: output, h_n and c_n within 1e-5.
 *
 * <p>The graphs are built with lstm4j's own ONNX records ({@link OnnxProto}; this class sits in
 * its package for that), weights drawn at random in ONNX's gate order, so the import's reordering
 * is what is tested. ONNX Runtime pads Y with zeros after each sequence's end, as
 * pad_packed_sequence does; lengths are at least 1 (torch.nn refuses empty sequences) and one
 * sequence is always full length. ONNX Runtime's CPU provider refuses {@code layout=1}
 * ("Batchwise recurrent operations (layout == 1) are not supported"), so lstm4j's run of a
 * layout-1 file (batch_first) is compared with ONNX Runtime's run of the same graph in layout 0
 * on the transposed input.
 */
class OnnxRuntimeReverseNodeParityTest {
    static final float TOLERANCE = 1e-5f;

    @TempDir
    static Path dir;

    private static float worst;

    record Config(String op, String activation, int layers, boolean bias, int layout, int opset, boolean lengths,
                  boolean initialState) {
        @Override
        public String toString() {
            return op + (activation.isEmpty() ? "" : "(" + activation + ")") + " reverse, " + layers + " layer"
                    + (layers > 1 ? "s" : "") + (bias ? "" : ", no B") + ", layout " + layout + ", opset " + opset
                    + (lengths ? ", sequence_lens" : "") + (initialState ? ", initial states" : "");
        }

        int gates() {
            return op.equals("LSTM") ? 4 : op.equals("GRU") ? 3 : 1;
        }
    }

    static Stream<Config> configs() {
        return Stream.of(
                new Config("LSTM", "", 1, true, 0, 9, true, true),
                new Config("LSTM", "", 2, true, 0, 17, true, true),
                new Config("LSTM", "", 1, false, 1, 14, true, true),
                new Config("LSTM", "", 2, false, 0, 13, false, false),
                new Config("LSTM", "", 1, true, 1, 22, false, true),
                new Config("GRU", "", 1, true, 0, 10, true, true),
                new Config("GRU", "", 2, true, 0, 17, true, true),
                new Config("GRU", "", 1, false, 1, 14, true, true),
                new Config("GRU", "", 2, false, 0, 12, false, false),
                new Config("RNN", "Tanh", 1, true, 0, 11, true, true),
                new Config("RNN", "Tanh", 2, true, 0, 16, true, true),
                new Config("RNN", "Tanh", 1, false, 1, 14, true, false),
                new Config("RNN", "Relu", 1, true, 0, 9, true, true),
                new Config("RNN", "Relu", 2, false, 0, 17, true, true),
                new Config("RNN", "Relu", 1, true, 1, 21, true, true));
    }

    @AfterAll
    static void report() {
        System.out.printf("direction=\"reverse\" nodes: worst maxdiff lstm4j vs ONNX Runtime %.3e%n", worst);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void lstm4jComputesWhatOnnxRuntimeComputes(Config c) throws Exception {
        SplittableRandom r = new SplittableRandom(c.toString().hashCode());
        int inputSize = 2 + r.nextInt(5);
        int hidden = 2 + r.nextInt(6);
        int length = 2 + r.nextInt(7);
        int batch = 2 + r.nextInt(4);
        long weightSeed = r.nextLong();
        Path file = dir.resolve(c.toString().replaceAll("[^A-Za-z0-9]+", "_") + ".onnx");
        Files.write(file, OnnxProto.encode(model(c, inputSize, hidden, new SplittableRandom(weightSeed))));
        boolean batchFirst = c.layout() == 1;
        Path timeMajorFile = file;
        if (batchFirst) {
            Config layout0 = new Config(c.op(), c.activation(), c.layers(), c.bias(), 0, c.opset(), c.lengths(),
                    c.initialState());
            timeMajorFile = dir.resolve(file.getFileName() + ".layout0.onnx");
            Files.write(timeMajorFile, OnnxProto.encode(model(layout0, inputSize, hidden,
                    new SplittableRandom(weightSeed))));
        }

        Tensor x = batchFirst ? Tensor.randn(r.nextLong(), batch, length, inputSize)
                : Tensor.randn(r.nextLong(), length, batch, inputSize);
        int[] lengths = new int[batch];
        for (int b = 0; b < batch; b++) {
            lengths[b] = b == batch / 2 ? length : 1 + r.nextInt(length);
        }
        boolean lstm = c.op().equals("LSTM");
        // lstm4j's (num_layers, N, H); each ONNX node gets its (1, N, H) slice
        Tensor h0 = c.initialState() ? Tensor.randn(r.nextLong(), c.layers(), batch, hidden) : null;
        Tensor c0 = c.initialState() && lstm ? Tensor.randn(r.nextLong(), c.layers(), batch, hidden) : null;
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        inputs.put("X", batchFirst ? x.transpose(0, 1) : x);
        for (int k = 0; k < c.layers() && c.initialState(); k++) {
            inputs.put("initial_h_l" + k, h0.narrow(0, k, 1).copy());
            if (lstm) {
                inputs.put("initial_c_l" + k, c0.narrow(0, k, 1).copy());
            }
        }
        Map<String, Tensor> ort = OnnxRuntime.run(timeMajorFile, inputs, c.lengths()
                ? Map.of("sequence_lens", lengths) : Map.of());

        RNNBase module = RNNBase.load(file);
        assertThat(module.config().direction()).isEqualTo(RNNBase.Direction.REVERSE);
        assertThat(module.config().numLayers()).isEqualTo(c.layers());
        assertThat(module.config().bias()).isEqualTo(c.bias());
        assertThat(module.mode().name()).isEqualTo(c.activation().equals("Relu") ? "RNN_RELU"
                : c.activation().equals("Tanh") ? "RNN_TANH" : c.op());
        Tensor[] ours = forward(withBatchFirst(module, batchFirst), x, c.lengths() ? lengths : null, batchFirst, h0, c0);

        int last = c.layers() - 1;
        Tensor y = ort.get("Y_l" + last).reshape(length, batch, hidden); // Y (L, 1, N, H)
        float d = diff(ours[0], batchFirst ? y.transpose(0, 1) : y);
        d = Math.max(d, diff(ours[1], layerStates(ort, "Y_h_l", c.layers(), batch, hidden)));
        if (lstm) {
            d = Math.max(d, diff(ours[2], layerStates(ort, "Y_c_l", c.layers(), batch, hidden)));
        }
        worst = Math.max(worst, d);
        System.out.printf("%-70s L=%d N=%d H_in=%d H=%d maxdiff %.3e%n", c, length, batch, inputSize, hidden, d);
        assertThat(d).isLessThanOrEqualTo(TOLERANCE);
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"LSTM", "GRU", "RNN"})
    void aReverseModuleWrittenByToOnnxRunsInOnnxRuntime(String kind) throws Exception {
        RNNBase.Builder<?> builder = switch (kind) {
            case "LSTM" -> LSTM.builder(5, 6);
            case "GRU" -> GRU.builder(5, 6);
            default -> RNN.builder(5, 6).nonlinearity("relu");
        };
        RNNBase module = builder.numLayers(2).batchFirst(true).direction(RNNBase.Direction.REVERSE).seed(31).build();
        module.eval();
        Path file = dir.resolve("module_" + kind + ".onnx");
        module.toOnnx(file, Onnx.ExportOptions.opset(17).withBatchFirst(true).withInitialState(true));
        Tensor x = Tensor.randn(32, 3, 7, 5);
        Tensor h0 = Tensor.randn(33, 2, 3, 6);
        Tensor c0 = Tensor.randn(34, 2, 3, 6);
        boolean lstm = module instanceof LSTM;
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        inputs.put("input", x);
        inputs.put("h0", h0);
        if (lstm) {
            inputs.put("c0", c0);
        }
        Map<String, Tensor> ort = OnnxRuntime.run(file, inputs);
        Tensor[] ours = forward(module, x, null, true, h0, lstm ? c0 : null);
        float d = Math.max(diff(ours[0], ort.get("output")), diff(ours[1], ort.get("h_n")));
        if (lstm) {
            d = Math.max(d, diff(ours[2], ort.get("c_n")));
        }
        worst = Math.max(worst, d);
        System.out.printf("%s toOnnx, 2 layers, batch_first, h0: maxdiff lstm4j vs ONNX Runtime %.3e%n", module, d);
        assertThat(d).isLessThanOrEqualTo(TOLERANCE);
    }

    /**
     * One node per layer, named as torch names them ({@code /rnn/LSTM}, {@code /rnn/LSTM_1}), layer
     * k + 1 fed with layer k's Y through {@code Squeeze(axes=[1])} as torch's exporter writes it;
     * every Y_h / Y_c and the last Y are graph outputs.
     */
    private static ModelProto model(Config c, int inputSize, int hidden, SplittableRandom r) {
        boolean layout1 = c.layout() == 1;
        boolean lstm = c.op().equals("LSTM");
        int rows = c.gates() * hidden;
        Dim length = Dim.named("sequence_length");
        Dim batch = Dim.named("batch");
        Dim one = Dim.of(1);
        Dim width = Dim.of(hidden);
        List<ValueInfoProto> graphInputs = new ArrayList<>();
        List<ValueInfoProto> graphOutputs = new ArrayList<>();
        List<NodeProto> nodes = new ArrayList<>();
        List<TensorProto> initializers = new ArrayList<>();
        graphInputs.add(new ValueInfoProto("X", OnnxProto.FLOAT, layout1 ? List.of(batch, length, Dim.of(inputSize))
                : List.of(length, batch, Dim.of(inputSize))));
        if (c.lengths()) {
            graphInputs.add(new ValueInfoProto("sequence_lens", OnnxProto.INT32, List.of(batch)));
        }
        List<Dim> stateShape = layout1 ? List.of(batch, one, width) : List.of(one, batch, width);
        String x = "X";
        float bound = (float) (1 / Math.sqrt(hidden));
        for (int k = 0; k < c.layers(); k++) {
            int layerInput = k == 0 ? inputSize : hidden;
            initializers.add(TensorProto.ofFloats("W_l" + k, new long[] {1, rows, layerInput},
                    uniform(r, rows * layerInput, bound)));
            initializers.add(TensorProto.ofFloats("R_l" + k, new long[] {1, rows, hidden}, uniform(r, rows * hidden,
                    bound)));
            if (c.bias()) {
                initializers.add(TensorProto.ofFloats("B_l" + k, new long[] {1, 2 * rows}, uniform(r, 2 * rows, bound)));
            }
            List<String> in = new ArrayList<>(List.of(x, "W_l" + k, "R_l" + k, c.bias() ? "B_l" + k : "",
                    c.lengths() ? "sequence_lens" : ""));
            if (c.initialState()) {
                in.add("initial_h_l" + k);
                graphInputs.add(new ValueInfoProto("initial_h_l" + k, OnnxProto.FLOAT, stateShape));
                if (lstm) {
                    in.add("initial_c_l" + k);
                    graphInputs.add(new ValueInfoProto("initial_c_l" + k, OnnxProto.FLOAT, stateShape));
                }
            }
            List<String> out = new ArrayList<>(List.of("Y_l" + k, "Y_h_l" + k));
            if (lstm) {
                out.add("Y_c_l" + k);
            }
            List<AttributeProto> attributes = new ArrayList<>();
            if (!c.activation().isEmpty()) {
                attributes.add(ofStrings("activations", List.of(c.activation())));
            }
            attributes.add(ofString("direction", "reverse"));
            attributes.add(ofInt("hidden_size", hidden));
            if (layout1) {
                attributes.add(ofInt("layout", 1));
            }
            if (c.op().equals("GRU")) {
                attributes.add(ofInt("linear_before_reset", 1));
            }
            nodes.add(new NodeProto(in, out, "/rnn/" + c.op() + (k == 0 ? "" : "_" + k), c.op(), "", attributes));
            graphOutputs.add(new ValueInfoProto("Y_h_l" + k, OnnxProto.FLOAT, stateShape));
            if (lstm) {
                graphOutputs.add(new ValueInfoProto("Y_c_l" + k, OnnxProto.FLOAT, stateShape));
            }
            if (k < c.layers() - 1) {
                x = "X_l" + (k + 1);
                if (c.opset() < 13) {
                    nodes.add(new NodeProto(List.of("Y_l" + k), List.of(x), "/rnn/Squeeze_" + k, "Squeeze", "",
                            List.of(ofInts("axes", 1))));
                } else {
                    initializers.add(TensorProto.ofLongs("axes_" + k, new long[] {1}, new long[] {1}));
                    nodes.add(new NodeProto(List.of("Y_l" + k, "axes_" + k), List.of(x), "/rnn/Squeeze_" + k,
                            "Squeeze", "", List.of()));
                }
            }
        }
        int last = c.layers() - 1;
        graphOutputs.add(0, new ValueInfoProto("Y_l" + last, OnnxProto.FLOAT,
                layout1 ? List.of(batch, length, one, width) : List.of(length, one, batch, width)));
        GraphProto graph = new GraphProto("reverse", nodes, initializers, graphInputs, graphOutputs);
        return new ModelProto(OnnxRecurrentExport.irVersion(c.opset()), List.of(new OperatorSetId("", c.opset())),
                "lstm4j-test", "", graph, Map.of());
    }

    /** The nodes' Y_h (or Y_c), each (1, N, H), stacked as lstm4j's (num_layers, N, H). */
    private static Tensor layerStates(Map<String, Tensor> ort, String name, int layers, int batch, int hidden) {
        float[] values = new float[layers * batch * hidden];
        for (int k = 0; k < layers; k++) {
            System.arraycopy(ort.get(name + k).data(), 0, values, k * batch * hidden, batch * hidden);
        }
        return Tensor.of(values, layers, batch, hidden);
    }

    private static RNNBase withBatchFirst(RNNBase module, boolean batchFirst) {
        if (module instanceof LSTM l) {
            return l.withBatchFirst(batchFirst);
        }
        return module instanceof GRU g ? g.withBatchFirst(batchFirst) : ((RNN) module).withBatchFirst(batchFirst);
    }

    /** output (padded with zeros after each sequence's end, as ONNX Runtime's Y), h_n, c_n (or null). */
    private static Tensor[] forward(RNNBase module, Tensor x, int[] lengths, boolean batchFirst, Tensor h0,
                                    Tensor c0) {
        if (lengths != null) {
            PackedSequence packed = Rnn.packPaddedSequence(x, lengths, batchFirst, false);
            if (module instanceof LSTM l) {
                LSTM.PackedOutput out = l.forward(packed, h0, c0);
                return new Tensor[] {Rnn.padPackedSequence(out.output(), batchFirst, 0f, null).padded(), out.hN(),
                    out.cN()};
            }
            HiddenStateRNN.PackedOutput out = ((HiddenStateRNN) module).forward(packed, h0);
            return new Tensor[] {Rnn.padPackedSequence(out.output(), batchFirst, 0f, null).padded(), out.hN(), null};
        }
        if (module instanceof LSTM l) {
            LSTM.Output out = l.forward(x, h0, c0);
            return new Tensor[] {out.output(), out.hN(), out.cN()};
        }
        HiddenStateRNN.Output out = ((HiddenStateRNN) module).forward(x, h0);
        return new Tensor[] {out.output(), out.hN(), null};
    }

    private static float[] uniform(SplittableRandom r, int n, float bound) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) r.nextDouble(-bound, bound);
        }
        return values;
    }

    private static float diff(Tensor ours, Tensor theirs) {
        assertThat(ours.shape()).isEqualTo(theirs.shape());
        return ours.maxAbsDiff(theirs);
    }
}
