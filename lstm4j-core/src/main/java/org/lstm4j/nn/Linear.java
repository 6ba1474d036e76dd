package org.lstm4j.nn;

import java.util.SplittableRandom;
import org.lstm4j.autograd.Autograd;
import org.lstm4j.autograd.Variable;
import org.lstm4j.internal.TensorData;
import org.lstm4j.kernels.Kernels;
import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.math.LinearMath;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.nn.Linear}: y = x·Wᵀ + b over the last dimension.
 *
 * <pre>{@code
 * Linear fc = new Linear(20, 5);                        // torch.nn.Linear(20, 5)
 * Variable logits = fc.forward(Variable.of(Tensor.randn(0, 3, 20)));   // (3, 5)
 * }</pre>
 *
 * Parameters: {@code weight} (outFeatures, inFeatures) and {@code bias} (outFeatures), both
 * initialised from U(-1/√inFeatures, 1/√inFeatures) as PyTorch's {@code reset_parameters}
 * (kaiming_uniform with a = √5 reduces to that bound). Input (*, inFeatures), output
 * (*, outFeatures).
 */
public final class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Parameter weight;
    private final Parameter bias;
    private final MatrixKernels kernels = Kernels.matrix();

    /** {@code torch.nn.Linear(inFeatures, outFeatures)} with a random seed. */
    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true, new SplittableRandom().nextLong());
    }

    /** Weights (then bias) drawn from U(-1/√inFeatures, 1/√inFeatures) with a generator seeded by {@code seed}. */
    public Linear(int inFeatures, int outFeatures, boolean bias, long seed) {
        if (inFeatures <= 0 || outFeatures <= 0) {
            throw new IllegalArgumentException("in_features and out_features must be positive, got in_features="
                    + inFeatures + ", out_features=" + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        SplittableRandom init = new SplittableRandom(seed);
        double bound = 1.0 / Math.sqrt(inFeatures);
        this.weight = registerParameter("weight", new Parameter(Tensor.uniform(init.nextLong(), (float) -bound,
                (float) bound, outFeatures, inFeatures)));
        this.bias = bias ? registerParameter("bias", new Parameter(Tensor.uniform(init.nextLong(), (float) -bound,
                (float) bound, outFeatures))) : null;
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias, or null when built without one. */
    public Parameter bias() {
        return bias;
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    /** Inference: (*, inFeatures) → (*, outFeatures). */
    public Tensor forward(Tensor input) {
        int rows = checkInput(input);
        float[] y = new float[rows * outFeatures];
        LinearMath.linearForward(kernels, rows, inFeatures, outFeatures, TensorData.array(input), TensorData.array(weight.data()),
                bias == null ? null : TensorData.array(bias.data()), y);
        return Tensor.of(y, outputShape(input));
    }

    /** {@link #forward(Tensor)} on the autograd tape. */
    public Variable forward(Variable input) {
        Tensor x = input.value();
        Tensor y = forward(x);
        int rows = y.numel() / outFeatures;
        Tensor[] saved = {x, weight.data()};
        return Autograd.record("Linear", new Variable[] {input}, saved, true, y, (dOut, dIn) ->
                LinearMath.linearBackward(kernels, rows, inFeatures, outFeatures, TensorData.array(dOut[0]), TensorData.array(x),
                        TensorData.array(weight.data()), TensorData.array(weight.gradBuffer()),
                        bias == null ? null : TensorData.array(bias.gradBuffer()), dIn[0] == null ? null : TensorData.array(dIn[0])));
    }

    private int checkInput(Tensor input) {
        if (input.dim() == 0 || input.size(-1) != inFeatures) {
            throw new IllegalArgumentException("mat1 and mat2 shapes cannot be multiplied: input " + input.shapeString()
                    + " needs last dimension " + inFeatures);
        }
        return input.numel() / inFeatures;
    }

    private int[] outputShape(Tensor input) {
        int[] shape = input.shape();
        shape[shape.length - 1] = outFeatures;
        return shape;
    }


    /** {@link Module#train()}, typed: returns this Linear. */
    @Override
    public Linear train() {
        super.train();
        return this;
    }

    /** {@link Module#eval()}, typed. */
    @Override
    public Linear eval() {
        super.eval();
        return this;
    }

    @Override
    public String toString() {
        return "Linear(in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias="
                + (bias != null ? "True" : "False") + ")";
    }
}
