package org.lstm4j.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.lstm4j.tensor.Precision;

/**
 * Panel products with bf16 and int8 weights ({@link Precision}): the vector kernels against the
 * scalar reference at awkward sizes, and the vector kernels' contract — one in-order FMA chain
 * per element, so any batching or panel split gives the same bits — as {@link MatrixKernelsTest}
 * checks it for float32.
 *
 * <p>What a product means is W[r, p] = rowScale(r) · weight(r, p) ({@link PanelMatrix}). Both
 * kernels compute s = Σ_p a_p · weight_p in float32 (the scalar one rounding a·w and the sum
 * separately) and then C += rowScale · s (bf16: C is the chain's start, rowScale 1), so they
 * differ by at most 2(k + 2)·u·(|rowScale|·Σ|a·weight| + |c₀|).
 */
class ReducedPrecisionKernelsTest {

    private static final int[] SIZES = {1, 3, 7, 13, 16, 17, 31, 33, 64, 255};
    private static final double U = Math.ulp(1.0f) / 2;
    private static final float GUARD = 12345f;

    private final SplittableRandom random = new SplittableRandom(7);
    private final MatrixKernels scalar = ScalarMatrixKernels.INSTANCE;

    private static MatrixKernels vector() {
        var vector = Kernels.vectorMatrix();
        assumeTrue(vector.isPresent(), "jdk.incubator.vector is not in the boot layer");
        return vector.get();
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BF16", "INT8"})
    void vectorMatchesScalarAtAwkwardSizes(Precision precision) {
        MatrixKernels vector = vector();
        int cases = 0;
        double worst = 0;
        for (int m : SIZES) {
            for (int gates : new int[] {1, 3, 4}) {
                for (int hidden : SIZES) {
                    for (int k : new int[] {1, 13, 128, 255}) {
                        if ((long) m * gates * hidden * k > 1_000_000) {
                            continue;
                        }
                        worst = Math.max(worst, compare(vector, precision, m, gates, hidden, k, random.nextBoolean(),
                                random.nextBoolean()));
                        cases++;
                    }
                }
            }
        }
        System.out.printf("%s %s panels: %d cases, worst |diff| / tolerance = %.3f%n", vector.name(), precision, cases,
                worst);
    }

    /** Vector and scalar products of one case, with guards around C; returns the worst diff / tolerance. */
    private double compare(MatrixKernels vector, Precision precision, int m, int gates, int hidden, int k,
                           boolean padded, boolean accumulate) {
        int n = gates * hidden;
        int wOff = padded ? 3 : 0;
        int aOff = padded ? 5 : 0;
        int cOff = padded ? 7 : 0;
        int lda = k + (padded ? 2 : 0);
        int ldc = n + (padded ? 4 : 0);
        float[] w = randomArray(wOff + n * k);
        float[] a = randomArray(aOff + m * lda);
        float[] c0 = new float[cOff + m * ldc + 3];
        java.util.Arrays.fill(c0, GUARD);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                c0[cOff + i * ldc + j] = (float) random.nextDouble(-1, 1);
            }
        }
        PanelMatrix vectorPanels = vector.gatePanels(w, wOff, gates, hidden, k, precision);
        PanelMatrix scalarPanels = scalar.gatePanels(w, wOff, gates, hidden, k, precision);
        float[] got = c0.clone();
        vector.multTransBPanels(m, a, aOff, lda, vectorPanels, got, cOff, ldc, accumulate);
        float[] expected = c0.clone();
        scalar.multTransBPanels(m, a, aOff, lda, scalarPanels, expected, cOff, ldc, accumulate);
        float[] stored = new float[n * k];
        scalarPanels.toRowMajor(stored, 0);
        String where = precision + " m=" + m + " gates=" + gates + " hidden=" + hidden + " k=" + k + " padded=" + padded
                + " accumulate=" + accumulate;
        double worst = 0;
        for (int idx = 0; idx < c0.length; idx++) {
            int rel = idx - cOff;
            if (rel < 0 || rel >= m * ldc || rel % ldc >= n) {
                assertThat(got[idx]).as("%s: element %d outside C must be untouched", where, idx).isEqualTo(GUARD);
                continue;
            }
            int i = rel / ldc;
            int j = rel % ldc;
            double bound = 0;
            for (int p = 0; p < k; p++) {
                bound += Math.abs((double) a[aOff + i * lda + p] * stored[j * k + p]);
            }
            double tolerance = 2.0 * (k + 2) * U * (bound + (accumulate ? Math.abs(c0[idx]) : 0)) + 1e-30;
            double diff = Math.abs(got[idx] - expected[idx]);
            if (!(diff <= tolerance)) {
                throw new AssertionError(where + ": C(" + i + ", " + j + ") expected " + expected[idx] + ", got "
                        + got[idx] + " (|diff| " + diff + " > tolerance " + tolerance + ")");
            }
            worst = Math.max(worst, diff / tolerance);
        }
        return worst;
    }

    /**
     * Each element is exactly the chain the class documentation names — bf16: c = fma(a_p, w_p, c)
     * from C; int8: s = fma(a_p, q_p, s) from 0, then c = fma(scale, s, c) — so the rows computed
     * together, a row's place among them and panel ranges on other threads never change a bit.
     */
    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BF16", "INT8"})
    void vectorIsOneInOrderChainPerElement(Precision precision) {
        MatrixKernels vector = vector();
        int checked = 0;
        for (int gates : new int[] {4, 3, 1}) {
            for (int hidden : new int[] {1, 17, 64, 100}) {
                for (int k : new int[] {1, 130, 300}) {
                    for (int m : hidden <= 17 ? new int[] {1, 2, 5, 17, 70} : new int[] {1, 5, 17}) {
                        for (boolean accumulate : new boolean[] {false, true}) {
                            checkChain(vector, precision, gates, hidden, k, m, accumulate);
                            checked++;
                        }
                    }
                }
            }
        }
        System.out.println(precision + " bit-exact chain cases: " + checked);
    }

    private void checkChain(MatrixKernels vector, Precision precision, int gates, int hidden, int k, int m,
                            boolean accumulate) {
        int n = gates * hidden;
        float[] w = randomArray(n * k);
        float[] a = randomArray(m * k);
        float[] c0 = randomArray(m * n);
        PanelMatrix panels = vector.gatePanels(w, 0, gates, hidden, k, precision);
        int[] panelRowOf = new int[n];
        for (int r = 0; r < panels.panels() * panels.panelWidth(); r++) {
            if (panels.sourceRow(r) >= 0) {
                panelRowOf[panels.sourceRow(r)] = r;
            }
        }
        float[] weights = new float[n * k]; // weight(r, p) of W's row j at j·k + p
        for (int j = 0; j < n; j++) {
            for (int p = 0; p < k; p++) {
                weights[j * k + p] = panels.weight(panelRowOf[j], p);
            }
        }
        float[] expected = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float start = accumulate ? c0[i * n + j] : 0f;
                float chain = precision == Precision.INT8 ? 0f : start;
                for (int p = 0; p < k; p++) {
                    chain = Math.fma(a[i * k + p], weights[j * k + p], chain);
                }
                expected[i * n + j] = precision == Precision.INT8
                        ? Math.fma(panels.rowScale(panelRowOf[j]), chain, start) : chain;
            }
        }
        String where = precision + " gates=" + gates + " hidden=" + hidden + " k=" + k + " m=" + m + " accumulate="
                + accumulate;
        float[] all = c0.clone();
        vector.multTransBPanels(m, a, 0, k, panels, all, 0, n, accumulate);
        assertThat(all).as("%s, all rows at once", where).containsExactly(expected);
        float[] rowByRow = c0.clone();
        for (int i = 0; i < m; i++) {
            vector.multTransBPanels(1, a, i * k, k, panels, rowByRow, i * n, n, accumulate);
        }
        assertThat(rowByRow).as("%s, row by row", where).containsExactly(expected);
        if (accumulate) {
            float[] pieces = c0.clone();
            int cut = panels.slicePanel(panels.unitSlices() / 2);
            vector.multAddTransBPanelRange(m, a, 0, k, panels, cut, panels.panels(), pieces, 0, n);
            vector.multAddTransBPanelRange(m, a, 0, k, panels, 0, cut, pieces, 0, n);
            assertThat(pieces).as("%s, two panel ranges", where).containsExactly(expected);
        }
    }

    /** The scalar kernels read layouts made for any lanes, and their panel ranges add up bit for bit. */
    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BF16", "INT8"})
    void scalarReadsEveryLayoutAndSplitsExactly(Precision precision) {
        int hidden = 21;
        int k = 19;
        int m = 5;
        float[] w = randomArray(4 * hidden * k);
        float[] a = randomArray(m * k);
        float[] c0 = randomArray(m * 4 * hidden);
        float[] reference = null;
        for (int lanes : new int[] {1, 4, 8, 16}) {
            PanelMatrix panels = PanelMatrix.gateInterleaved(w, 0, 4, hidden, k, lanes, precision);
            float[] whole = c0.clone();
            scalar.multTransBPanels(m, a, 0, k, panels, whole, 0, 4 * hidden, true);
            if (reference == null) {
                reference = whole;
            }
            assertThat(whole).as("%s lanes=%d", precision, lanes).containsExactly(reference);
            float[] pieces = c0.clone();
            int cut = panels.slicePanel(1);
            scalar.multAddTransBPanelRange(m, a, 0, k, panels, cut, panels.panels(), pieces, 0, 4 * hidden);
            scalar.multAddTransBPanelRange(m, a, 0, k, panels, 0, cut, pieces, 0, 4 * hidden);
            assertThat(pieces).as("%s lanes=%d, two ranges", precision, lanes).containsExactly(whole);
        }
    }

    /** toRowMajor gives W as the products read it: bf16 rounded, int8 q · scale, float32 unchanged. */
    @Test
    void toRowMajorIsTheWeightAsStored() {
        int rows = 37;
        int cols = 11;
        float[] w = randomArray(rows * cols);
        for (int lanes : new int[] {1, 16}) {
            for (Precision precision : Precision.values()) {
                PanelMatrix panels = PanelMatrix.gateInterleaved(w, 0, 1, rows, cols, lanes, precision);
                float[] stored = new float[rows * cols];
                panels.toRowMajor(stored, 0);
                for (int r = 0; r < rows; r++) {
                    float maxAbs = 0;
                    for (int p = 0; p < cols; p++) {
                        maxAbs = Math.max(maxAbs, Math.abs(w[r * cols + p]));
                    }
                    float scale = Precision.int8Scale(maxAbs);
                    for (int p = 0; p < cols; p++) {
                        float v = w[r * cols + p];
                        float expected = switch (precision) {
                            case FP32 -> v;
                            case BF16 -> Precision.bf16Value(Precision.bf16Bits(v));
                            case INT8 -> Precision.int8Value(v, scale) * scale;
                        };
                        assertThat(stored[r * cols + p]).as("%s lanes=%d W[%d, %d]", precision, lanes, r, p)
                                .isEqualTo(expected);
                        // Half a step of the grid (bf16: 2^-8 relative; int8: the scale), plus float rounding of
                        // the scale (127 of its ulps at the row's largest weight) and of q · scale.
                        double step = precision == Precision.INT8 ? scale / 2 : Math.abs(v) * 0x1p-8;
                        assertThat((double) Math.abs(stored[r * cols + p] - v)).isLessThanOrEqualTo(step * (1 + 1e-4));
                    }
                }
            }
        }
    }

    @Test
    void bf16RoundsToNearestEvenAsPyTorch() {
        // 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7: ties go to the even one, 1.
        assertThat(Precision.bf16Bits(1f + 0x1p-8f)).isEqualTo((short) 0x3F80);
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6: up to the even one.
        assertThat(Precision.bf16Bits(1f + 3 * 0x1p-8f)).isEqualTo((short) 0x3F82);
        assertThat(Precision.bf16Bits(1f + 0x1p-8f + 0x1p-20f)).isEqualTo((short) 0x3F81);
        assertThat(Precision.bf16Bits(Float.NaN)).isEqualTo((short) 0x7FC0);
        assertThat(Precision.bf16Bits(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xFF80);
        assertThat(Precision.bf16Bits(Float.MAX_VALUE)).as("past bf16's largest: infinity").isEqualTo((short) 0x7F80);
        assertThat(Precision.bf16Value((short) 0xC040)).isEqualTo(-3f);
    }

    @Test
    void int8RefusesNonFiniteWeightsAndNamesThem() {
        float[] w = {1f, 2f, 3f, Float.NaN};
        assertThatThrownBy(() -> PanelMatrix.plain(w, 0, 2, 2, 1, Precision.INT8))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected a finite W[1, 1], got NaN");
        assertThat(PanelMatrix.plain(w, 0, 2, 2, 1, Precision.BF16).weight(1, 1)).isNaN();
    }

    @Test
    void storageShrinksWithThePrecision() {
        float[] w = randomArray(64 * 256);
        List<Long> bytes = new ArrayList<>();
        for (Precision precision : Precision.values()) {
            bytes.add(PanelMatrix.plain(w, 0, 64, 256, 16, precision).storageBytes());
        }
        // 64·256 weights: 4, 2, 1 bytes each; int8 adds a float scale per panel row.
        assertThat(bytes).containsExactly(65_536L, 32_768L, 16_384L + 64 * 4);
    }

    @Test
    void parsesTheCommandLineNames() {
        assertThat(Precision.parse("bf16")).isEqualTo(Precision.BF16);
        assertThat(Precision.parse("INT8")).isEqualTo(Precision.INT8);
        assertThat(Precision.FP32.cliName()).isEqualTo("fp32");
        assertThatThrownBy(() -> Precision.parse("fp16"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected a weight precision fp32, bf16 or int8, got 'fp16'");
    }

    private float[] randomArray(int length) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextDouble(-1, 1);
        }
        return values;
    }
}
