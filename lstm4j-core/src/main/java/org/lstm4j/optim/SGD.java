package org.lstm4j.optim;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.lstm4j.internal.TensorData;
import org.lstm4j.nn.Parameter;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.optim.SGD}, update for update:
 * <pre>
 *   g = grad + weightDecay·p
 *   buf = g on the first step, else momentum·buf + (1 − dampening)·g      (when momentum ≠ 0)
 *   g = g + momentum·buf with nesterov, else buf
 *   p = p − lr·g
 * </pre>
 *
 * <pre>{@code
 * SGD sgd = SGD.builder(model.parameters(), 0.1).momentum(0.9).nesterov(true).weightDecay(1e-4).build();
 * }</pre>
 */
public final class SGD extends Optimizer {
    private final double momentum;
    private final double dampening;
    private final double weightDecay;
    private final boolean nesterov;
    /** Per parameter, null until its first step (momentum only). */
    private final float[][] momentumBuffers;

    /** Plain SGD: {@code torch.optim.SGD(params, lr=lr)}. */
    public SGD(Collection<Parameter> parameters, double lr) {
        this(parameters, lr, 0, 0, 0, false);
    }

    private SGD(Collection<Parameter> parameters, double lr, double momentum, double dampening, double weightDecay,
                boolean nesterov) {
        super(parameters, lr);
        requireNonNegative("momentum value", momentum);
        requireNonNegative("weight_decay value", weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening, got momentum="
                    + momentum + " and dampening=" + dampening);
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
        this.momentumBuffers = new float[parameters.size()][];
    }

    public static Builder builder(Collection<Parameter> parameters, double lr) {
        return new Builder(parameters, lr);
    }

    /** Options with PyTorch's defaults (momentum 0, dampening 0, weightDecay 0, nesterov false). */
    public static final class Builder {
        private final Collection<Parameter> parameters;
        private final double lr;
        private double momentum;
        private double dampening;
        private double weightDecay;
        private boolean nesterov;

        private Builder(Collection<Parameter> parameters, double lr) {
            this.parameters = parameters;
            this.lr = lr;
        }

        public Builder momentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        public Builder dampening(double dampening) {
            this.dampening = dampening;
            return this;
        }

        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        public Builder nesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        public SGD build() {
            return new SGD(parameters, lr, momentum, dampening, weightDecay, nesterov);
        }
    }

    @Override
    protected void update(int index, float[] param, float[] grad) {
        float lr = (float) lr();
        float wd = (float) weightDecay;
        float mom = (float) momentum;
        float keep = (float) (1 - dampening);
        float[] buf = momentumBuffers[index];
        boolean first = buf == null;
        if (momentum != 0 && first) {
            buf = momentumBuffers[index] = new float[param.length];
        }
        for (int i = 0; i < param.length; i++) {
            float g = weightDecay != 0 ? grad[i] + wd * param[i] : grad[i];
            if (momentum != 0) {
                buf[i] = first ? g : buf[i] * mom + keep * g;
                g = nesterov ? g + mom * buf[i] : buf[i];
            }
            param[i] = param[i] + -lr * g;
        }
    }

    @Override
    protected List<String> tensorNames() {
        return List.of("momentum_buffer");
    }

    @Override
    protected void saveState(Map<String, Tensor> tensors, Map<String, Double> scalars) {
        for (int i = 0; i < momentumBuffers.length; i++) {
            if (momentumBuffers[i] != null) {
                tensors.put(i + ".momentum_buffer", copyOf(momentumBuffers[i], parameters().get(i)));
            }
        }
    }

    @Override
    protected void loadState(Map<String, Tensor> tensors, Map<String, Double> scalars) {
        for (int i = 0; i < momentumBuffers.length; i++) {
            Tensor t = tensors.get(i + ".momentum_buffer");
            momentumBuffers[i] = t == null ? null : TensorData.array(t).clone();
        }
    }

    @Override
    public String toString() {
        return "SGD(lr=" + lr() + ", momentum=" + momentum + ", dampening=" + dampening + ", weight_decay="
                + weightDecay + ", nesterov=" + nesterov + ")";
    }
}
