package org.lstm4j.nn.loss;

import java.util.Arrays;
import org.lstm4j.autograd.Autograd;
import org.lstm4j.autograd.Variable;
import org.lstm4j.internal.TensorData;
import org.lstm4j.tensor.Tensor;

/**
 * The reduction step shared by the losses: per-element losses in, the reduced loss out, and on
 * the way back the gradient of each element's loss.
 */
final class Losses {

    private Losses() {
    }

    /** Computes dL/d(input) (+=) from the gradient of each element's loss. */
    @FunctionalInterface
    interface ElementBackward {
        void backward(float[] dLoss, float[] dInput);
    }

    /**
     * Reduces {@code perElement} (shape {@code shape}) and records the loss op, whose backward
     * reads the input's value and {@code target}.
     *
     * @param target  the target tensor, or null when the target is not a tensor
     * @param divisor the mean's denominator (element count, or non-ignored count)
     */
    static Variable reduce(String name, Variable input, Tensor target, float[] perElement, int[] shape,
                           Reduction reduction, int divisor, ElementBackward backward) {
        Tensor value;
        if (reduction == Reduction.NONE) {
            value = Tensor.of(perElement, shape);
        } else {
            double sum = 0;
            for (float v : perElement) {
                sum += v;
            }
            value = Tensor.scalar((float) (reduction == Reduction.SUM ? sum : sum / divisor));
        }
        int n = perElement.length;
        Tensor[] saved = {input.value(), target};
        return Autograd.record(name, new Variable[] {input}, saved, false, value, (dOut, dIn) -> {
            float[] dLoss;
            if (reduction == Reduction.NONE) {
                dLoss = TensorData.array(dOut[0]);
            } else {
                dLoss = new float[n];
                Arrays.fill(dLoss, reduction == Reduction.SUM ? dOut[0].item() : dOut[0].item() / divisor);
            }
            backward.backward(dLoss, TensorData.array(dIn[0]));
        });
    }

    static void requireSameShape(String loss, Tensor input, Tensor target) {
        if (!Arrays.equals(input.shape(), target.shape())) {
            throw new IllegalArgumentException(loss + ": Using a target size (" + target.shapeString()
                    + ") that is different to the input size (" + input.shapeString() + ") is not supported");
        }
    }
}
