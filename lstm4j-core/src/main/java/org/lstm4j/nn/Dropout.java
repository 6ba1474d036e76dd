package org.lstm4j.nn;

import java.util.SplittableRandom;
import org.lstm4j.autograd.Autograd;
import org.lstm4j.autograd.Variable;
import org.lstm4j.internal.TensorData;
import org.lstm4j.math.DropoutMath;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.nn.Dropout}: in training mode zeroes each element with probability p
 * and scales the rest by 1/(1-p); in evaluation mode it is the identity. As in PyTorch the mode
 * ({@code train()} / {@code eval()}) decides, not {@code Autograd.noGrad()}.
 *
 * <pre>{@code
 * Dropout dropout = new Dropout(0.5, 42);
 * Variable y = dropout.forward(x);      // training mode is the default, as in PyTorch
 * }</pre>
 */
public final class Dropout extends Module {
    private final double p;
    private SplittableRandom random;
    private final Object randomLock = new Object();

    /** {@code torch.nn.Dropout(p)} with a random seed. */
    public Dropout(double p) {
        this(p, new SplittableRandom().nextLong());
    }

    /** Masks drawn from a generator seeded with {@code seed}. */
    public Dropout(double p, long seed) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        }
        this.p = p;
        this.random = new SplittableRandom(seed);
    }

    public double p() {
        return p;
    }

    /** Restarts the mask stream from {@code seed}. */
    public void manualSeed(long seed) {
        synchronized (randomLock) {
            random = new SplittableRandom(seed);
        }
    }

    /** Inference form: a dropped copy in training mode, the input itself in evaluation mode. */
    public Tensor forward(Tensor input) {
        if (!isTraining() || p == 0) {
            return input;
        }
        float[] y = TensorData.array(input).clone();
        synchronized (randomLock) {
            DropoutMath.applyInPlace(random, p, y);
        }
        return Tensor.of(y, input.shape());
    }

    /** On the autograd tape; the mask is kept for the backward pass. */
    public Variable forward(Variable input) {
        if (!isTraining() || p == 0) {
            return input;
        }
        float[] x = TensorData.array(input.value());
        float[] mask = new float[x.length];
        synchronized (randomLock) {
            DropoutMath.sampleMask(random, p, mask);
        }
        float[] y = new float[x.length];
        DropoutMath.dropoutForward(x.length, x, mask, y);
        return Autograd.record("Dropout", new Variable[] {input}, false, Tensor.of(y, input.shape()),
                (dOut, dIn) -> DropoutMath.dropoutBackward(mask.length, TensorData.array(dOut[0]), mask, TensorData.array(dIn[0])));
    }


    /** {@link Module#train()}, typed: returns this Dropout. */
    @Override
    public Dropout train() {
        super.train();
        return this;
    }

    /** {@link Module#eval()}, typed. */
    @Override
    public Dropout eval() {
        super.eval();
        return this;
    }

    @Override
    public String toString() {
        return "Dropout(p=" + p + ")";
    }
}
