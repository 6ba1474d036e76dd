package org.lstm4j.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.lstm4j.internal.TensorData;
import org.lstm4j.tensor.Tensor;

/**
 * Base class of layers and models, after {@code torch.nn.Module}: named parameters and child
 * modules in registration order, dotted state-dict names ({@code lstm.weight_ih_l0},
 * {@code fc.weight}), and a training/evaluation mode.
 *
 * <pre>{@code
 * class Tagger extends Module {
 *     final LSTM lstm = registerModule("lstm", new LSTM(10, 20));
 * }
 * new Tagger().stateDict().keySet();   // [lstm.weight_ih_l0, lstm.weight_hh_l0, ...]
 * }</pre>
 */
public abstract class Module {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Registers a parameter under {@code name}; registration order is state-dict order. */
    protected final Parameter registerParameter(String name, Parameter parameter) {
        requireNewName(name);
        parameters.put(name, Objects.requireNonNull(parameter, "parameter"));
        return parameter;
    }

    /** Registers a child module; its parameters appear as {@code name.childParameter}. */
    protected final <M extends Module> M registerModule(String name, M module) {
        requireNewName(name);
        children.put(name, Objects.requireNonNull(module, "module"));
        return module;
    }

    /** All parameters, recursively, keyed by dotted name in registration order. */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    /** All parameters, recursively, in state-dict order. */
    public final List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /**
     * Name → value of every parameter. As in PyTorch the tensors are the live parameter values,
     * not copies; copy them if you keep them across optimizer steps.
     */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedParameters().forEach((name, p) -> out.put(name, p.data()));
        return out;
    }

    /** Keys a non-strict {@link #loadStateDict} left alone. */
    public record LoadResult(List<String> missingKeys, List<String> unexpectedKeys) {
    }

    /**
     * Copies values from {@code stateDict} into this module's parameters.
     *
     * <p>Shape mismatches are always errors. With {@code strict}, missing and unexpected keys are
     * errors too; otherwise they are returned. The error lists every problem at once, worded as
     * PyTorch's {@code load_state_dict}. Nothing is copied unless everything checks out.
     */
    public final LoadResult loadStateDict(Map<String, Tensor> stateDict, boolean strict) {
        Objects.requireNonNull(stateDict, "stateDict");
        Map<String, Parameter> own = namedParameters();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatches = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : own.entrySet()) {
            Tensor given = stateDict.get(e.getKey());
            if (given == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(given.shape(), e.getValue().shape())) {
                mismatches.add("size mismatch for " + e.getKey() + ": copying a param with shape "
                        + given.shapeString() + " from checkpoint, the shape in current model is "
                        + Arrays.toString(e.getValue().shape()) + ".");
            }
        }
        for (String key : stateDict.keySet()) {
            if (!own.containsKey(key)) {
                unexpected.add(key);
            }
        }
        List<String> errors = new ArrayList<>();
        if (strict && !unexpected.isEmpty()) {
            errors.add("Unexpected key(s) in state_dict: " + quoted(unexpected) + ".");
        }
        if (strict && !missing.isEmpty()) {
            errors.add("Missing key(s) in state_dict: " + quoted(missing) + ".");
        }
        errors.addAll(mismatches);
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("Error(s) in loading state_dict for " + getClass().getSimpleName()
                    + ":\n\t" + String.join("\n\t", errors));
        }
        for (Map.Entry<String, Parameter> e : own.entrySet()) {
            Tensor given = stateDict.get(e.getKey());
            if (given != null) {
                float[] src = TensorData.array(given);
                System.arraycopy(src, 0, TensorData.array(e.getValue().data()), 0, src.length);
                e.getValue().markChanged();
            }
        }
        return new LoadResult(List.copyOf(missing), List.copyOf(unexpected));
    }

    /** Sets the gradient of every parameter to zero. */
    public final void zeroGrad() {
        for (Parameter p : parameters()) {
            p.zeroGrad();
        }
    }

    /**
     * Training mode (the default): dropout is active. Applies to all children. Returns this
     * module; lstm4j's layers return their own type ({@code LSTM lstm = LSTM.load(f).eval();}), and
     * a subclass may do the same by overriding with a covariant return type.
     *
     * @throws IllegalStateException if this module or a child cannot be trained (an inference-only
     *                               copy from {@code withWeightPrecision}); nothing changes then
     */
    public Module train() {
        String refusal = trainingRefusal();
        if (refusal != null) {
            throw new IllegalStateException(refusal);
        }
        setTraining(true);
        return this;
    }

    /** Why this module or a child cannot be put in training mode, or null when all can. */
    String trainingRefusal() {
        for (Module child : children.values()) {
            String refusal = child.trainingRefusal();
            if (refusal != null) {
                return refusal;
            }
        }
        return null;
    }

    /** Evaluation mode: dropout is the identity. Applies to all children. Returns this module. */
    public Module eval() {
        setTraining(false);
        return this;
    }

    public final boolean isTraining() {
        return training;
    }

    private void setTraining(boolean mode) {
        training = mode;
        for (Module child : children.values()) {
            child.setTraining(mode);
        }
    }

    private void collect(String prefix, Map<String, Parameter> out) {
        parameters.forEach((name, p) -> out.put(prefix + name, p));
        children.forEach((name, child) -> child.collect(prefix + name + ".", out));
    }

    private void requireNewName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("name must be non-empty and contain no '.', got \"" + name + "\"");
        }
        if (parameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("attribute \"" + name + "\" already exists");
        }
    }

    private static String quoted(List<String> keys) {
        StringBuilder sb = new StringBuilder();
        for (String k : keys) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append('"').append(k).append('"');
        }
        return sb.toString();
    }
}
