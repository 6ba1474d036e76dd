package org.lstm4j.math;

import org.lstm4j.kernels.Activations;

/**
 * Per-element losses and their gradients, as {@code torch.nn.functional}'s losses with
 * {@code reduction='none'}. Reductions (mean, sum) are the callers' job: they pass the gradient
 * of each element's loss as {@code dLoss}. Sums and logs run in double, rounded once to float.
 */
public final class LossMath {

    private LossMath() {
    }

    /** loss[i] = (x[i] - y[i])². */
    public static void mseForward(int n, float[] x, float[] y, float[] loss) {
        for (int i = 0; i < n; i++) {
            float d = x[i] - y[i];
            loss[i] = d * d;
        }
    }

    /** dx[i] += 2 (x[i] - y[i]) · dLoss[i]. */
    public static void mseBackward(int n, float[] x, float[] y, float[] dLoss, float[] dx) {
        for (int i = 0; i < n; i++) {
            dx[i] += 2f * (x[i] - y[i]) * dLoss[i];
        }
    }

    /**
     * loss[i] = max(x, 0) − x·y + log(1 + e^(−|x|)): binary cross-entropy of σ(x) against y,
     * computed without ever evaluating e^x for large x.
     */
    public static void bceWithLogitsForward(int n, float[] x, float[] y, float[] loss) {
        for (int i = 0; i < n; i++) {
            double xi = x[i];
            loss[i] = (float) (Math.max(xi, 0.0) - xi * y[i] + Math.log1p(Math.exp(-Math.abs(xi))));
        }
    }

    /** dx[i] += (σ(x[i]) − y[i]) · dLoss[i]. */
    public static void bceWithLogitsBackward(int n, float[] x, float[] y, float[] dLoss, float[] dx) {
        for (int i = 0; i < n; i++) {
            dx[i] += (Activations.sigmoid(x[i]) - y[i]) * dLoss[i];
        }
    }

    /**
     * Cross-entropy of logits laid out (N, C, K) — K = 1 for plain (N, C) input, K = d1·d2·… for
     * PyTorch's (N, C, d1, …) form — against class indices (N, K):
     * loss[n, k] = logsumexp_c x[n, c, k] − x[n, targets[n, k], k], or 0 where the target equals
     * {@code ignoreIndex}.
     *
     * @return the number of positions not ignored (the divisor of a mean reduction)
     */
    public static int crossEntropyForward(int batch, int classes, int inner, float[] x, int[] targets,
                                          int ignoreIndex, float[] loss) {
        int counted = 0;
        for (int n = 0; n < batch; n++) {
            for (int k = 0; k < inner; k++) {
                int p = n * inner + k;
                int target = targets[p];
                if (target == ignoreIndex) {
                    loss[p] = 0f;
                    continue;
                }
                int base = n * classes * inner + k;
                loss[p] = (float) (logSumExp(classes, inner, x, base) - x[base + target * inner]);
                counted++;
            }
        }
        return counted;
    }

    /** dx[n, c, k] += (softmax_c x[n, ·, k] − [c = target]) · dLoss[n, k]; ignored positions get nothing. */
    public static void crossEntropyBackward(int batch, int classes, int inner, float[] x, int[] targets,
                                            int ignoreIndex, float[] dLoss, float[] dx) {
        for (int n = 0; n < batch; n++) {
            for (int k = 0; k < inner; k++) {
                int p = n * inner + k;
                int target = targets[p];
                if (target == ignoreIndex) {
                    continue;
                }
                int base = n * classes * inner + k;
                double lse = logSumExp(classes, inner, x, base);
                float g = dLoss[p];
                for (int c = 0; c < classes; c++) {
                    int i = base + c * inner;
                    float softmax = (float) Math.exp(x[i] - lse);
                    dx[i] += (softmax - (c == target ? 1f : 0f)) * g;
                }
            }
        }
    }

    /** log Σ_c exp(x[base + c·stride]), shifted by the maximum so no exp overflows. */
    private static double logSumExp(int classes, int stride, float[] x, int base) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            max = Math.max(max, x[base + c * stride]);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            sum += Math.exp(x[base + c * stride] - max);
        }
        return max + Math.log(sum);
    }
}
