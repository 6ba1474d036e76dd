package org.lstm4j.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.lstm4j.nn.RNNBase.Mode;
import org.lstm4j.tensor.Tensor;

/**
 * Works out a recurrent module's kind and constructor arguments from a state dict's names and
 * shapes: the inverse of {@link RNNBase.Config#parameterSpecs()}, which stays the one definition
 * of the names.
 *
 * <p>The kind comes from the gate count: W_hh is (gates·H, H_out), so weight_hh_l0's rows over
 * its columns are 4 (LSTM), 3 (GRU) or 1 (RNN), and a weight_hr_l0 (an LSTM's projection) means
 * an LSTM. weight_ih_l0's row count alone is ambiguous (12 rows: an LSTM with hidden 3, a GRU with
 * 4 or an RNN with 12), so without a telling weight_hh_l0 the error names the candidates.
 *
 * <p>inputSize and hiddenSize come from {@code weight_ih_l0} (gates·hidden, input); numLayers from
 * the {@code weight_ih_l{k}} present; bidirectional from {@code weight_ih_l0_reverse}; bias from
 * {@code bias_ih_l0}; projSize from {@code weight_hr_l0} (proj, hidden). batchFirst, dropout and an
 * RNN's nonlinearity are not stored in a state dict and take PyTorch's defaults.
 *
 * <p>Parameters that all carry the suffix {@code _reverse}, with no forward ones beside them
 * ({@code weight_ih_l0_reverse} without {@code weight_ih_l0}), are a module whose layers run
 * backward in time only: {@link RNNBase.Direction#REVERSE}, ONNX's {@code direction="reverse"};
 * everything above is then read from the {@code _reverse} names.
 */
final class ConfigInference {

    private static final String ANCHOR = "weight_ih_l0";
    private static final String REVERSE = "_reverse";
    /** The kinds a state dict can be, one mode each (an RNN's nonlinearity is not in its weights). */
    private static final Mode[] KINDS = {Mode.LSTM, Mode.GRU, Mode.RNN_TANH};

    private ConfigInference() {
    }

    /**
     * Every prefix under which a recurrent module's {@code weight_ih_l0} (or, for a REVERSE
     * module, {@code weight_ih_l0_reverse}) appears, sorted.
     */
    static TreeSet<String> prefixes(Iterable<String> keys) {
        TreeSet<String> prefixes = new TreeSet<>();
        for (String key : keys) {
            for (String anchor : new String[] {ANCHOR, ANCHOR + REVERSE}) {
                if (key.endsWith(anchor) && (key.length() == anchor.length()
                        || key.charAt(key.length() - anchor.length() - 1) == '.')) {
                    prefixes.add(key.substring(0, key.length() - anchor.length()));
                }
            }
        }
        return prefixes;
    }

    /**
     * The suffix of the first direction's names in a module's own entries: {@code _reverse} when
     * it has {@code weight_ih_l0_reverse} but no {@code weight_ih_l0} (a REVERSE module), else "".
     */
    private static String firstSuffix(Map<String, Tensor> own) {
        return !own.containsKey(ANCHOR) && own.containsKey(ANCHOR + REVERSE) ? REVERSE : "";
    }

    /**
     * The prefixes of the modules that may be of {@code kind}'s family (all when kind is null): those
     * whose weight_hh_l0 says so, and those whose weights do not tell.
     */
    static TreeSet<String> prefixes(Map<String, Tensor> stateDict, Mode kind) {
        TreeSet<String> matching = new TreeSet<>();
        for (String prefix : prefixes(stateDict.keySet())) {
            Mode told = tell(strip(stateDict, prefix));
            if (kind == null || told == null || sameFamily(told, kind)) {
                matching.add(prefix);
            }
        }
        return matching;
    }

    /**
     * The prefix before {@code weight_ih_l0} of the one module of {@code kind}'s family (any
     * kind when null) in {@code stateDict}: "" for a bare state dict, "lstm." or "encoder.rnn."
     * inside a model.
     *
     * @throws IllegalArgumentException if there is none (naming what there is instead), or several
     *                                  (the message lists them)
     */
    static String findPrefix(Map<String, Tensor> stateDict, Mode kind) {
        TreeSet<String> all = prefixes(stateDict.keySet());
        if (all.isEmpty()) {
            throw new IllegalArgumentException("no " + singular(kind) + " found: no key ends with \"" + ANCHOR + "\"");
        }
        TreeSet<String> matching = prefixes(stateDict, kind);
        if (matching.size() > 1) {
            throw new IllegalArgumentException("found " + matching.size() + " " + plural(commonKind(stateDict, matching,
                    kind)) + ", choose one with a prefix: "
                    + String.join(", ", matching.stream().map(p -> "\"" + p + "\"").toList()));
        }
        if (matching.isEmpty()) {
            List<String> others = new ArrayList<>();
            for (String prefix : all) {
                Map<String, Tensor> own = strip(stateDict, prefix);
                others.add((prefix.isEmpty() ? "this" : "the module under \"" + prefix + "\"") + " is "
                        + otherKind(own, tell(own), kind));
            }
            throw new IllegalArgumentException("no " + singular(kind) + " found: " + String.join("; ", others));
        }
        return matching.first();
    }

    /**
     * The entries under {@code prefix}, with the prefix removed, in their original order.
     *
     * @throws IllegalArgumentException if no key starts with the prefix
     */
    static Map<String, Tensor> own(Map<String, Tensor> stateDict, String prefix, Mode kind) {
        Objects.requireNonNull(prefix, "prefix");
        Map<String, Tensor> own = strip(stateDict, prefix);
        if (own.isEmpty()) {
            throw new IllegalArgumentException("no key starts with prefix \"" + prefix + "\"; " + plural(kind)
                    + " found under: " + prefixes(stateDict, kind));
        }
        return own;
    }

    /** {@code kind}, or when it is null the kind all the modules under {@code prefixes} tell, if they agree. */
    private static Mode commonKind(Map<String, Tensor> stateDict, Iterable<String> prefixes, Mode kind) {
        if (kind != null) {
            return kind;
        }
        Mode common = null;
        for (String prefix : prefixes) {
            Mode told = tell(strip(stateDict, prefix));
            if (told == null || (common != null && !sameFamily(common, told))) {
                return null;
            }
            common = told;
        }
        return common;
    }

    /** The entries under {@code prefix}, with the prefix removed, in their original order. */
    private static Map<String, Tensor> strip(Map<String, Tensor> stateDict, String prefix) {
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
     * The kind the weights tell (RNN as RNN_TANH): LSTM when there is a weight_hr_l0, else by
     * weight_hh_l0's rows over its columns; null when weight_hh_l0 is missing or not (gates·H, H)
     * for 4, 3 or 1 gates.
     */
    static Mode tell(Map<String, Tensor> own) {
        String suffix = firstSuffix(own);
        if (own.containsKey("weight_hr_l0" + suffix)) {
            return Mode.LSTM;
        }
        Tensor wHh = own.get("weight_hh_l0" + suffix);
        if (wHh == null || wHh.dim() != 2 || wHh.size(1) == 0 || wHh.size(0) % wHh.size(1) != 0) {
            return null;
        }
        for (Mode kind : KINDS) {
            if (wHh.size(0) / wHh.size(1) == kind.gates()) {
                return kind;
            }
        }
        return null;
    }

    /**
     * The configuration of the module whose parameters are exactly {@code stateDict} (no prefix),
     * whatever its kind.
     *
     * @throws IllegalArgumentException if the kind cannot be told (naming the candidates), or
     *                                  naming the tensor whose name or shape does not fit
     */
    static RNNBase.Config infer(Map<String, Tensor> stateDict) {
        Mode kind = tell(stateDict);
        if (kind == null) {
            String suffix = firstSuffix(stateDict);
            String anchor = ANCHOR + suffix;
            Tensor wIh = stateDict.get(anchor);
            if (wIh == null || wIh.dim() != 2) {
                throw new IllegalArgumentException("not a recurrent module's state dict: "
                        + (wIh == null ? "missing \"" + anchor + "\"" : anchor + " has shape " + wIh.shapeString())
                        + "; keys are " + stateDict.keySet());
            }
            Tensor wHh = stateDict.get("weight_hh_l0" + suffix);
            List<String> candidates = new ArrayList<>();
            for (Mode candidate : KINDS) {
                if (wIh.size(0) > 0 && wIh.size(0) % candidate.gates() == 0) {
                    candidates.add(candidate.withArticle() + " with hidden_size=" + wIh.size(0) / candidate.gates());
                }
            }
            throw new IllegalArgumentException("cannot tell whether this is an LSTM, a GRU or an RNN: "
                    + (wHh == null ? "weight_hh_l0" + suffix + " is missing" : "weight_hh_l0" + suffix + " has shape "
                    + wHh.shapeString() + ", not (4*hidden_size, hidden_size), (3*hidden_size, hidden_size) or"
                    + " (hidden_size, hidden_size)") + "; from " + anchor + " " + wIh.shapeString() + " alone it could be "
                    + (candidates.isEmpty() ? "none of them" : String.join(", or ", candidates)));
        }
        return infer(stateDict, kind);
    }

    /**
     * The configuration of the {@code kind} module whose parameters are exactly {@code stateDict}
     * (no prefix).
     *
     * @throws IllegalArgumentException if the weights are another kind's (saying which and what to
     *                                  load them with), or naming the tensor whose name or shape
     *                                  does not fit
     */
    static RNNBase.Config infer(Map<String, Tensor> stateDict, Mode kind) {
        Mode told = tell(stateDict);
        if (told != null && !sameFamily(told, kind)) {
            throw new IllegalArgumentException("this is " + otherKind(stateDict, told, kind));
        }
        String name = kind.moduleName();
        String suffix = firstSuffix(stateDict);
        String anchor = ANCHOR + suffix;
        Tensor wIh = stateDict.get(anchor);
        if (wIh == null) {
            throw new IllegalArgumentException("not " + kind.withArticle() + " state dict: missing \"" + ANCHOR
                    + "\"; keys are " + stateDict.keySet());
        }
        int gates = kind.gates();
        if (wIh.dim() != 2 || wIh.size(0) % gates != 0 || wIh.size(0) == 0) {
            throw new IllegalArgumentException(anchor + " must have shape (" + (gates == 1 ? "" : gates + "*")
                    + "hidden_size, input_size), got " + wIh.shapeString());
        }
        int hidden = wIh.size(0) / gates;
        int inputSize = wIh.size(1);
        int numLayers = 0;
        while (stateDict.containsKey("weight_ih_l" + numLayers + suffix)) {
            numLayers++;
        }
        RNNBase.Direction direction = !suffix.isEmpty() ? RNNBase.Direction.REVERSE
                : RNNBase.Direction.of(stateDict.containsKey(ANCHOR + REVERSE));
        boolean bias = stateDict.containsKey("bias_ih_l0" + suffix);
        int projSize = 0;
        Tensor wHr = stateDict.get("weight_hr_l0" + suffix);
        if (wHr != null) {
            if (wHr.dim() != 2) {
                throw new IllegalArgumentException("weight_hr_l0" + suffix + " must have shape (proj_size, hidden_size),"
                        + " got " + wHr.shapeString());
            }
            projSize = wHr.size(0);
        }
        RNNBase.Config config;
        try {
            config = RNNBase.Config.of(kind, inputSize, hidden, numLayers, bias, false, 0.0, direction, projSize);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("inconsistent " + name + " state dict: " + e.getMessage(), e);
        }
        List<String> problems = new ArrayList<>();
        List<String> expectedNames = new ArrayList<>();
        for (RNNBase.ParameterSpec spec : config.parameterSpecs()) {
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
            throw new IllegalArgumentException("inconsistent " + name + " state dict (read as " + describe(config)
                    + "): " + String.join("; ", problems));
        }
        return config;
    }

    /** "a GRU, not an LSTM (weight_hh_l0 has shape [36, 12]: 3*hidden_size rows): use GRU.load". */
    private static String otherKind(Map<String, Tensor> own, Mode told, Mode wanted) {
        String suffix = firstSuffix(own);
        String ih = ANCHOR + suffix;
        String hh = "weight_hh_l0" + suffix;
        String hr = "weight_hr_l0" + suffix;
        if (told == null) {
            return "not " + (wanted == null ? "a recurrent module" : wanted.withArticle()) + " that can be told apart ("
                    + ih + " " + shape(own.get(ih)) + ", " + hh + " " + shape(own.get(hh)) + ")";
        }
        String evidence = own.containsKey(hr) ? "it has " + hr + ", an LSTM's projection"
                : hh + " has shape " + own.get(hh).shapeString() + ": "
                + (told.gates() == 1 ? "" : told.gates() + "*") + "hidden_size rows";
        return told.withArticle() + (wanted == null ? "" : ", not " + wanted.withArticle()) + " (" + evidence + "): use "
                + told.moduleName() + ".load";
    }

    private static String shape(Tensor t) {
        return t == null ? "missing" : t.shapeString();
    }

    private static boolean sameFamily(Mode a, Mode b) {
        return a.moduleName().equals(b.moduleName());
    }

    private static String singular(Mode kind) {
        return kind == null ? "recurrent module" : kind.moduleName();
    }

    private static String plural(Mode kind) {
        return kind == null ? "recurrent modules" : kind.moduleName() + "s";
    }

    private static String describe(RNNBase.Config config) {
        return "input_size=" + config.inputSize() + ", hidden_size=" + config.hiddenSize() + ", num_layers="
                + config.numLayers() + ", bias=" + config.bias() + (config.direction() == RNNBase.Direction.REVERSE
                ? ", direction=REVERSE" : ", bidirectional=" + config.bidirectional())
                + (config.mode() == Mode.LSTM ? ", proj_size=" + config.projSize() : "");
    }
}
