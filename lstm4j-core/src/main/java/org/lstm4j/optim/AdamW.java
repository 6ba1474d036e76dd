package org.lstm4j.optim;

import java.util.Collection;
import org.lstm4j.nn.Parameter;

/**
 * PyTorch's {@code torch.optim.AdamW}: {@link Adam} with decoupled weight decay — each step
 * first shrinks the parameter, p = p·(1 − lr·weightDecay), and the gradient is left alone.
 * Defaults as PyTorch: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weightDecay 1e-2.
 *
 * <pre>{@code
 * AdamW opt = new AdamW(model.parameters(), 1e-3);
 * Adam custom = AdamW.builder(model.parameters()).lr(3e-4).weightDecay(0.1).build();   // an AdamW
 * }</pre>
 */
public final class AdamW extends Adam {

    /** {@code torch.optim.AdamW(params)}. */
    public AdamW(Collection<Parameter> parameters) {
        this(parameters, 1e-3);
    }

    /** {@code torch.optim.AdamW(params, lr=lr)}. */
    public AdamW(Collection<Parameter> parameters, double lr) {
        this(parameters, lr, 0.9, 0.999, 1e-8, 1e-2);
    }

    AdamW(Collection<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(parameters, lr, beta1, beta2, eps, weightDecay, true);
    }

    /** Options with AdamW's defaults (weightDecay 1e-2); {@code build()} returns an AdamW. */
    public static Adam.Builder builder(Collection<Parameter> parameters) {
        return new Adam.Builder(parameters, true);
    }
}
