package org.lstm4j.optim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.lstm4j.internal.TensorData;
import org.lstm4j.nn.Parameter;
import org.lstm4j.tensor.Tensor;

/**
 * Base of the optimizers, after {@code torch.optim.Optimizer} with a single parameter group.
 *
 * <pre>{@code
 * Optimizer opt = new Adam(model.parameters(), 1e-3);
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * }</pre>
 *
 * <p>{@link #step()} skips parameters whose gradient is null (never reached by a backward pass),
 * as PyTorch does, and bumps each updated parameter's {@link Parameter#version()}.
 * {@link #stateDict()} / {@link #loadStateDict} save and restore everything a step depends on,
 * so training resumes exactly.
 */
public abstract class Optimizer {
    private final List<Parameter> parameters;
    private double lr;

    protected Optimizer(Collection<Parameter> parameters, double lr) {
        Objects.requireNonNull(parameters, "parameters");
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        for (Parameter p : parameters) {
            Objects.requireNonNull(p, "parameter");
        }
        requireNonNegative("learning rate", lr);
        this.parameters = List.copyOf(parameters);
        this.lr = lr;
    }

    /** One update of every parameter that has a gradient. */
    public final void step() {
        for (int i = 0; i < parameters.size(); i++) {
            Parameter p = parameters.get(i);
            if (p.grad() != null) {
                update(i, TensorData.array(p.data()), TensorData.array(p.grad()));
                p.markChanged();
            }
        }
    }

    /**
     * Updates parameter {@code index} in place.
     *
     * @param param the value
     * @param grad  its gradient, same length (read only)
     */
    protected abstract void update(int index, float[] param, float[] grad);

    /** Zeroes every parameter's gradient (PyTorch's {@code zero_grad(set_to_none=False)}). */
    public final void zeroGrad() {
        for (Parameter p : parameters) {
            p.zeroGrad();
        }
    }

    /** The parameters, in the order state indices refer to. */
    public final List<Parameter> parameters() {
        return parameters;
    }

    public final double lr() {
        return lr;
    }

    /** Sets the learning rate, as {@code param_groups[0]['lr'] = lr}; schedulers use this. */
    public final void setLr(double lr) {
        requireNonNegative("learning rate", lr);
        this.lr = lr;
    }

    /** A snapshot of the state (copies), see {@link OptimizerState}. */
    public final OptimizerState stateDict() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, Double> scalars = new LinkedHashMap<>();
        scalars.put("lr", lr);
        saveState(tensors, scalars);
        return new OptimizerState(tensors, scalars);
    }

    /**
     * Restores a snapshot taken by the same kind of optimizer over parameters of the same shapes.
     * Keys this optimizer does not know, and buffers of the wrong shape, are errors.
     */
    public final void loadStateDict(OptimizerState state) {
        Objects.requireNonNull(state, "state");
        List<String> unknown = new ArrayList<>();
        for (String key : state.tensors().keySet()) {
            if (!knowsTensor(key)) {
                unknown.add(key);
            }
        }
        for (String key : state.scalars().keySet()) {
            if (!key.equals("lr") && !knowsScalar(key)) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("optimizer state has keys " + getClass().getSimpleName()
                    + " does not use: " + unknown);
        }
        state.tensors().forEach((key, value) -> {
            int index = indexOf(key);
            int[] expected = parameters.get(index).shape();
            if (!Arrays.equals(expected, value.shape())) {
                throw new IllegalArgumentException("optimizer state " + key + " has shape " + value.shapeString()
                        + ", expected " + Arrays.toString(expected) + " (the shape of parameter " + index + ")");
            }
        });
        Double savedLr = state.scalars().get("lr");
        if (savedLr == null) {
            throw new IllegalArgumentException("optimizer state has no lr, keys: " + state.scalars().keySet());
        }
        setLr(savedLr);
        loadState(state.tensors(), state.scalars());
    }

    /** Adds this optimizer's buffers (copies) and per-parameter scalars. */
    protected abstract void saveState(Map<String, Tensor> tensors, Map<String, Double> scalars);

    /** Replaces this optimizer's buffers; keys and shapes were checked. Missing keys mean "no state yet". */
    protected abstract void loadState(Map<String, Tensor> tensors, Map<String, Double> scalars);

    /** Per-parameter buffer names, e.g. "exp_avg". */
    protected abstract List<String> tensorNames();

    /** Per-parameter scalar names, e.g. "step". */
    protected List<String> scalarNames() {
        return List.of();
    }

    private boolean knowsTensor(String key) {
        return knows(key, tensorNames());
    }

    private boolean knowsScalar(String key) {
        return knows(key, scalarNames());
    }

    private boolean knows(String key, List<String> names) {
        int dot = key.indexOf('.');
        if (dot <= 0) {
            return false;
        }
        try {
            int index = Integer.parseInt(key.substring(0, dot));
            return index >= 0 && index < parameters.size() && names.contains(key.substring(dot + 1));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static int indexOf(String key) {
        return Integer.parseInt(key.substring(0, key.indexOf('.')));
    }

    static void requireNonNegative(String what, double value) {
        if (!(value >= 0)) {
            throw new IllegalArgumentException("Invalid " + what + ": " + value);
        }
    }

    /** A copy of {@code buffer} as a tensor of {@code parameter}'s shape. */
    static Tensor copyOf(float[] buffer, Parameter parameter) {
        return Tensor.of(buffer.clone(), parameter.shape());
    }
}
