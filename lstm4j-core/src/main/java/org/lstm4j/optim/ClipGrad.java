package org.lstm4j.optim;

import java.util.Collection;
import org.lstm4j.internal.TensorData;
import org.lstm4j.nn.Parameter;

/**
 * PyTorch's {@code torch.nn.utils.clip_grad_norm_}: rescales all gradients together so that
 * their joint norm is at most {@code maxNorm}.
 *
 * <pre>{@code
 * loss.backward();
 * double norm = ClipGrad.clipGradNorm(model.parameters(), 1.0);
 * optimizer.step();
 * }</pre>
 */
public final class ClipGrad {

    private ClipGrad() {
    }

    /** {@link #clipGradNorm(Collection, double, double)} with the 2-norm. */
    public static double clipGradNorm(Collection<Parameter> parameters, double maxNorm) {
        return clipGradNorm(parameters, maxNorm, 2.0);
    }

    /**
     * Computes the norm of all gradients seen as one vector (the norm of the per-parameter
     * norms), then multiplies every gradient by min(1, maxNorm / (norm + 1e-6)). Parameters
     * without a gradient are skipped.
     *
     * @param normType p of the p-norm (≥ 1), or {@code Double.POSITIVE_INFINITY} for the max norm
     * @return the total norm before clipping
     */
    public static double clipGradNorm(Collection<Parameter> parameters, double maxNorm, double normType) {
        if (!(normType >= 1)) {
            throw new IllegalArgumentException("normType must be >= 1 or infinity, got " + normType);
        }
        boolean inf = normType == Double.POSITIVE_INFINITY;
        double total = 0;
        for (Parameter p : parameters) {
            if (p.grad() == null) {
                continue;
            }
            double norm = norm(TensorData.array(p.grad()), normType);
            total = inf ? Math.max(total, norm) : total + Math.pow(norm, normType);
        }
        float totalNorm = (float) (inf ? total : Math.pow(total, 1 / normType));
        float coef = (float) maxNorm / (totalNorm + 1e-6f);
        if (!(coef >= 1f)) { // as clamp(coef, max=1): also spreads a NaN norm into the gradients, as PyTorch does
            for (Parameter p : parameters) {
                if (p.grad() != null) {
                    float[] g = TensorData.array(p.grad());
                    for (int i = 0; i < g.length; i++) {
                        g[i] *= coef;
                    }
                }
            }
        }
        return totalNorm;
    }

    private static double norm(float[] v, double normType) {
        if (normType == Double.POSITIVE_INFINITY) {
            double max = 0;
            for (float x : v) {
                max = Math.max(max, Math.abs(x));
            }
            return max;
        }
        double sum = 0;
        for (float x : v) {
            sum += normType == 2 ? (double) x * x : Math.pow(Math.abs(x), normType);
        }
        return (float) Math.pow(sum, 1 / normType);
    }
}
