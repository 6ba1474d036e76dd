package org.lstm4j.optim;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.lstm4j.internal.TensorData;
import org.lstm4j.nn.Parameter;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.optim.Adam} (amsgrad off), update for update, per parameter:
 * <pre>
 *   step += 1
 *   g = grad + weightDecay·p                       (AdamW instead: p = p·(1 − lr·weightDecay))
 *   m = lerp(m, g, 1 − β1)        v = β2·v + (1 − β2)·g²
 *   p = p − lr / (1 − β1^step) · m / (√v / √(1 − β2^step) + eps)
 * </pre>
 * Defaults as PyTorch: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weightDecay 0.
 *
 * <pre>{@code
 * Adam adam = new Adam(model.parameters(), 1e-3);
 * Adam custom = Adam.builder(model.parameters()).lr(3e-4).betas(0.9, 0.98).eps(1e-9).build();
 * }</pre>
 */
public class Adam extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean decoupledWeightDecay;
    /** Per parameter: first and second moment, null before its first step. */
    private final float[][] expAvg;
    private final float[][] expAvgSq;
    private final long[] steps;

    /** {@code torch.optim.Adam(params)}: lr 1e-3. */
    public Adam(Collection<Parameter> parameters) {
        this(parameters, 1e-3);
    }

    /** {@code torch.optim.Adam(params, lr=lr)}. */
    public Adam(Collection<Parameter> parameters, double lr) {
        this(parameters, lr, 0.9, 0.999, 1e-8, 0, false);
    }

    Adam(Collection<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay,
         boolean decoupledWeightDecay) {
        super(parameters, lr);
        requireNonNegative("epsilon value", eps);
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("Invalid beta parameter at index 0: " + beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Invalid beta parameter at index 1: " + beta2);
        }
        requireNonNegative("weight_decay value", weightDecay);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupledWeightDecay = decoupledWeightDecay;
        int n = parameters.size();
        this.expAvg = new float[n][];
        this.expAvgSq = new float[n][];
        this.steps = new long[n];
    }

    public static Builder builder(Collection<Parameter> parameters) {
        return new Builder(parameters, false);
    }

    /**
     * Options with PyTorch's defaults. Shared by {@link AdamW#builder}, whose weightDecay default
     * is 1e-2 and whose {@link #build()} returns an AdamW.
     */
    public static final class Builder {
        private final Collection<Parameter> parameters;
        private double lr = 1e-3;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private double weightDecay;
        private final boolean decoupled;

        Builder(Collection<Parameter> parameters, boolean decoupled) {
            this.parameters = parameters;
            this.decoupled = decoupled;
            this.weightDecay = decoupled ? 1e-2 : 0;
        }

        public Builder lr(double lr) {
            this.lr = lr;
            return this;
        }

        public Builder betas(double beta1, double beta2) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /** An {@link Adam}, or an {@link AdamW} when the builder came from {@link AdamW#builder}. */
        public Adam build() {
            return decoupled ? new AdamW(parameters, lr, beta1, beta2, eps, weightDecay)
                    : new Adam(parameters, lr, beta1, beta2, eps, weightDecay, false);
        }
    }

    @Override
    protected void update(int index, float[] param, float[] grad) {
        if (expAvg[index] == null) {
            expAvg[index] = new float[param.length];
            expAvgSq[index] = new float[param.length];
        }
        float[] m = expAvg[index];
        float[] v = expAvgSq[index];
        long step = ++steps[index];
        double lr = lr();
        float decay = (float) (1 - lr * weightDecay);
        float wd = (float) weightDecay;
        float lerpWeight = (float) (1 - beta1);
        float b2 = (float) beta2;
        float oneMinusB2 = (float) (1 - beta2);
        double biasCorrection1 = 1 - Math.pow(beta1, step);
        double biasCorrection2 = 1 - Math.pow(beta2, step);
        float stepSize = (float) -(lr / biasCorrection1);
        float biasCorrection2Sqrt = (float) Math.sqrt(biasCorrection2);
        float epsilon = (float) eps;
        for (int i = 0; i < param.length; i++) {
            float g = grad[i];
            if (weightDecay != 0) {
                if (decoupledWeightDecay) {
                    param[i] = param[i] * decay;
                } else {
                    g = g + wd * param[i];
                }
            }
            m[i] = lerp(m[i], g, lerpWeight);
            v[i] = v[i] * b2 + oneMinusB2 * g * g;
            float denom = (float) Math.sqrt(v[i]) / biasCorrection2Sqrt + epsilon;
            param[i] = param[i] + stepSize * m[i] / denom;
        }
    }

    /** torch.lerp as ATen computes it: from the nearer end, so weight 1 gives exactly {@code end}. */
    private static float lerp(float start, float end, float weight) {
        return weight < 0.5f ? start + weight * (end - start) : end - (end - start) * (1f - weight);
    }

    @Override
    protected List<String> tensorNames() {
        return List.of("exp_avg", "exp_avg_sq");
    }

    @Override
    protected List<String> scalarNames() {
        return List.of("step");
    }

    @Override
    protected void saveState(Map<String, Tensor> tensors, Map<String, Double> scalars) {
        for (int i = 0; i < expAvg.length; i++) {
            if (expAvg[i] != null) {
                tensors.put(i + ".exp_avg", copyOf(expAvg[i], parameters().get(i)));
                tensors.put(i + ".exp_avg_sq", copyOf(expAvgSq[i], parameters().get(i)));
                scalars.put(i + ".step", (double) steps[i]);
            }
        }
    }

    @Override
    protected void loadState(Map<String, Tensor> tensors, Map<String, Double> scalars) {
        for (int i = 0; i < expAvg.length; i++) {
            Tensor m = tensors.get(i + ".exp_avg");
            Tensor v = tensors.get(i + ".exp_avg_sq");
            Double step = scalars.get(i + ".step");
            if ((m == null) != (v == null) || (m == null) != (step == null)) {
                throw new IllegalArgumentException("optimizer state for parameter " + i
                        + " must have all of exp_avg, exp_avg_sq and step, or none");
            }
            expAvg[i] = m == null ? null : TensorData.array(m).clone();
            expAvgSq[i] = v == null ? null : TensorData.array(v).clone();
            steps[i] = step == null ? 0 : step.longValue();
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(lr=" + lr() + ", betas=(" + beta1 + ", " + beta2 + "), eps=" + eps
                + ", weight_decay=" + weightDecay + ")";
    }
}
