package org.lstm4j.autograd;

import org.lstm4j.tensor.Tensor;

/**
 * The backward of one recorded op (see {@link Autograd#record}): turns the gradients of its
 * outputs into gradients of its inputs. It accumulates ({@code +=}) into {@code inputGrads} and
 * into its parameters' {@code gradBuffer()}, never overwrites.
 */
@FunctionalInterface
public interface BackwardFunction {

    /**
     * @param outputGrads dL/d(output k), same shape as output k, or null where no gradient reached it
     *                    (treat as zeros)
     * @param inputGrads  the gradient buffer of input k to add into, or null when input k needs none
     */
    void backward(Tensor[] outputGrads, Tensor[] inputGrads);
}
