package org.lstm4j.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.lstm4j.tensor.Tensor;

/**
 * A snapshot of an optimizer, PyTorch's {@code optimizer.state_dict()}: per-parameter buffers
 * keyed {@code "<index>.<name>"} as PyTorch names them ({@code 0.momentum_buffer},
 * {@code 3.exp_avg}, {@code 3.exp_avg_sq}) and scalars ({@code lr}, {@code 3.step}). Indices
 * follow the order of the parameter list the optimizer was built with. Tensors are copies.
 */
public record OptimizerState(Map<String, Tensor> tensors, Map<String, Double> scalars) {

    public OptimizerState {
        Map<String, Tensor> t = new LinkedHashMap<>();
        Objects.requireNonNull(tensors, "tensors").forEach((k, v) -> t.put(k, v.copy()));
        tensors = java.util.Collections.unmodifiableMap(t);
        scalars = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(scalars, "scalars")));
    }
}
