package org.lstm4j.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.lstm4j.tensor.Tensor;

/**
 * A stack of recurrent layers as data, with no module behind it: PyTorch's mode, the sizes, the
 * direction, and every parameter under PyTorch's name in PyTorch's layout. This is what the
 * ONNX import produces and the ONNX export consumes; the {@code nn} modules convert to and from
 * it.
 *
 * <pre>{@code
 * RecurrentStack stack = new RecurrentStack(RecurrentStack.Mode.LSTM, 10, 20, 2, true,
 *         RecurrentStack.Direction.BIDIRECTIONAL, lstm.stateDict());
 * Tensor w = stack.parameters().get("weight_ih_l1_reverse");   // (4·20, 2·20)
 * }</pre>
 *
 * <p>Parameters, for each layer k and direction: {@code weight_ih_l{k}} (G·H, H_in of layer k),
 * {@code weight_hh_l{k}} (G·H, H), and with bias {@code bias_ih_l{k}}, {@code bias_hh_l{k}} (G·H);
 * G is the mode's gate count, gates in PyTorch's row order (LSTM i, f, g, o; GRU r, z, n). The
 * backward direction of a bidirectional stack adds the suffix {@code _reverse}, as in PyTorch. A
 * {@link Direction#REVERSE} stack (ONNX's {@code direction="reverse"}, which torch.nn has no
 * argument for) runs only backward in time, and its parameters carry the same {@code _reverse}
 * suffix, so the names say which direction the weights were trained for; the {@code nn} modules
 * run it as {@link org.lstm4j.nn.RNNBase.Direction#REVERSE}.
 *
 * @param mode        PyTorch's {@code RNNBase.mode}
 * @param inputSize   H_in
 * @param hiddenSize  H
 * @param numLayers   number of stacked layers
 * @param bias        whether the four bias vectors exist
 * @param direction   which way(s) each layer runs
 * @param parameters  name → tensor, exactly {@link #parameterNames()}; kept in that order
 */
public record RecurrentStack(Mode mode, int inputSize, int hiddenSize, int numLayers, boolean bias,
                             Direction direction, Map<String, Tensor> parameters) {

    /** PyTorch's recurrent modes, with the number of gates each stacks in its weight rows. */
    public enum Mode {
        LSTM(4), GRU(3), RNN_TANH(1), RNN_RELU(1);

        private final int gates;

        Mode(int gates) {
            this.gates = gates;
        }

        /** G: rows of weight_ih are G·hidden_size. */
        public int gates() {
            return gates;
        }
    }

    /** ONNX's directions; PyTorch's {@code bidirectional=False/True} are FORWARD and BIDIRECTIONAL. */
    public enum Direction {
        FORWARD, REVERSE, BIDIRECTIONAL;

        /** D: 2 for BIDIRECTIONAL, else 1. */
        public int count() {
            return this == BIDIRECTIONAL ? 2 : 1;
        }
    }

    /**
     * @throws IllegalArgumentException for a non-positive size, or parameters whose names or
     *                                  shapes are not exactly the expected ones (all problems listed)
     */
    public RecurrentStack {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(parameters, "parameters");
        if (inputSize <= 0 || hiddenSize <= 0 || numLayers <= 0) {
            throw new IllegalArgumentException("input_size, hidden_size and num_layers must be greater than zero, got "
                    + inputSize + ", " + hiddenSize + " and " + numLayers);
        }
        List<String> problems = new ArrayList<>();
        Map<String, Tensor> ordered = new LinkedHashMap<>();
        Map<String, int[]> expectedShapes = expectedShapes(mode, inputSize, hiddenSize, numLayers, bias, direction);
        for (Map.Entry<String, int[]> e : expectedShapes.entrySet()) {
            Tensor t = parameters.get(e.getKey());
            if (t == null) {
                problems.add("missing " + e.getKey());
            } else if (!Arrays.equals(t.shape(), e.getValue())) {
                problems.add(e.getKey() + " has shape " + t.shapeString() + ", expected " + Arrays.toString(e.getValue()));
            } else {
                ordered.put(e.getKey(), t);
            }
        }
        for (String name : parameters.keySet()) {
            if (!expectedShapes.containsKey(name)) {
                problems.add("unexpected " + name);
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(mode + " stack (input_size=" + inputSize + ", hidden_size=" + hiddenSize
                    + ", num_layers=" + numLayers + ", bias=" + bias + ", direction=" + direction + "): "
                    + String.join("; ", problems));
        }
        parameters = Collections.unmodifiableMap(ordered);
    }

    /** The parameter names in PyTorch's order: per layer, per direction, weight_ih, weight_hh, bias_ih, bias_hh. */
    public List<String> parameterNames() {
        return List.copyOf(parameters.keySet());
    }

    /** {@code weight_ih} of {@code layer} in {@code dir} (0 = forward, 1 = backward): (G·H, H_in of the layer). */
    public Tensor weightIh(int layer, int dir) {
        return parameters.get("weight_ih" + suffix(layer, dir, direction));
    }

    /** {@code weight_hh} of {@code layer} in {@code dir}: (G·H, H). */
    public Tensor weightHh(int layer, int dir) {
        return parameters.get("weight_hh" + suffix(layer, dir, direction));
    }

    /** {@code bias_ih} of {@code layer} in {@code dir} (G·H), or null without bias. */
    public Tensor biasIh(int layer, int dir) {
        return parameters.get("bias_ih" + suffix(layer, dir, direction));
    }

    /** {@code bias_hh} of {@code layer} in {@code dir} (G·H), or null without bias. */
    public Tensor biasHh(int layer, int dir) {
        return parameters.get("bias_hh" + suffix(layer, dir, direction));
    }

    /**
     * {@code _l{layer}}, plus {@code _reverse} for the backward direction ({@code dir} 1 of a
     * bidirectional stack, or the only direction of a REVERSE one).
     */
    static String suffix(int layer, int dir, Direction direction) {
        return "_l" + layer + (dir == 1 || direction == Direction.REVERSE ? "_reverse" : "");
    }

    /** Every parameter's name and shape, in PyTorch's order. */
    private static Map<String, int[]> expectedShapes(Mode mode, int inputSize, int hiddenSize, int numLayers,
                                                     boolean bias, Direction direction) {
        int rows = mode.gates() * hiddenSize;
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (int layer = 0; layer < numLayers; layer++) {
            int layerInput = layer == 0 ? inputSize : direction.count() * hiddenSize;
            for (int dir = 0; dir < direction.count(); dir++) {
                String suffix = suffix(layer, dir, direction);
                shapes.put("weight_ih" + suffix, new int[] {rows, layerInput});
                shapes.put("weight_hh" + suffix, new int[] {rows, hiddenSize});
                if (bias) {
                    shapes.put("bias_ih" + suffix, new int[] {rows});
                    shapes.put("bias_hh" + suffix, new int[] {rows});
                }
            }
        }
        return shapes;
    }
}
