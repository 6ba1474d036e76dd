package org.lstm4j.io;

import static org.lstm4j.io.OnnxProto.AttributeProto.ofInt;
import static org.lstm4j.io.OnnxProto.AttributeProto.ofInts;
import static org.lstm4j.io.OnnxProto.AttributeProto.ofString;
import static org.lstm4j.io.OnnxProto.AttributeProto.ofStrings;
import static org.lstm4j.io.OnnxProto.AttributeProto.ofTensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.lstm4j.io.OnnxProto.AttributeProto;
import org.lstm4j.io.OnnxProto.Dim;
import org.lstm4j.io.OnnxProto.GraphProto;
import org.lstm4j.io.OnnxProto.ModelProto;
import org.lstm4j.io.OnnxProto.NodeProto;
import org.lstm4j.io.OnnxProto.OperatorSetId;
import org.lstm4j.io.OnnxProto.TensorProto;
import org.lstm4j.io.OnnxProto.ValueInfoProto;
import org.lstm4j.io.RecurrentStack.Direction;
import org.lstm4j.io.RecurrentStack.Mode;
import org.lstm4j.tensor.Tensor;

/**
 * Writes a {@link RecurrentStack} as the ONNX graph torch.onnx.export writes for the same
 * module (torch/onnx/symbolic_opset9.py, {@code _generic_rnn}), so the file reads back here and
 * runs in ONNX Runtime:
 *
 * <pre>
 *   input (L, N, H_in)  [(N, L, H_in) with batch_first: Transpose(perm=[1, 0, 2]) first]
 *   per layer k:  LSTM | GRU | RNN (X, W_k, R_k, B_k, "", h0[D·k : D·k+D], c0[...])
 *                 → Y (L, D, N, H): Squeeze(axes=[1]), or for D = 2 Transpose(perm=[0, 2, 1, 3])
 *                   then Reshape([0, 0, -1]) → (L, N, D·H), the next layer's X
 *   output  (L, N, D·H)  [(N, L, D·H) with batch_first]
 *   h_n, c_n (D·num_layers, N, H): the layers' Y_h / Y_c concatenated on axis 0
 * </pre>
 *
 * <p>W (D, G·H, H_in), R (D, G·H, H) and B (D, 2·G·H) are float32 initializers (named
 * {@code l0.W}, ...) with the gates in
 * ONNX's order (LSTM i, o, f, c; GRU z, r, h) and B = [b_ih, b_hh]; GRU nodes carry
 * {@code linear_before_reset=1} (PyTorch's formula), RNN nodes their activation. Shapes, axes and
 * slice bounds are {@code Constant} nodes, as torch writes them (initializers before opset 9). Ops are written
 * in the form the target opset defines: Squeeze's axes and Slice's bounds are attributes before
 * opsets 13 and 10, inputs from then on. L and N are symbolic ({@code sequence_length},
 * {@code batch}), so one file serves any length and batch.
 */
final class OnnxRecurrentExport {
    private final RecurrentStack stack;
    private final Onnx.ExportOptions options;
    private final String scope;
    private final List<NodeProto> nodes = new ArrayList<>();
    private final List<TensorProto> initializers = new ArrayList<>();

    private OnnxRecurrentExport(RecurrentStack stack, Onnx.ExportOptions options) {
        this.stack = stack;
        this.options = options;
        this.scope = options.scope().isEmpty() ? "/" : "/" + options.scope().replace('.', '/') + "/";
    }

    /** The model for {@code stack}; see the class comment. */
    static ModelProto model(RecurrentStack stack, Onnx.ExportOptions options) {
        return new OnnxRecurrentExport(stack, options).build();
    }

    /**
     * The IR version that goes with an opset (onnx.helper's VERSION_TABLE), at least 7 as
     * torch.onnx writes: IR 7 no longer requires initializers to be listed as graph inputs.
     */
    static long irVersion(int opset) {
        return opset <= 14 ? 7 : opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
    }

    private ModelProto build() {
        Mode mode = stack.mode();
        int d = stack.direction().count();
        int hidden = stack.hiddenSize();
        boolean lstm = mode == Mode.LSTM;
        int opset = options.opset();
        String op = lstm ? "LSTM" : mode == Mode.GRU ? "GRU" : "RNN";

        List<ValueInfoProto> inputs = new ArrayList<>();
        Dim length = Dim.named("sequence_length");
        Dim batch = Dim.named("batch");
        Dim stateRows = Dim.of((long) d * stack.numLayers());
        Dim features = Dim.of(stack.inputSize());
        inputs.add(floats("input", options.batchFirst() ? List.of(batch, length, features) : List.of(length, batch, features)));
        if (options.initialState()) {
            inputs.add(floats("h0", List.of(stateRows, batch, Dim.of(hidden))));
            if (lstm) {
                inputs.add(floats("c0", List.of(stateRows, batch, Dim.of(hidden))));
            }
        }
        String x = options.batchFirst() ? transpose("input", 1, 0, 2) : "input";
        List<String> hN = new ArrayList<>();
        List<String> cN = new ArrayList<>();
        int[] toOnnx = inverse(OnnxRecurrentImport.gatesFromOnnx(mode));
        for (int k = 0; k < stack.numLayers(); k++) {
            String layer = "l" + k;
            List<String> in = new ArrayList<>(List.of(x, weights(layer + ".W", k, true, toOnnx),
                    weights(layer + ".R", k, false, toOnnx), stack.bias() ? bias(layer + ".B", k, toOnnx) : "", ""));
            if (options.initialState()) {
                in.add(stateSlice("h0", k, d));
                if (lstm) {
                    in.add(stateSlice("c0", k, d));
                }
            }
            List<AttributeProto> attributes = new ArrayList<>();
            if (mode == Mode.RNN_TANH || mode == Mode.RNN_RELU) {
                String activation = mode == Mode.RNN_RELU ? "Relu" : "Tanh";
                attributes.add(ofStrings("activations",
                        d == 2 ? List.of(activation, activation) : List.of(activation)));
            }
            if (stack.direction() != Direction.FORWARD) {
                attributes.add(ofString("direction", stack.direction().name().toLowerCase(java.util.Locale.ROOT)));
            }
            attributes.add(ofInt("hidden_size", hidden));
            if (mode == Mode.GRU) {
                attributes.add(ofInt("linear_before_reset", 1));
            }
            List<String> out = node(op, in, lstm ? 3 : 2, attributes);
            hN.add(out.get(1));
            if (lstm) {
                cN.add(out.get(2));
            }
            if (d == 2) {
                x = node("Reshape", List.of(transpose(out.get(0), 0, 2, 1, 3), longs(0, 0, -1)), 1, List.of()).get(0);
            } else {
                x = opset < 13 ? node("Squeeze", List.of(out.get(0)), 1, List.of(ofInts("axes", 1))).get(0)
                        : node("Squeeze", List.of(out.get(0), longs(1)), 1, List.of()).get(0);
            }
        }
        if (options.batchFirst()) {
            x = transpose(x, 1, 0, 2);
        }
        rename(x, "output");
        rename(concatenated(hN), "h_n");
        List<ValueInfoProto> outputs = new ArrayList<>();
        Dim width = Dim.of((long) d * hidden);
        outputs.add(floats("output", options.batchFirst() ? List.of(batch, length, width) : List.of(length, batch, width)));
        outputs.add(floats("h_n", List.of(stateRows, batch, Dim.of(hidden))));
        if (lstm) {
            rename(concatenated(cN), "c_n");
            outputs.add(floats("c_n", List.of(stateRows, batch, Dim.of(hidden))));
        }
        GraphProto graph = new GraphProto("lstm4j", List.copyOf(nodes), List.copyOf(initializers), inputs, outputs);
        return new ModelProto(irVersion(opset), List.of(new OperatorSetId("", opset)), "lstm4j", "", graph, Map.of());
    }

    /** Adds a node named after torch's scheme ({@code /scope/Op}, {@code /scope/Op_1}, ...) and returns its outputs. */
    private List<String> node(String opType, List<String> inputs, int outputs, List<AttributeProto> attributes) {
        long same = nodes.stream().filter(n -> n.opType().equals(opType)).count();
        String name = scope + opType + (same == 0 ? "" : "_" + same);
        List<String> outs = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            outs.add(name + "_output_" + i);
        }
        nodes.add(new NodeProto(List.copyOf(inputs), outs, name, opType, "", attributes));
        return outs;
    }

    /** The layers' final states as one (D·num_layers, N, H) value: a Concat on axis 0, or the one layer's own. */
    private String concatenated(List<String> layerStates) {
        return layerStates.size() == 1 ? layerStates.get(0)
                : node("Concat", layerStates, 1, List.of(ofInt("axis", 0))).get(0);
    }

    private String transpose(String value, long... perm) {
        return node("Transpose", List.of(value), 1, List.of(ofInts("perm", perm))).get(0);
    }

    /** Renames the value {@code from} (a node output) to {@code to}, wherever it appears. */
    private void rename(String from, String to) {
        nodes.replaceAll(n -> new NodeProto(n.inputs().stream().map(v -> v.equals(from) ? to : v).toList(),
                n.outputs().stream().map(v -> v.equals(from) ? to : v).toList(), n.name(), n.opType(), n.domain(),
                n.attributes()));
    }

    /** {@code state}'s rows of layer k, (D, N, H); the whole input for one layer, as torch writes it. */
    private String stateSlice(String state, int k, int d) {
        if (stack.numLayers() == 1) {
            return state;
        }
        if (options.opset() < 10) {
            return node("Slice", List.of(state), 1,
                    List.of(ofInts("axes", 0), ofInts("ends", d * k + d), ofInts("starts", d * k))).get(0);
        }
        return node("Slice", List.of(state, longs(d * k), longs(d * k + d), longs(0)), 1, List.of()).get(0);
    }

    /** W (input = true) or R of layer k as an initializer (D, G·H, width), gates in ONNX's order. */
    private String weights(String name, int k, boolean input, int[] toOnnx) {
        int d = stack.direction().count();
        int hidden = stack.hiddenSize();
        Tensor first = input ? stack.weightIh(k, 0) : stack.weightHh(k, 0);
        int rows = first.size(0);
        int width = first.size(1);
        float[] values = new float[d * rows * width];
        for (int dir = 0; dir < d; dir++) {
            Tensor w = input ? stack.weightIh(k, dir) : stack.weightHh(k, dir);
            float[] reordered = OnnxRecurrentImport.reorderRows(w.data(), hidden, width, toOnnx);
            System.arraycopy(reordered, 0, values, dir * rows * width, rows * width);
        }
        initializers.add(TensorProto.ofFloats(name, new long[] {d, rows, width}, values));
        return name;
    }

    /** B of layer k, (D, 2·G·H): per direction [b_ih, b_hh], gates in ONNX's order. */
    private String bias(String name, int k, int[] toOnnx) {
        int d = stack.direction().count();
        int hidden = stack.hiddenSize();
        int rows = stack.biasIh(k, 0).numel();
        float[] values = new float[d * 2 * rows];
        for (int dir = 0; dir < d; dir++) {
            float[] ih = OnnxRecurrentImport.reorderRows(stack.biasIh(k, dir).data(), hidden, 1, toOnnx);
            float[] hh = OnnxRecurrentImport.reorderRows(stack.biasHh(k, dir).data(), hidden, 1, toOnnx);
            System.arraycopy(ih, 0, values, dir * 2 * rows, rows);
            System.arraycopy(hh, 0, values, dir * 2 * rows + rows, rows);
        }
        initializers.add(TensorProto.ofFloats(name, new long[] {d, 2 * rows}, values));
        return name;
    }

    /**
     * An int64 vector (a shape, axes, slice bounds) as a {@code Constant} node, as torch writes
     * them; before opset 9, where Constant holds floating-point types only, as an initializer.
     */
    private String longs(long... values) {
        if (options.opset() < 9) {
            String name = scope.substring(1).replace('/', '.') + "shape_" + initializers.size();
            initializers.add(TensorProto.ofLongs(name, new long[] {values.length}, values));
            return name;
        }
        TensorProto value = TensorProto.ofLongs("", new long[] {values.length}, values);
        return node("Constant", List.of(), 1, List.of(ofTensor("value", value))).get(0);
    }

    private static int[] inverse(int[] permutation) {
        int[] inverse = new int[permutation.length];
        for (int j = 0; j < permutation.length; j++) {
            inverse[permutation[j]] = j;
        }
        return inverse;
    }

    private static ValueInfoProto floats(String name, List<Dim> shape) {
        return new ValueInfoProto(name, OnnxProto.FLOAT, shape);
    }
}
