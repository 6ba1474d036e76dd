package org.lstm4j.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The vector activations against the exact function (computed in double), measured in float
 * ulps over a dense sweep, and the vector cell update against the scalar one.
 *
 * <p>Why ulps: lstm4j promises libtorch's LSTM outputs to within 1e-5. Activation errors of a
 * few ulps (≤ 2.4e-7 absolute for values in [−1, 1]) are the same size as the rounding of the
 * matrix products already in the outputs, so they cannot use up that budget; an approximation
 * off by 1e-4 would.
 */
class PointwiseKernelsTest {

    /** Measured 2 ulps for sigmoid and tanh (printed by the test); the bound leaves 1 ulp of room. */
    private static final double MAX_ULPS = 3;

    private static PointwiseKernels vector() {
        var vector = Kernels.vectorPointwise();
        assumeTrue(vector.isPresent(), "jdk.incubator.vector is not in the boot layer");
        return vector.get();
    }

    @Test
    void sigmoidWithinUlpsOfExact() {
        PointwiseKernels vector = vector();
        double worst = worstUlps("sigmoid", (src, dst) -> vector.sigmoid(src, 0, dst, 0, src.length),
                x -> 1.0 / (1.0 + Math.exp(-x)));
        assertThat(worst).isLessThanOrEqualTo(MAX_ULPS);
    }

    @Test
    void tanhWithinUlpsOfExact() {
        PointwiseKernels vector = vector();
        double worst = worstUlps("tanh", (src, dst) -> vector.tanh(src, 0, dst, 0, src.length), Math::tanh);
        assertThat(worst).isLessThanOrEqualTo(MAX_ULPS);
    }

    @Test
    void scalarReferenceIsTheRoundedExactValue() {
        PointwiseKernels scalar = ScalarPointwiseKernels.INSTANCE;
        assertThat(worstUlps("scalar sigmoid", (src, dst) -> scalar.sigmoid(src, 0, dst, 0, src.length),
                x -> 1.0 / (1.0 + Math.exp(-x)))).isLessThanOrEqualTo(0.5);
        assertThat(worstUlps("scalar tanh", (src, dst) -> scalar.tanh(src, 0, dst, 0, src.length), Math::tanh))
                .isLessThanOrEqualTo(0.5);
    }

    @Test
    void specialValues() {
        PointwiseKernels vector = vector();
        float[] x = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 1e-30f, -1e-30f,
                Float.MIN_VALUE, 100f, -100f, 1e30f, -1e30f, 0.625f, -0.625f, Math.nextDown(0.625f), 88f};
        float[] padded = new float[64]; // whole vectors, so every value goes through the vector path
        System.arraycopy(x, 0, padded, 0, x.length);
        float[] sig = new float[padded.length];
        float[] tanh = new float[padded.length];
        vector.sigmoid(padded, 0, sig, 0, padded.length);
        vector.tanh(padded, 0, tanh, 0, padded.length);
        assertThat(sig[0]).isNaN();
        assertThat(tanh[0]).isNaN();
        assertThat(sig[1]).isEqualTo(1f);
        assertThat(sig[2]).isBetween(0f, 1e-37f); // exp's clamp at 88: 6e-39, not 0 (see worstUlps)
        assertThat(tanh[1]).isEqualTo(1f);
        assertThat(tanh[2]).isEqualTo(-1f);
        assertThat(sig[3]).isEqualTo(0.5f);
        assertThat(Float.floatToRawIntBits(tanh[3])).isEqualTo(Float.floatToRawIntBits(0f));
        assertThat(Float.floatToRawIntBits(tanh[4])).isEqualTo(Float.floatToRawIntBits(-0f));
        assertThat(tanh[5]).isEqualTo(1e-30f);
        assertThat(tanh[6]).isEqualTo(-1e-30f);
        for (int i = 7; i < x.length; i++) {
            float expectedSig = (float) (1.0 / (1.0 + Math.exp(-(double) x[i])));
            float expectedTanh = (float) Math.tanh(x[i]);
            assertThat(Math.abs(sig[i] - expectedSig)).as("sigmoid(%s)", x[i]).isLessThanOrEqualTo(1.2e-7f);
            assertThat(Math.abs(tanh[i] - expectedTanh)).as("tanh(%s)", x[i]).isLessThanOrEqualTo(1.2e-7f);
        }
    }

    @Test
    void lstmCellForwardMatchesScalar() {
        PointwiseKernels vector = vector();
        PointwiseKernels scalar = ScalarPointwiseKernels.INSTANCE;
        SplittableRandom random = new SplittableRandom(7);
        double worst = 0;
        for (int hidden : new int[] {1, 3, 7, 13, 16, 17, 31, 33, 255, 1000}) {
            for (int[] range : new int[][] {{0, hidden}, {hidden / 3, hidden - hidden / 4}}) {
                int gOff = 3;
                int cOff = 5;
                int hOff = 2;
                float[] gates = new float[gOff + 4 * hidden];
                float[] c = new float[cOff + hidden];
                float[] h = new float[hOff + hidden + 1];
                for (int i = 0; i < gates.length; i++) {
                    gates[i] = (float) random.nextDouble(-8, 8);
                }
                for (int i = 0; i < c.length; i++) {
                    c[i] = (float) random.nextDouble(-3, 3);
                }
                java.util.Arrays.fill(h, 99f);
                float[] gatesV = gates.clone();
                float[] cV = c.clone();
                float[] hV = h.clone();
                scalar.lstmCellForward(hidden, range[0], range[1], gates, gOff, c, cOff, h, hOff);
                vector.lstmCellForward(hidden, range[0], range[1], gatesV, gOff, cV, cOff, hV, hOff);
                String where = "hidden=" + hidden + " units [" + range[0] + ", " + range[1] + ")";
                worst = Math.max(worst, maxAbsDiff(gates, gatesV, where + " gates"));
                worst = Math.max(worst, maxAbsDiff(c, cV, where + " c"));
                worst = Math.max(worst, maxAbsDiff(h, hV, where + " h"));
                // Units outside the range are untouched.
                for (int j = 0; j < hidden; j++) {
                    if (j < range[0] || j >= range[1]) {
                        assertThat(hV[hOff + j]).as("%s: h of unit %d", where, j).isEqualTo(99f);
                        assertThat(cV[cOff + j]).as("%s: c of unit %d", where, j).isEqualTo(c[cOff + j]);
                    }
                }
            }
        }
        System.out.printf("lstmCellForward vector vs scalar: maxdiff %.3g%n", worst);
        // c' and h are sums and products of values within 3 ulps, |c| ≤ 3 + 1: a few 1e-7.
        assertThat(worst).isLessThanOrEqualTo(1e-6);
    }

    /**
     * The GRU cell, vector against scalar, at awkward sizes and unit ranges, with h' written over
     * h_{t−1} (in place) and elsewhere; units outside the range untouched.
     */
    @Test
    void gruCellForwardMatchesScalar() {
        PointwiseKernels vector = vector();
        PointwiseKernels scalar = ScalarPointwiseKernels.INSTANCE;
        SplittableRandom random = new SplittableRandom(9);
        double worst = 0;
        for (int hidden : new int[] {1, 3, 7, 13, 16, 17, 31, 33, 255, 1000}) {
            for (int[] range : new int[][] {{0, hidden}, {hidden / 3, hidden - hidden / 4}}) {
                for (boolean inPlace : new boolean[] {false, true}) {
                    int gOff = 3;
                    int rOff = 1;
                    int hOff = 2;
                    float[] gates = uniform(random, gOff + 3 * hidden, 8);
                    float[] recurrent = uniform(random, rOff + 3 * hidden, 8);
                    float[] hPrev = uniform(random, hOff + hidden + 1, 1);
                    float[] h = inPlace ? hPrev : filled(hOff + hidden + 1, 99f);
                    float[] gatesV = gates.clone();
                    float[] hPrevV = hPrev.clone();
                    float[] hV = inPlace ? hPrevV : h.clone();
                    float[] hBefore = h.clone();
                    scalar.gruCellForward(hidden, range[0], range[1], gates, gOff, recurrent, rOff, hPrev, hOff, h, hOff);
                    vector.gruCellForward(hidden, range[0], range[1], gatesV, gOff, recurrent, rOff, hPrevV, hOff, hV,
                            hOff);
                    String where = "hidden=" + hidden + " units [" + range[0] + ", " + range[1] + ")"
                            + (inPlace ? " in place" : "");
                    worst = Math.max(worst, maxAbsDiff(gates, gatesV, where + " gates"));
                    worst = Math.max(worst, maxAbsDiff(h, hV, where + " h"));
                    for (int j = 0; j < hidden; j++) {
                        if (j < range[0] || j >= range[1]) {
                            assertThat(hV[hOff + j]).as("%s: h of unit %d", where, j).isEqualTo(hBefore[hOff + j]);
                        }
                    }
                }
            }
        }
        System.out.printf("gruCellForward vector vs scalar: maxdiff %.3g%n", worst);
        assertThat(worst).isLessThanOrEqualTo(1e-6);
    }

    /** The RNN cell (tanh and relu), vector against scalar; relu exactly, NaN kept. */
    @Test
    void rnnCellForwardMatchesScalar() {
        PointwiseKernels vector = vector();
        PointwiseKernels scalar = ScalarPointwiseKernels.INSTANCE;
        SplittableRandom random = new SplittableRandom(5);
        for (boolean relu : new boolean[] {false, true}) {
            double worst = 0;
            for (int hidden : new int[] {1, 3, 7, 13, 16, 17, 31, 33, 255, 1000}) {
                for (int[] range : new int[][] {{0, hidden}, {hidden / 3, hidden - hidden / 4}}) {
                    float[] gates = uniform(random, 2 + hidden, 8);
                    gates[2 + hidden - 1] = Float.NaN;
                    float[] h = filled(1 + hidden, 99f);
                    float[] gatesV = gates.clone();
                    float[] hV = h.clone();
                    scalar.rnnCellForward(relu, range[0], range[1], gates, 2, h, 1);
                    vector.rnnCellForward(relu, range[0], range[1], gatesV, 2, hV, 1);
                    String where = (relu ? "relu" : "tanh") + " hidden=" + hidden + " units [" + range[0] + ", "
                            + range[1] + ")";
                    for (int j = 0; j < hidden; j++) {
                        boolean inRange = j >= range[0] && j < range[1];
                        if (!inRange) {
                            assertThat(hV[1 + j]).as("%s: h of unit %d", where, j).isEqualTo(99f);
                        } else if (Float.isNaN(gates[2 + j])) {
                            assertThat(hV[1 + j]).as("%s: NaN in, NaN out", where).isNaN();
                        } else if (relu) {
                            assertThat(hV[1 + j]).as("%s unit %d", where, j).isEqualTo(h[1 + j]);
                        } else {
                            worst = Math.max(worst, Math.abs(hV[1 + j] - h[1 + j]));
                        }
                    }
                    for (int j = range[0]; j < range[1]; j++) {
                        assertThat(Float.floatToIntBits(gatesV[2 + j])).as("%s: gate of unit %d is h'", where, j)
                                .isEqualTo(Float.floatToIntBits(hV[1 + j]));
                    }
                }
            }
            System.out.printf("rnnCellForward (%s) vector vs scalar: maxdiff %.3g%n", relu ? "relu" : "tanh", worst);
            assertThat(worst).isLessThanOrEqualTo(1e-6);
        }
    }

    private static float[] uniform(SplittableRandom random, int n, double bound) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextDouble(-bound, bound);
        }
        return values;
    }

    private static float[] filled(int n, float value) {
        float[] values = new float[n];
        java.util.Arrays.fill(values, value);
        return values;
    }

    private interface ArrayOp {
        void apply(float[] src, float[] dst);
    }

    /**
     * Worst error in ulps of the result over: every 2⁻¹² step in [−20, 20], 10⁶ random floats
     * with exponents from 2⁻³⁰ to 2⁶ (both signs), and the ranges where each formula switches.
     * Results below 1e-30 are judged by absolute error (≤ 1e-37) instead: the clamp of exp at −87
     * makes sigmoid(−100) about 6e-39 instead of 4e-44, which no LSTM output can notice.
     */
    private static double worstUlps(String name, ArrayOp op, DoubleUnaryOperator exact) {
        int dense = 40 * 4096 + 1;
        SplittableRandom random = new SplittableRandom(11);
        int randomCount = 1_000_000;
        float[] x = new float[dense + randomCount];
        for (int i = 0; i < dense; i++) {
            x[i] = -20f + i / 4096f;
        }
        for (int i = 0; i < randomCount; i++) {
            double magnitude = Math.pow(2, random.nextDouble(-30, 6));
            x[dense + i] = (float) (random.nextBoolean() ? magnitude : -magnitude);
        }
        float[] y = new float[x.length];
        op.apply(x, y);
        double worst = 0;
        float worstAt = 0;
        for (int i = 0; i < x.length; i++) {
            double e = exact.applyAsDouble(x[i]);
            double diff = Math.abs(y[i] - e);
            if (Math.abs(e) < 1e-30) {
                assertThat(diff).as("%s(%s)", name, x[i]).isLessThanOrEqualTo(1e-37);
                continue;
            }
            double ulps = diff / Math.ulp((float) e);
            if (ulps > worst) {
                worst = ulps;
                worstAt = x[i];
            }
        }
        System.out.printf("%s: worst %.2f ulp at x = %s over %d inputs%n", name, worst, worstAt, x.length);
        return worst;
    }

    private static double maxAbsDiff(float[] expected, float[] got, String where) {
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(expected[i] - got[i]);
            assertThat(diff).as("%s at %d: expected %s, got %s", where, i, expected[i], got[i])
                    .isLessThanOrEqualTo(1e-6);
            worst = Math.max(worst, diff);
        }
        return worst;
    }
}
