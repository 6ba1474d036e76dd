package org.lstm4j.nn;

import java.util.Objects;
import org.lstm4j.internal.TensorData;
import org.lstm4j.tensor.Tensor;

/**
 * A trainable tensor: its value and, once a backward pass has run, its gradient of the same
 * shape. Like {@code torch.nn.Parameter}, the value is updated in place by optimizers and
 * {@link Module#loadStateDict}, so references to {@link #data()} stay valid.
 */
public final class Parameter {
    private final Tensor data;
    private Tensor grad;

    public Parameter(Tensor data) {
        this.data = Objects.requireNonNull(data, "data");
    }

    /**
     * The value (live, not a copy). Every change made through it — {@link Tensor#set},
     * {@link Tensor#data()} — moves {@link #version()}, so layers see it at their next forward.
     */
    public Tensor data() {
        return data;
    }

    /** The accumulated gradient, or null before any backward pass (as PyTorch's {@code .grad}). */
    public Tensor grad() {
        return grad;
    }

    /** The gradient buffer, created as zeros on first use; backward passes accumulate into it. */
    public Tensor gradBuffer() {
        if (grad == null) {
            grad = Tensor.zeros(data.shape());
        }
        return grad;
    }

    /** Sets the gradient to zero (keeps the buffer) — PyTorch's {@code zero_grad(set_to_none=False)}. */
    public void zeroGrad() {
        if (grad != null) {
            java.util.Arrays.fill(TensorData.array(grad), 0f);
        }
    }

    /**
     * Counts in-place changes of the value: its tensor's {@link Tensor#version()} (PyTorch's
     * {@code tensor._version}). Optimizer steps, state-dict loads and writes through the tensor
     * move it, so a layer caching data derived from the value (such as weight panels) can
     * tell when to rebuild it.
     */
    public int version() {
        return data.version();
    }

    /** Records that the value was changed in place; see {@link #version()}. */
    public void markChanged() {
        data.markChanged();
    }

    public int[] shape() {
        return data.shape();
    }

    @Override
    public String toString() {
        return "Parameter(" + data + ")";
    }
}
