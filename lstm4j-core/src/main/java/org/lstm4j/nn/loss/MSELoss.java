package org.lstm4j.nn.loss;

import java.util.Objects;
import org.lstm4j.autograd.Variable;
import org.lstm4j.internal.TensorData;
import org.lstm4j.math.LossMath;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.nn.MSELoss}: (input − target)², reduced.
 *
 * <pre>{@code
 * Variable loss = new MSELoss().forward(prediction, target);   // mean by default
 * loss.backward();
 * }</pre>
 */
public final class MSELoss {
    private final Reduction reduction;

    public MSELoss() {
        this(Reduction.MEAN);
    }

    public MSELoss(Reduction reduction) {
        this.reduction = Objects.requireNonNull(reduction, "reduction");
    }

    /** input and target of the same shape; the target gets no gradient. */
    public Variable forward(Variable input, Tensor target) {
        Tensor x = input.value();
        Losses.requireSameShape("MSELoss", x, target);
        int n = x.numel();
        float[] loss = new float[n];
        LossMath.mseForward(n, TensorData.array(x), TensorData.array(target), loss);
        return Losses.reduce("MSELoss", input, target, loss, x.shape(), reduction, n,
                (dLoss, dx) -> LossMath.mseBackward(n, TensorData.array(x), TensorData.array(target), dLoss, dx));
    }
}
