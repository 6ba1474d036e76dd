package org.lstm4j.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.lstm4j.tensor.Tensor;

/**
 * Works out an LSTM's constructor arguments from a state dict's names and shapes: the inverse of
 * {@link LSTM.Config#parameterSpecs()}, which stays the one definition of the names.
 *
 * <p>inputSize and hiddenSize come from {@code weight_ih_l0} (4·hidden, input); numLayers from
 * the {@code weight_ih_l{k}} present; bidirectional from {@code weight_ih_l0_reverse}; bias from
 * {@code bias_ih_l0}; projSize from {@code weight_hr_l0} (proj, hidden). batchFirst and dropout
 * are not stored in a state dict and default to PyTorch's defaults.
 */
final class LSTMConfigInference {

    private static final String ANCHOR = "weight_ih_l0";

    private LSTMConfigInference() {
    }

    /**
     * The prefix before {@code weight_ih_l0} of the one LSTM in {@code keys} ("" for a bare LSTM
     * state dict, "lstm." or "encoder.rnn." inside a model).
     *
     * @throws IllegalArgumentException if there is no LSTM, or several (the message lists them)
     */
    static String findPrefix(Iterable<String> keys) {
        TreeSet<String> prefixes = prefixes(keys);
        if (prefixes.isEmpty()) {
            for (String key : keys) {
                if (key.endsWith(ANCHOR + "_reverse")) {
                    throw new IllegalArgumentException("no LSTM found: \"" + key + "\" without \"" + ANCHOR + "\" is a"
                            + " layer that runs backward in time only (ONNX direction=\"reverse\"), which torch.nn.LSTM"
                            + " has no argument for");
                }
            }
            throw new IllegalArgumentException("no LSTM found: no key ends with \"" + ANCHOR + "\"");
        }
        if (prefixes.size() > 1) {
            throw new IllegalArgumentException("found " + prefixes.size() + " LSTMs, choose one with a prefix: "
                    + String.join(", ", prefixes.stream().map(p -> "\"" + p + "\"").toList()));
        }
        return prefixes.first();
    }

    /** Every prefix under which an LSTM's {@code weight_ih_l0} appears, sorted. */
    static TreeSet<String> prefixes(Iterable<String> keys) {
        TreeSet<String> prefixes = new TreeSet<>();
        for (String key : keys) {
            if (key.endsWith(ANCHOR) && (key.length() == ANCHOR.length()
                    || key.charAt(key.length() - ANCHOR.length() - 1) == '.')) {
                prefixes.add(key.substring(0, key.length() - ANCHOR.length()));
            }
        }
        return prefixes;
    }

    /** The entries under {@code prefix}, with the prefix removed, in their original order. */
    static Map<String, Tensor> strip(Map<String, Tensor> stateDict, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        stateDict.forEach((key, value) -> {
            if (key.startsWith(prefix)) {
                String rest = key.substring(prefix.length());
                if (!rest.contains(".")) {
                    out.put(rest, value);
                }
            }
        });
        return out;
    }

    /**
     * The configuration of the LSTM whose parameters are exactly {@code stateDict} (no prefix).
     *
     * @throws IllegalArgumentException naming the tensor whose name or shape does not fit
     */
    static LSTM.Config infer(Map<String, Tensor> stateDict) {
        Tensor wIh = stateDict.get(ANCHOR);
        if (wIh == null) {
            throw new IllegalArgumentException("not an LSTM state dict: missing \"" + ANCHOR + "\"; keys are "
                    + stateDict.keySet());
        }
        if (wIh.dim() != 2 || wIh.size(0) % 4 != 0 || wIh.size(0) == 0) {
            throw new IllegalArgumentException(ANCHOR + " must have shape (4*hidden_size, input_size), got "
                    + wIh.shapeString());
        }
        int hidden = wIh.size(0) / 4;
        int inputSize = wIh.size(1);
        int numLayers = 0;
        while (stateDict.containsKey("weight_ih_l" + numLayers)) {
            numLayers++;
        }
        boolean bidirectional = stateDict.containsKey("weight_ih_l0_reverse");
        boolean bias = stateDict.containsKey("bias_ih_l0");
        int projSize = 0;
        Tensor wHr = stateDict.get("weight_hr_l0");
        if (wHr != null) {
            if (wHr.dim() != 2) {
                throw new IllegalArgumentException("weight_hr_l0 must have shape (proj_size, hidden_size), got "
                        + wHr.shapeString());
            }
            projSize = wHr.size(0);
        }
        LSTM.Config config;
        try {
            config = new LSTM.Config(inputSize, hidden, numLayers, bias, false, 0.0, bidirectional, projSize);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("inconsistent LSTM state dict: " + e.getMessage(), e);
        }
        List<String> problems = new ArrayList<>();
        List<String> expectedNames = new ArrayList<>();
        for (LSTM.ParameterSpec spec : config.parameterSpecs()) {
            expectedNames.add(spec.name());
            Tensor t = stateDict.get(spec.name());
            if (t == null) {
                problems.add("missing " + spec.name());
            } else if (!Arrays.equals(t.shape(), spec.shape())) {
                problems.add(spec.name() + " has shape " + t.shapeString() + ", expected "
                        + Arrays.toString(spec.shape()));
            }
        }
        for (String key : stateDict.keySet()) {
            if (!expectedNames.contains(key)) {
                problems.add("unexpected " + key);
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("inconsistent LSTM state dict (read as " + describe(config) + "): "
                    + String.join("; ", problems));
        }
        return config;
    }

    private static String describe(LSTM.Config config) {
        return "input_size=" + config.inputSize() + ", hidden_size=" + config.hiddenSize() + ", num_layers="
                + config.numLayers() + ", bias=" + config.bias() + ", bidirectional=" + config.bidirectional()
                + ", proj_size=" + config.projSize();
    }
}
