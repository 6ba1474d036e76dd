package org.lstm4j.io;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.lstm4j.io.OnnxProto.AttributeProto;
import org.lstm4j.io.OnnxProto.GraphProto;
import org.lstm4j.io.OnnxProto.ModelProto;
import org.lstm4j.io.OnnxProto.NodeProto;
import org.lstm4j.io.OnnxProto.TensorProto;
import org.lstm4j.io.RecurrentStack.Direction;
import org.lstm4j.io.RecurrentStack.Mode;
import org.lstm4j.tensor.Tensor;

/**
 * Finds the ONNX {@code LSTM}, {@code GRU} and {@code RNN} nodes of a graph and turns them into
 * {@link RecurrentStack}s in PyTorch's layout. The graph is read as a weight container: nothing
 * in it is run.
 *
 * <h2>One node, one layer</h2>
 * Inputs X, W, R, B, sequence_lens, initial_h (and for LSTM initial_c, P); W (D, G·H, H_in),
 * R (D, G·H, H) and B (D, 2·G·H) must be initializers or {@code Constant} nodes (through any
 * {@code Identity}); an empty B is {@code bias=False}. Gates are reordered exactly (rows are
 * moved, values untouched): ONNX LSTM i, o, f, c to PyTorch i, f, g, o; ONNX GRU z, r, h to
 * PyTorch r, z, n. Weights stored as float16, bfloat16 or double are widened or rounded to
 * float32 as PyTorch's {@code .float()} does. {@code direction} forward, bidirectional and
 * reverse are read; a reverse node's weights are named {@code *_reverse} and load as a module
 * with direction REVERSE ({@link org.lstm4j.nn.RNNBase.Direction}).
 *
 * <p>Accepted as PyTorch computes them: activations at their defaults (LSTM Sigmoid, Tanh, Tanh;
 * GRU Sigmoid, Tanh; RNN Tanh or Relu, the same in both directions), {@code input_forget=0}, GRU
 * {@code linear_before_reset=1}, peepholes P absent or all zero, initial_h / initial_c absent,
 * graph inputs, computed, or constant zeros. Everything else is refused with an IOException that
 * names the node and the attribute or input: {@code clip}, {@code input_forget=1},
 * {@code linear_before_reset=0}, non-default activations and their alpha/beta, non-zero
 * peepholes, non-zero constant initial states, constant sequence_lens (lengths are given at run
 * time), weights computed by other nodes (export with {@code do_constant_folding=True}).
 *
 * <h2>Stacks: the node chain torch.onnx.export writes</h2>
 * For a multi-layer module torch writes one node per layer and feeds layer k + 1 with layer k's
 * Y through {@code Squeeze(axes=[1])} (one direction) or {@code Transpose(perm=[0, 2, 1, 3])}
 * then {@code Reshape([0, 0, -1])} (bidirectional): Y's (L, D, N, H) becomes (L, N, D·H), the
 * directions side by side as PyTorch concatenates them. A node whose X comes from another
 * recurrent node's Y that way, with the same op, direction, hidden size and bias (and layout 0,
 * the only one torch writes), is that node's next layer. Each chain is one stack. The
 * {@code layout} attribute (opset 14 on) does not change the weights; a layout-1 node's
 * batch-major input and output are PyTorch's batch_first=True, said when running.
 *
 * <h2>Names</h2>
 * A stack's prefix comes from its first node's name: torch ≥ 1.13 names nodes after the module
 * path ({@code /encoder/rnn/LSTM}), which gives {@code encoder.rnn.}, the prefix of the module's
 * keys in its state dict; {@code /LSTM} gives "". Other names are used whole (plus "."), and a
 * lone stack with no usable name gets "".
 */
final class OnnxRecurrentImport {
    static final int MIN_OPSET = 7;
    static final int MAX_OPSET = 22;

    /** Row blocks of PyTorch's gates, each given as the ONNX block it is taken from. */
    private static final int[] LSTM_FROM_ONNX = {0, 2, 3, 1};
    private static final int[] GRU_FROM_ONNX = {1, 0, 2};
    private static final int[] RNN_FROM_ONNX = {0};

    /** A stack found in a graph: the prefix its parameters get, the stack, its nodes, W's stored type. */
    record Found(String prefix, RecurrentStack stack, List<String> nodes, String dtype) {
    }

    /** One parsed node. Weights per direction, already in PyTorch's layout; biases null without B. */
    private record Layer(NodeProto node, Mode mode, Direction direction, int layout, int hiddenSize, int inputSize,
                         Tensor[] wIh, Tensor[] wHh, Tensor[] bIh, Tensor[] bHh, String dtype) {
        boolean bias() {
            return bIh != null;
        }
    }

    private final ModelProto model;
    private final ByteSource src;
    private final long opset;
    private final Map<String, TensorProto> initializers = new HashMap<>();
    private final Map<String, NodeProto> producers = new HashMap<>();
    /** Initializers read as recurrent weights, or checked to be zero states / peepholes; the state-dict view leaves them out. */
    private final Set<String> consumed = new HashSet<>();

    private OnnxRecurrentImport(ModelProto model, ByteSource src) {
        this.model = model;
        this.src = src;
        this.opset = model.defaultOpset();
        GraphProto graph = model.graph();
        for (TensorProto t : graph.initializers()) {
            initializers.put(t.name(), t);
        }
        for (NodeProto node : graph.nodes()) {
            for (String output : node.outputs()) {
                producers.putIfAbsent(output, node);
            }
        }
    }

    /** The names of the initializers that {@link #find} read as recurrent weights. */
    Set<String> consumedInitializers() {
        return consumed;
    }

    /** Parses every recurrent node of {@code model}'s graph and groups them into stacks, in graph order. */
    static OnnxRecurrentImport of(ModelProto model, ByteSource src) {
        return new OnnxRecurrentImport(model, src);
    }

    List<Found> find() throws IOException {
        List<Layer> layers = new ArrayList<>();
        for (NodeProto node : model.graph().nodes()) {
            if (isRecurrent(node)) {
                if (opset < MIN_OPSET || opset > MAX_OPSET) {
                    throw src.error(node.describe() + ": the model imports ONNX opset " + (opset < 0 ? "(none)" : opset)
                            + "; lstm4j reads recurrent nodes of opsets " + MIN_OPSET + " to " + MAX_OPSET);
                }
                layers.add(parse(node));
            }
        }
        // Identity maps: two nodes with equal fields are still two layers.
        Map<NodeProto, Layer> byNode = new IdentityHashMap<>();
        layers.forEach(layer -> byNode.put(layer.node(), layer));
        List<List<Layer>> chains = new ArrayList<>();
        Map<Layer, List<Layer>> chainOf = new IdentityHashMap<>();
        for (Layer layer : layers) {
            Layer previous = previousLayer(layer, byNode);
            List<Layer> chain = previous == null ? null : chainOf.get(previous);
            if (chain == null || chain.get(chain.size() - 1) != previous) {
                chain = new ArrayList<>();
                chains.add(chain);
            }
            chain.add(layer);
            chainOf.put(layer, chain);
        }
        List<Found> found = new ArrayList<>();
        Set<String> prefixes = new HashSet<>();
        for (List<Layer> chain : chains) {
            String prefix = uniquePrefix(prefix(chain.get(0).node(), chains.size()), prefixes);
            found.add(new Found(prefix, stack(chain), chain.stream().map(l -> l.node().name()).toList(),
                    chain.get(0).dtype()));
        }
        return found;
    }

    private static boolean isRecurrent(NodeProto node) {
        return (node.domain().isEmpty() || node.domain().equals("ai.onnx"))
                && (node.opType().equals("LSTM") || node.opType().equals("GRU") || node.opType().equals("RNN"));
    }

    // ---- one node -------------------------------------------------------------------------

    private Layer parse(NodeProto node) throws IOException {
        String op = node.opType();
        Set<String> known = new HashSet<>(List.of("activation_alpha", "activation_beta", "activations", "clip",
                "direction", "hidden_size"));
        if (opset >= 14) {
            known.add("layout");
        }
        if (op.equals("LSTM")) {
            known.add("input_forget");
        } else if (op.equals("GRU")) {
            known.add("linear_before_reset");
        }
        for (AttributeProto a : node.attributes()) {
            if (!known.contains(a.name())) {
                throw refuse(node, "unknown attribute '" + a.name() + "' (opset " + opset + "'s " + op + " has "
                        + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
        for (String name : List.of("activation_alpha", "activation_beta")) {
            AttributeProto a = node.attribute(name);
            if (a != null && a.floats().length > 0) {
                throw refuse(node, "attribute " + name + " is not supported: torch.nn has no parameterised activations");
            }
        }
        if (node.attribute("clip") != null) {
            throw refuse(node, "attribute clip=" + attributeFloat(node, "clip") + " is not supported: torch.nn's "
                    + op + " does not clip its cell input");
        }
        if (attributeInt(node, "input_forget", 0) != 0) {
            throw refuse(node, "attribute input_forget=1 (coupled input and forget gates) is not supported: torch.nn.LSTM"
                    + " has separate gates");
        }
        if (op.equals("GRU") && attributeInt(node, "linear_before_reset", 0) != 1) {
            throw refuse(node, "attribute linear_before_reset=0 is not supported: torch.nn.GRU computes"
                    + " n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), which is linear_before_reset=1");
        }
        Direction direction = switch (attributeString(node, "direction", "forward")) {
            case "forward" -> Direction.FORWARD;
            case "reverse" -> Direction.REVERSE;
            case "bidirectional" -> Direction.BIDIRECTIONAL;
            default -> throw refuse(node, "attribute direction='" + attributeString(node, "direction", "")
                    + "': expected forward, reverse or bidirectional");
        };
        int layout = (int) attributeInt(node, "layout", 0);
        if (layout != 0 && layout != 1) {
            throw refuse(node, "attribute layout=" + layout + ": expected 0 or 1");
        }
        Mode mode = mode(node, direction.count());
        int maxInputs = op.equals("LSTM") ? 8 : 6;
        if (node.inputs().size() > maxInputs || node.inputs().size() < 3) {
            throw refuse(node, "has " + node.inputs().size() + " inputs; " + op + " takes 3 to " + maxInputs);
        }
        int d = direction.count();
        int gates = mode.gates();
        Tensor w = weight(node, 1, "W");
        Tensor r = weight(node, 2, "R");
        if (r.dim() != 3 || r.size(0) != d || r.size(1) % gates != 0 || r.size(1) != gates * r.size(2)) {
            throw refuse(node, "R has shape " + r.shapeString() + ", expected (" + d + ", " + gates
                    + "*hidden_size, hidden_size) for direction=" + direction.name().toLowerCase());
        }
        int hidden = r.size(2);
        long declaredHidden = attributeInt(node, "hidden_size", hidden);
        if (declaredHidden != hidden || hidden == 0) {
            throw refuse(node, "attribute hidden_size=" + declaredHidden + " but R has shape " + r.shapeString());
        }
        if (w.dim() != 3 || w.size(0) != d || w.size(1) != gates * hidden || w.size(2) == 0) {
            throw refuse(node, "W has shape " + w.shapeString() + ", expected (" + d + ", " + gates * hidden
                    + ", input_size)");
        }
        Tensor b = node.input(3).isEmpty() ? null : weight(node, 3, "B");
        if (b != null && (b.dim() != 2 || b.size(0) != d || b.size(1) != 2 * gates * hidden)) {
            throw refuse(node, "B has shape " + b.shapeString() + ", expected (" + d + ", " + 2 * gates * hidden + ")");
        }
        if (!node.input(4).isEmpty() && constant(node.input(4)) != null) {
            throw refuse(node, "input sequence_lens is a constant; lstm4j takes sequence lengths at run time"
                    + " (packed sequences, bin/lstm4j run --lengths)");
        }
        requireZeroIfConstant(node, 5, "initial_h");
        if (op.equals("LSTM")) {
            requireZeroIfConstant(node, 6, "initial_c");
            requireZeroIfConstant(node, 7, "P (peephole weights)");
        }
        int[] order = gatesFromOnnx(mode);
        int inputSize = w.size(2);
        Tensor[] wIh = new Tensor[d];
        Tensor[] wHh = new Tensor[d];
        Tensor[] bIh = b == null ? null : new Tensor[d];
        Tensor[] bHh = b == null ? null : new Tensor[d];
        for (int dir = 0; dir < d; dir++) {
            wIh[dir] = Tensor.of(reorderRows(w.select(0, dir).data(), hidden, inputSize, order), gates * hidden, inputSize);
            wHh[dir] = Tensor.of(reorderRows(r.select(0, dir).data(), hidden, hidden, order), gates * hidden, hidden);
            if (b != null) {
                float[] both = b.select(0, dir).data();
                int rows = gates * hidden;
                bIh[dir] = Tensor.of(reorderRows(Arrays.copyOfRange(both, 0, rows), hidden, 1, order), rows);
                bHh[dir] = Tensor.of(reorderRows(Arrays.copyOfRange(both, rows, 2 * rows), hidden, 1, order), rows);
            }
        }
        String dtype = OnnxTensors.dtype(constant(node.input(1)).dataType()).pytorchName;
        return new Layer(node, mode, direction, layout, hidden, inputSize, wIh, wHh, bIh, bHh, dtype);
    }

    /** LSTM, GRU, or RNN_TANH / RNN_RELU from the activations; non-default activations are refused. */
    private Mode mode(NodeProto node, int directions) throws IOException {
        String op = node.opType();
        List<String> perDirection = switch (op) {
            case "LSTM" -> List.of("Sigmoid", "Tanh", "Tanh");
            case "GRU" -> List.of("Sigmoid", "Tanh");
            default -> List.of("Tanh");
        };
        AttributeProto a = node.attribute("activations");
        if (a == null) {
            return op.equals("LSTM") ? Mode.LSTM : op.equals("GRU") ? Mode.GRU : Mode.RNN_TANH;
        }
        requireType(node, a, OnnxProto.ATTRIBUTE_STRINGS);
        List<String> given = a.strings();
        if (given.size() != perDirection.size() * directions) {
            throw refuse(node, "attribute activations has " + given.size() + " entries, expected "
                    + perDirection.size() * directions + " (" + perDirection.size() + " per direction)");
        }
        if (op.equals("RNN")) {
            String first = given.get(0);
            boolean relu = first.equalsIgnoreCase("Relu");
            for (String g : given) {
                if (!g.equalsIgnoreCase(first) || !(relu || g.equalsIgnoreCase("Tanh"))) {
                    throw refuse(node, "attribute activations=" + given + " is not supported: torch.nn.RNN has one"
                            + " nonlinearity, Tanh or Relu, for every direction");
                }
            }
            return relu ? Mode.RNN_RELU : Mode.RNN_TANH;
        }
        for (int i = 0; i < given.size(); i++) {
            if (!given.get(i).equalsIgnoreCase(perDirection.get(i % perDirection.size()))) {
                throw refuse(node, "attribute activations=" + given + " is not supported: torch.nn." + op + " uses "
                        + perDirection + " in each direction");
            }
        }
        return op.equals("LSTM") ? Mode.LSTM : Mode.GRU;
    }

    /** For each PyTorch gate block, the ONNX block it comes from. */
    static int[] gatesFromOnnx(Mode mode) {
        return switch (mode) {
            case LSTM -> LSTM_FROM_ONNX;
            case GRU -> GRU_FROM_ONNX;
            case RNN_TANH, RNN_RELU -> RNN_FROM_ONNX;
        };
    }

    /**
     * Moves blocks of {@code hidden} rows (each {@code width} wide): block j of the result is
     * block {@code from[j]} of {@code rows}.
     */
    static float[] reorderRows(float[] rows, int hidden, int width, int[] from) {
        float[] out = new float[rows.length];
        int block = hidden * width;
        for (int j = 0; j < from.length; j++) {
            System.arraycopy(rows, from[j] * block, out, j * block, block);
        }
        return out;
    }

    /** Input {@code index} as a constant tensor; refused when it is absent or computed. */
    private Tensor weight(NodeProto node, int index, String role) throws IOException {
        String name = node.input(index);
        if (name.isEmpty()) {
            throw refuse(node, "input " + role + " is empty; it is required");
        }
        TensorProto t = constant(name);
        if (t == null) {
            NodeProto producer = producers.get(name);
            throw refuse(node, "input " + role + " ('" + name + "') is " + (producer != null ? "computed by a "
                    + producer.opType() + " node" : "a graph input without an initializer") + "; lstm4j reads weights"
                    + " stored as initializers or Constant nodes (torch.onnx.export with do_constant_folding=True)");
        }
        if (initializers.get(name) == t) {
            consumed.add(name);
        }
        return OnnxTensors.toFloat(t, src);
    }

    private void requireZeroIfConstant(NodeProto node, int index, String role) throws IOException {
        TensorProto t = node.input(index).isEmpty() ? null : constant(node.input(index));
        if (t == null) {
            return;
        }
        if (initializers.get(node.input(index)) == t) {
            consumed.add(node.input(index));
        }
        for (float v : OnnxTensors.toFloat(t, src).data()) {
            if (v != 0) {
                throw refuse(node, "input " + role + " is a non-zero constant; lstm4j reads the recurrent weights only"
                        + (role.startsWith("P") ? " and torch.nn.LSTM has no peepholes"
                        : ", so the initial state must be zeros or given at run time (h0/c0)"));
            }
        }
    }

    /**
     * The tensor a value name holds if it is constant: an initializer, or the value of a
     * {@code Constant} node, seen through {@code Identity} nodes; else null.
     */
    private TensorProto constant(String name) throws IOException {
        Set<String> seen = new HashSet<>();
        while (seen.add(name)) {
            TensorProto t = initializers.get(name);
            if (t != null) {
                return t;
            }
            NodeProto producer = producers.get(name);
            if (producer == null || !(producer.domain().isEmpty() || producer.domain().equals("ai.onnx"))) {
                return null;
            }
            if (producer.opType().equals("Identity")) {
                name = producer.input(0);
            } else if (producer.opType().equals("Constant")) {
                return constantValue(producer);
            } else {
                return null;
            }
        }
        return null;
    }

    /** A Constant node's value as a tensor: its {@code value} attribute, or value_float(s) / value_int(s). */
    private TensorProto constantValue(NodeProto node) throws IOException {
        for (AttributeProto a : node.attributes()) {
            switch (a.name()) {
                case "value" -> {
                    requireType(node, a, OnnxProto.ATTRIBUTE_TENSOR);
                    return a.t();
                }
                case "value_float" -> {
                    return TensorProto.ofFloats(node.output(0), new long[0], new float[] {a.f()});
                }
                case "value_floats" -> {
                    return TensorProto.ofFloats(node.output(0), new long[] {a.floats().length}, a.floats());
                }
                case "value_int" -> {
                    return TensorProto.ofLongs(node.output(0), new long[0], new long[] {a.i()});
                }
                case "value_ints" -> {
                    return TensorProto.ofLongs(node.output(0), new long[] {a.ints().length}, a.ints());
                }
                default -> {
                }
            }
        }
        throw refuse(node, "Constant node has no value this reader understands (value, value_float(s), value_int(s))");
    }

    // ---- chains ---------------------------------------------------------------------------

    /** The layer whose Y feeds {@code layer}'s X through torch's glue (see the class comment), or null. */
    private Layer previousLayer(Layer layer, Map<NodeProto, Layer> byNode) throws IOException {
        NodeProto glue = producerSkippingIdentity(layer.node().input(0));
        if (glue == null) {
            return null;
        }
        if (layer.layout() != 0) {
            return null; // torch writes layout 0 only; a layout-1 node is a stack of its own
        }
        String y;
        if (layer.direction() != Direction.BIDIRECTIONAL && glue.opType().equals("Squeeze")) {
            long[] axes = squeezeAxes(glue);
            if (axes == null || axes.length != 1 || Math.floorMod(axes[0], 4) != 1) {
                return null;
            }
            y = glue.input(0);
        } else if (layer.direction() == Direction.BIDIRECTIONAL && glue.opType().equals("Reshape")) {
            TensorProto shape = constant(glue.input(1));
            NodeProto transpose = producerSkippingIdentity(glue.input(0));
            AttributeProto perm = transpose == null ? null : transpose.attribute("perm");
            if (shape == null || attributeInt(glue, "allowzero", 0) != 0
                    || !Arrays.equals(OnnxTensors.toFloat(shape, src).data(), new float[] {0, 0, -1})
                    || perm == null || !transpose.opType().equals("Transpose")
                    || !Arrays.equals(perm.ints(), new long[] {0, 2, 1, 3})) {
                return null;
            }
            y = transpose.input(0);
        } else {
            return null;
        }
        NodeProto source = producerSkippingIdentity(y);
        Layer previous = source == null ? null : byNode.get(source);
        if (previous == null || !source.output(0).equals(resolveIdentity(y)) || previous.mode() != layer.mode()
                || previous.direction() != layer.direction() || previous.layout() != 0
                || previous.hiddenSize() != layer.hiddenSize() || previous.bias() != layer.bias()
                || layer.inputSize() != layer.direction().count() * layer.hiddenSize()) {
            return null;
        }
        return previous;
    }

    /** Squeeze's axes: the attribute before opset 13, the constant second input from 13 on; null if unknown. */
    private long[] squeezeAxes(NodeProto squeeze) throws IOException {
        AttributeProto axes = squeeze.attribute("axes");
        if (axes != null) {
            return axes.ints();
        }
        TensorProto t = squeeze.input(1).isEmpty() ? null : constant(squeeze.input(1));
        if (t == null) {
            return null;
        }
        float[] values = OnnxTensors.toFloat(t, src).data();
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (long) values[i];
        }
        return out;
    }

    private NodeProto producerSkippingIdentity(String name) {
        return producers.get(resolveIdentity(name));
    }

    /** The value {@code name} is an Identity (chain) of. */
    private String resolveIdentity(String name) {
        Set<String> seen = new HashSet<>();
        NodeProto p = producers.get(name);
        while (p != null && p.opType().equals("Identity") && seen.add(name)) {
            name = p.input(0);
            p = producers.get(name);
        }
        return name;
    }

    private RecurrentStack stack(List<Layer> chain) {
        Layer first = chain.get(0);
        Map<String, Tensor> parameters = new LinkedHashMap<>();
        for (int k = 0; k < chain.size(); k++) {
            Layer layer = chain.get(k);
            for (int dir = 0; dir < first.direction().count(); dir++) {
                String suffix = RecurrentStack.suffix(k, dir, first.direction());
                parameters.put("weight_ih" + suffix, layer.wIh()[dir]);
                parameters.put("weight_hh" + suffix, layer.wHh()[dir]);
                if (layer.bias()) {
                    parameters.put("bias_ih" + suffix, layer.bIh()[dir]);
                    parameters.put("bias_hh" + suffix, layer.bHh()[dir]);
                }
            }
        }
        return new RecurrentStack(first.mode(), first.inputSize(), first.hiddenSize(), chain.size(), first.bias(),
                first.direction(), parameters);
    }

    // ---- names ----------------------------------------------------------------------------

    /** See the class comment: "/a/b/LSTM" gives "a.b.", "/LSTM" gives "". */
    private static String prefix(NodeProto node, int stacks) {
        String name = node.name();
        if (name.startsWith("/")) {
            String[] parts = name.substring(1).split("/", -1);
            StringBuilder prefix = new StringBuilder();
            for (int i = 0; i < parts.length - 1; i++) {
                prefix.append(parts[i]).append('.');
            }
            return prefix.toString();
        }
        return stacks == 1 || name.isEmpty() ? "" : name + ".";
    }

    private static String uniquePrefix(String prefix, Set<String> taken) {
        String candidate = prefix;
        for (int i = 1; !taken.add(candidate); i++) {
            String stem = prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) : prefix;
            candidate = (stem.isEmpty() ? "rnn" : stem) + "_" + i + ".";
        }
        return candidate;
    }

    // ---- attributes -----------------------------------------------------------------------

    private long attributeInt(NodeProto node, String name, long defaultValue) throws IOException {
        AttributeProto a = node.attribute(name);
        if (a == null) {
            return defaultValue;
        }
        requireType(node, a, OnnxProto.ATTRIBUTE_INT);
        return a.i();
    }

    private float attributeFloat(NodeProto node, String name) throws IOException {
        AttributeProto a = node.attribute(name);
        requireType(node, a, OnnxProto.ATTRIBUTE_FLOAT);
        return a.f();
    }

    private String attributeString(NodeProto node, String name, String defaultValue) throws IOException {
        AttributeProto a = node.attribute(name);
        if (a == null) {
            return defaultValue;
        }
        requireType(node, a, OnnxProto.ATTRIBUTE_STRING);
        return a.s();
    }

    private void requireType(NodeProto node, AttributeProto a, int type) throws IOException {
        if (a.effectiveType() != type) {
            throw refuse(node, "attribute " + a.name() + " has type " + a.effectiveType() + ", expected " + type);
        }
    }

    private IOException refuse(NodeProto node, String message) {
        return src.error(node.describe() + ": " + message);
    }
}
