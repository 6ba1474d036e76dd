package org.lstm4j.nn.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.DoubleSupplier;

/**
 * Central finite differences in float32, the libtorch-free oracle for backward passes:
 * dL/dv[i] ≈ (L(v[i] + eps) − L(v[i] − eps)) / 2eps, with the loss summed in double.
 */
public final class FiniteDifferences {

    /** Step for float32 values of order 0.1–1: truncation error ~eps², rounding ~1e-7/eps. */
    public static final float EPS = 1e-2f;

    private FiniteDifferences() {
    }

    /** The numeric gradient of {@code loss} with respect to every element of {@code values} (perturbed in place, restored). */
    public static double[] gradient(float[] values, DoubleSupplier loss) {
        double[] grad = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            float saved = values[i];
            values[i] = saved + EPS;
            double plus = loss.getAsDouble();
            values[i] = saved - EPS;
            double minus = loss.getAsDouble();
            values[i] = saved;
            // the perturbation actually applied, after float rounding
            double step = ((double) (saved + EPS) - (double) (saved - EPS));
            grad[i] = (plus - minus) / step;
        }
        return grad;
    }

    /**
     * Asserts |analytic − numeric| ≤ tolerance · max(1, max |numeric|) element-wise and prints
     * the maxdiff.
     *
     * @return the max abs diff
     */
    public static double check(String name, float[] analytic, double[] numeric, double tolerance) {
        assertThat(analytic).as(name + " gradient length").hasSize(numeric.length);
        double scale = 1;
        double maxDiff = 0;
        for (int i = 0; i < numeric.length; i++) {
            scale = Math.max(scale, Math.abs(numeric[i]));
            maxDiff = Math.max(maxDiff, Math.abs(analytic[i] - numeric[i]));
        }
        System.out.printf("  %-22s maxdiff %.2e (max |grad| %.2e)%n", name, maxDiff, scale);
        assertThat(maxDiff).as(name + " maxdiff vs finite differences").isLessThanOrEqualTo(tolerance * scale);
        return maxDiff;
    }

    /** Σ a[i]·w[i] in double. */
    public static double dot(float[] a, float[] w) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * w[i];
        }
        return s;
    }
}
