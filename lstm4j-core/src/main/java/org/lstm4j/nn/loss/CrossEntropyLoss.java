package org.lstm4j.nn.loss;

import java.util.Objects;
import org.lstm4j.autograd.Variable;
import org.lstm4j.internal.TensorData;
import org.lstm4j.math.LossMath;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.nn.CrossEntropyLoss} with class-index targets: log-softmax over the
 * class dimension and negative log-likelihood of the target class.
 *
 * <p>Shapes as in PyTorch: logits (C) with one target, (N, C) with N targets, or
 * (N, C, d1, …) with targets (N, d1, …) — e.g. a sequence model's (N, C, L). A sequence model
 * producing (N, L, C) can instead use {@code logits.reshape(-1, C)} with N·L targets. Targets
 * equal to {@code ignoreIndex} (default −100) contribute nothing, and the mean runs over the
 * others only (0/0 = NaN when all are ignored, as in PyTorch).
 *
 * <pre>{@code
 * CrossEntropyLoss criterion = new CrossEntropyLoss();
 * Variable loss = criterion.forward(logits, new int[] {3, 0, 1});   // logits (3, C)
 * }</pre>
 *
 * Not supported: class weights, label smoothing, probability targets.
 */
public final class CrossEntropyLoss {
    /** PyTorch's default {@code ignore_index}. */
    public static final int DEFAULT_IGNORE_INDEX = -100;

    private final Reduction reduction;
    private final int ignoreIndex;

    public CrossEntropyLoss() {
        this(Reduction.MEAN, DEFAULT_IGNORE_INDEX);
    }

    public CrossEntropyLoss(Reduction reduction, int ignoreIndex) {
        this.reduction = Objects.requireNonNull(reduction, "reduction");
        this.ignoreIndex = ignoreIndex;
    }

    /** See the class documentation for shapes; targets are flattened in row-major order. */
    public Variable forward(Variable input, int[] targets) {
        Tensor x = input.value();
        int[] shape = x.shape();
        if (shape.length == 0) {
            throw new IllegalArgumentException("CrossEntropyLoss: expected input of 1 or more dimensions, got 0-D");
        }
        int batch = shape.length == 1 ? 1 : shape[0];
        int classes = shape.length == 1 ? shape[0] : shape[1];
        int inner = innerSize(shape);
        int positions = batch * inner;
        if (targets.length != positions) {
            throw new IllegalArgumentException("CrossEntropyLoss: Expected " + positions + " targets for input of shape "
                    + x.shapeString() + ", got " + targets.length);
        }
        int[] t = targets.clone();
        for (int target : t) {
            if (target != ignoreIndex && (target < 0 || target >= classes)) {
                throw new IllegalArgumentException("CrossEntropyLoss: Target " + target + " is out of bounds: expected"
                        + " a class in [0, " + classes + ") or ignore_index " + ignoreIndex);
            }
        }
        float[] loss = new float[positions];
        int counted = LossMath.crossEntropyForward(batch, classes, inner, TensorData.array(x), t, ignoreIndex, loss);
        int[] lossShape = new int[Math.max(0, shape.length - 1)];
        if (shape.length > 1) {
            lossShape[0] = batch;
            System.arraycopy(shape, 2, lossShape, 1, shape.length - 2);
        }
        return Losses.reduce("CrossEntropyLoss", input, null, loss, lossShape, reduction, counted,
                (dLoss, dx) -> LossMath.crossEntropyBackward(batch, classes, inner, TensorData.array(x), t, ignoreIndex, dLoss, dx));
    }

    /** d1·d2·… for (N, C, d1, …); 1 for (C) and (N, C). */
    private static int innerSize(int[] shape) {
        int inner = 1;
        for (int d = 2; d < shape.length; d++) {
            inner *= shape[d];
        }
        return inner;
    }

    @Override
    public String toString() {
        return "CrossEntropyLoss(reduction=" + reduction.name().toLowerCase(java.util.Locale.ROOT)
                + (ignoreIndex != DEFAULT_IGNORE_INDEX ? ", ignore_index=" + ignoreIndex : "") + ")";
    }
}
