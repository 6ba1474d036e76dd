package org.lstm4j.nn.loss;

import java.util.Objects;
import org.lstm4j.autograd.Variable;
import org.lstm4j.internal.TensorData;
import org.lstm4j.math.LossMath;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.nn.BCEWithLogitsLoss}: binary cross-entropy of σ(input) against target
 * in [0, 1], computed from the logits in the numerically stable form
 * max(x, 0) − x·y + log(1 + e^(−|x|)).
 *
 * <pre>{@code
 * Variable loss = new BCEWithLogitsLoss().forward(logits, labels);   // labels 0.0 / 1.0
 * }</pre>
 */
public final class BCEWithLogitsLoss {
    private final Reduction reduction;

    public BCEWithLogitsLoss() {
        this(Reduction.MEAN);
    }

    public BCEWithLogitsLoss(Reduction reduction) {
        this.reduction = Objects.requireNonNull(reduction, "reduction");
    }

    /** input (logits) and target of the same shape; the target gets no gradient. */
    public Variable forward(Variable input, Tensor target) {
        Tensor x = input.value();
        Losses.requireSameShape("BCEWithLogitsLoss", x, target);
        int n = x.numel();
        float[] loss = new float[n];
        LossMath.bceWithLogitsForward(n, TensorData.array(x), TensorData.array(target), loss);
        return Losses.reduce("BCEWithLogitsLoss", input, target, loss, x.shape(), reduction, n,
                (dLoss, dx) -> LossMath.bceWithLogitsBackward(n, TensorData.array(x), TensorData.array(target), dLoss, dx));
    }
}
