package org.lstm4j.autograd;

import java.util.Arrays;
import java.util.Objects;
import org.lstm4j.internal.TensorData;
import org.lstm4j.tensor.Tensor;

/**
 * A tensor that takes part in automatic differentiation, like a PyTorch tensor with
 * {@code requires_grad}: its value, whether it needs a gradient, the op that made it, and after
 * {@link #backward()} its gradient.
 *
 * <pre>{@code
 * Variable x = Variable.of(Tensor.randn(0, 5, 3, 10));        // data: no gradient
 * LSTM.VariableOutput out = lstm.forward(x, null, null);      // recorded on the tape
 * Variable loss = criterion.forward(fc.forward(out.hN().select(0, -1)), targets);
 * loss.backward();                                            // fills each Parameter's grad()
 * }</pre>
 *
 * <p>Leaves are made by {@link #of} (a constant) or {@link #requiringGrad} (a gradient
 * accumulates in {@link #grad()}, as for a PyTorch leaf with {@code requires_grad=True}); every
 * other variable is the output of a recorded op. Model parameters are not variables: layers
 * write their gradients straight into {@code Parameter.grad()}. Values are shared, not copied,
 * and must not be modified while a graph that read them may still run backward.
 */
public final class Variable {
    private final Tensor value;
    private final boolean requiresGrad;
    /** The op that made this variable; null for leaves. */
    final Node creator;
    private Tensor grad;

    Variable(Tensor value, boolean requiresGrad, Node creator) {
        this.value = Objects.requireNonNull(value, "value");
        this.requiresGrad = requiresGrad;
        this.creator = creator;
    }

    /** A constant leaf: data, targets, a detached state. No gradient is computed for it. */
    public static Variable of(Tensor value) {
        return new Variable(value, false, null);
    }

    /** A leaf whose gradient backward passes accumulate into {@link #grad()}. */
    public static Variable requiringGrad(Tensor value) {
        return new Variable(value, true, null);
    }

    /** The value (shared, not a copy). */
    public Tensor value() {
        return value;
    }

    /**
     * The accumulated gradient of a leaf that requires grad, or null before any backward pass.
     * Non-leaf gradients are freed when their op has run, as PyTorch does.
     */
    public Tensor grad() {
        return grad;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** True for variables not made by a recorded op. */
    public boolean isLeaf() {
        return creator == null;
    }

    public int[] shape() {
        return value.shape();
    }

    public int dim() {
        return value.dim();
    }

    public int size(int dim) {
        return value.size(dim);
    }

    /** The single value of a one-element variable, e.g. a loss. */
    public float item() {
        return value.item();
    }

    /**
     * The same value cut off from the graph: gradients stop here. Truncated backpropagation
     * through time carries {@code hN.detach()} and {@code cN.detach()} into the next chunk.
     */
    public Variable detach() {
        return of(value);
    }

    /** Sets a leaf's gradient to zero (keeps the buffer). */
    public void zeroGrad() {
        if (grad != null) {
            Arrays.fill(TensorData.array(grad), 0f);
        }
    }

    /** Backward from a one-element variable (a loss): dL/dL = 1. */
    public void backward() {
        if (value.numel() != 1) {
            throw new IllegalStateException("grad can be implicitly created only for scalar outputs, got shape "
                    + value.shapeString());
        }
        Autograd.backward(this, Tensor.full(1f, value.shape()));
    }

    /** Backward with an explicit gradient of this variable, same shape ({@code y.backward(gradient)}). */
    public void backward(Tensor gradient) {
        Autograd.backward(this, Objects.requireNonNull(gradient, "gradient"));
    }

    /** this + other, same shapes. */
    public Variable add(Variable other) {
        float[] a = TensorData.array(value);
        float[] b = TensorData.array(requireSameShape(other, "add").value);
        float[] y = new float[a.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = a[i] + b[i];
        }
        return Autograd.record("add", new Variable[] {this, other}, false, Tensor.of(y, value.shape()),
                (dOut, dIn) -> {
                    float[] dy = TensorData.array(dOut[0]);
                    for (Tensor d : dIn) {
                        if (d != null) {
                            addInto(dy, TensorData.array(d));
                        }
                    }
                });
    }

    /** this ⊙ other, elementwise, same shapes. */
    public Variable mul(Variable other) {
        float[] a = TensorData.array(value);
        float[] b = TensorData.array(requireSameShape(other, "mul").value);
        float[] y = new float[a.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = a[i] * b[i];
        }
        Tensor[] saved = {value, other.value};
        return Autograd.record("mul", new Variable[] {this, other}, saved, false, Tensor.of(y, value.shape()),
                (dOut, dIn) -> {
                    float[] dy = TensorData.array(dOut[0]);
                    if (dIn[0] != null) {
                        float[] da = TensorData.array(dIn[0]);
                        for (int i = 0; i < dy.length; i++) {
                            da[i] += dy[i] * b[i];
                        }
                    }
                    if (dIn[1] != null) {
                        float[] db = TensorData.array(dIn[1]);
                        for (int i = 0; i < dy.length; i++) {
                            db[i] += dy[i] * a[i];
                        }
                    }
                });
    }

    /** this · s for a constant s. */
    public Variable mul(float s) {
        float[] a = TensorData.array(value);
        float[] y = new float[a.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = a[i] * s;
        }
        return Autograd.record("mul", new Variable[] {this}, false, Tensor.of(y, value.shape()),
                (dOut, dIn) -> {
                    float[] dy = TensorData.array(dOut[0]);
                    float[] da = TensorData.array(dIn[0]);
                    for (int i = 0; i < dy.length; i++) {
                        da[i] += dy[i] * s;
                    }
                });
    }

    /** Sum of all elements, a 0-d variable (summed in double). */
    public Variable sum() {
        return Autograd.record("sum", new Variable[] {this}, false, Tensor.scalar((float) total(TensorData.array(value))),
                (dOut, dIn) -> addConstant(TensorData.array(dIn[0]), dOut[0].item()));
    }

    /** Mean of all elements, a 0-d variable. */
    public Variable mean() {
        int n = value.numel();
        return Autograd.record("mean", new Variable[] {this}, false, Tensor.scalar((float) (total(TensorData.array(value)) / n)),
                (dOut, dIn) -> addConstant(TensorData.array(dIn[0]), dOut[0].item() / n));
    }

    /** Index {@code index} along {@code dim}, that dim removed: {@code x[-1]} is {@code select(0, -1)}. */
    public Variable select(int dim, int index) {
        int[] shape = value.shape();
        int d = dim < 0 ? dim + shape.length : dim;
        Tensor y = value.select(dim, index); // validates dim and index
        int i = index < 0 ? index + shape[d] : index;
        int outer = 1;
        for (int k = 0; k < d; k++) {
            outer *= shape[k];
        }
        int inner = 1;
        for (int k = d + 1; k < shape.length; k++) {
            inner *= shape[k];
        }
        int size = shape[d];
        int innerSize = inner;
        int outerSize = outer;
        return Autograd.record("select", new Variable[] {this}, false, y, (dOut, dIn) -> {
            float[] dy = TensorData.array(dOut[0]);
            float[] dx = TensorData.array(dIn[0]);
            for (int o = 0; o < outerSize; o++) {
                int src = o * innerSize;
                int dst = (o * size + i) * innerSize;
                for (int j = 0; j < innerSize; j++) {
                    dx[dst + j] += dy[src + j];
                }
            }
        });
    }

    /** Same values, new shape (one dimension may be -1). */
    public Variable reshape(int... shape) {
        return Autograd.record("reshape", new Variable[] {this}, false, value.reshape(shape),
                (dOut, dIn) -> addInto(TensorData.array(dOut[0]), TensorData.array(dIn[0])));
    }

    /** Dimensions {@code dim0} and {@code dim1} swapped (a copy). */
    public Variable transpose(int dim0, int dim1) {
        return Autograd.record("transpose", new Variable[] {this}, false, value.transpose(dim0, dim1),
                (dOut, dIn) -> addInto(TensorData.array(dOut[0].transpose(dim0, dim1)), TensorData.array(dIn[0])));
    }

    /** The gradient buffer, allocated as zeros on first use. */
    Tensor gradBuffer() {
        if (grad == null) {
            grad = Tensor.zeros(value.shape());
        }
        return grad;
    }

    void accumulateGrad(Tensor g) {
        addInto(TensorData.array(g), TensorData.array(gradBuffer()));
    }

    /** Frees a non-leaf's gradient once its op has consumed it. */
    void releaseGrad() {
        if (creator != null) {
            grad = null;
        }
    }

    private Variable requireSameShape(Variable other, String op) {
        Objects.requireNonNull(other, "other");
        if (!Arrays.equals(value.shape(), other.value.shape())) {
            throw new IllegalArgumentException(op + ": shapes must match, got " + value.shapeString() + " and "
                    + other.value.shapeString());
        }
        return other;
    }

    private static double total(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x;
        }
        return s;
    }

    private static void addInto(float[] src, float[] dst) {
        for (int i = 0; i < dst.length; i++) {
            dst[i] += src[i];
        }
    }

    private static void addConstant(float[] dst, float c) {
        for (int i = 0; i < dst.length; i++) {
            dst[i] += c;
        }
    }

    @Override
    public String toString() {
        return "Variable(" + value + (requiresGrad ? ", requiresGrad" : "") + (creator != null ? ", op=" + creator.name : "")
                + ")";
    }
}
