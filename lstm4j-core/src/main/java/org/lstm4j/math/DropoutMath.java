package org.lstm4j.math;

import java.util.SplittableRandom;

/**
 * Inverted dropout, as {@code torch.nn.functional.dropout} in training mode: each element is
 * zeroed with probability p and survivors are scaled by 1/(1-p), so evaluation needs no scaling.
 *
 * <p>The mask is drawn from the generator one {@code nextDouble()} per element in row-major
 * order (element dropped when the draw is below p); that order is the contract that makes a
 * seeded stream reproduce the same masks.
 */
public final class DropoutMath {

    private DropoutMath() {
    }

    /** The scale of a surviving element: 1/(1-p), or 0 when p = 1 (everything dropped). */
    public static float keepScale(double p) {
        return p >= 1 ? 0f : (float) (1.0 / (1.0 - p));
    }

    /** Fills {@code mask} with 0 (dropped) or 1/(1-p) (kept). */
    public static void sampleMask(SplittableRandom random, double p, float[] mask) {
        float scale = keepScale(p);
        for (int i = 0; i < mask.length; i++) {
            mask[i] = random.nextDouble() < p ? 0f : scale;
        }
    }

    /**
     * In place, without keeping the mask (inference in training mode): the same draws and the same
     * products as {@link #sampleMask} then {@link #dropoutForward}, down to the sign of zeros.
     */
    public static void applyInPlace(SplittableRandom random, double p, float[] values) {
        float scale = keepScale(p);
        for (int i = 0; i < values.length; i++) {
            values[i] *= random.nextDouble() < p ? 0f : scale;
        }
    }

    /** y = x ⊙ mask, all of length n. */
    public static void dropoutForward(int n, float[] x, float[] mask, float[] y) {
        for (int i = 0; i < n; i++) {
            y[i] = x[i] * mask[i];
        }
    }

    /** dx += dy ⊙ mask. */
    public static void dropoutBackward(int n, float[] dy, float[] mask, float[] dx) {
        for (int i = 0; i < n; i++) {
            dx[i] += dy[i] * mask[i];
        }
    }
}
