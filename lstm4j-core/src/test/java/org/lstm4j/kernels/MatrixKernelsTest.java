package org.lstm4j.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every matrix kernel against {@link ScalarMatrixKernels} at awkward sizes (Lucene style): all
 * (m, n, k) from {@link #SIZES} up to a work cap, with accumulate on or off and either tight
 * storage or nonzero offsets with leading dimensions wider than the rows, and guard values
 * around C that must stay untouched. The sizes
 * cross every blocking boundary of the vector kernels (vector width, 4-vector panels, 4-row
 * micro-kernel, k-blocks of 128, row blocks of 64, the pack-or-dot threshold).
 *
 * <p>Tolerance: each of two float sums of k products is within k·u·Σ|a·b| of the exact value
 * (u = 2⁻²⁴), so they may differ by 2(k + 1)·u·(Σ|a·b| + |c₀|). A wrong index is off by O(|a·b|).
 */
class MatrixKernelsTest {

    private static final int[] SIZES = {1, 3, 7, 13, 16, 17, 31, 33, 64, 255, 1000};
    private static final long MAX_WORK = 1_000_000;
    private static final double U = Math.ulp(1.0f) / 2;
    private static final float GUARD = 12345f;

    private final SplittableRandom random = new SplittableRandom(42);
    private final MatrixKernels scalar = ScalarMatrixKernels.INSTANCE;

    private enum Op { TRANS_B, MULT, TRANS_A, TRANS_B_PACKED }

    /** The vector kernels, or a skipped test when this JVM runs without the incubator module. */
    private static MatrixKernels vector() {
        var vector = Kernels.vectorMatrix();
        assumeTrue(vector.isPresent(), "jdk.incubator.vector is not in the boot layer");
        return vector.get();
    }

    @Test
    void multTransBMatchesScalar() {
        sweep(vector(), Op.TRANS_B);
    }

    @Test
    void multMatchesScalar() {
        sweep(vector(), Op.MULT);
    }

    @Test
    void multTransAMatchesScalar() {
        sweep(vector(), Op.TRANS_A);
    }

    @Test
    void multTransBPackedMatchesScalar() {
        sweep(vector(), Op.TRANS_B_PACKED);
    }

    /** The scalar packed product (any layout) against the scalar unpacked one; runs without the module. */
    @Test
    void scalarPackedMatchesScalarUnpacked() {
        sweep(scalar, Op.TRANS_B_PACKED);
    }

    /**
     * The vector kernels' contract beyond closeness: each element of C is one FMA chain in order
     * of k from its previous value (or 0), so results are bit-identical whatever the number of
     * rows computed together (a streamed sequence matches the whole one) and whatever path the
     * shape takes (one-row gather, packed per call, packed once, partial panels, k-blocks).
     */
    @Test
    void vectorIsAnInOrderFmaChainPerElement() {
        MatrixKernels vector = vector();
        int checked = 0;
        for (Op op : Op.values()) {
            for (int m : new int[] {1, 2, 5, 17}) {
                for (int n : new int[] {1, 17, 64, 100}) {
                    for (int k : new int[] {1, 130, 300}) {
                        for (boolean accumulate : new boolean[] {false, true}) {
                            checkFmaChain(vector, op, m, n, k, accumulate);
                            checked++;
                        }
                    }
                }
            }
        }
        System.out.println("bit-exact FMA-chain cases: " + checked);
    }

    private void checkFmaChain(MatrixKernels vector, Op op, int m, int n, int k, boolean accumulate) {
        boolean transA = op == Op.TRANS_A;
        boolean rowMajorB = op == Op.MULT || op == Op.TRANS_A;
        int lda = (transA ? m : k) + 1;
        int ldb = op == Op.TRANS_B_PACKED ? k : (rowMajorB ? n : k) + 2;
        int ldc = n + 3;
        float[] a = randomArray((transA ? k : m) * lda);
        float[] b = randomArray((rowMajorB ? k : n) * ldb);
        float[] c0 = randomArray(m * ldc);
        float[] expected = c0.clone();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = accumulate ? c0[i * ldc + j] : 0f;
                for (int p = 0; p < k; p++) {
                    float aip = transA ? a[p * lda + i] : a[i * lda + p];
                    float bjp = rowMajorB ? b[p * ldb + j] : b[j * ldb + p];
                    acc = Math.fma(aip, bjp, acc);
                }
                expected[i * ldc + j] = acc;
            }
        }
        float[] all = c0.clone();
        run(vector, op, m, n, k, a, 0, lda, b, 0, ldb, all, 0, ldc, accumulate);
        assertThat(all).as("%s m=%d n=%d k=%d accumulate=%s, all rows at once", op, m, n, k, accumulate)
                .containsExactly(expected);
        if (!transA) { // one row at a time: row i of A and C at their offsets
            float[] rowByRow = c0.clone();
            for (int i = 0; i < m; i++) {
                run(vector, op, 1, n, k, a, i * lda, lda, b, 0, ldb, rowByRow, i * ldc, ldc, accumulate);
            }
            assertThat(rowByRow).as("%s m=%d n=%d k=%d accumulate=%s, row by row", op, m, n, k, accumulate)
                    .containsExactly(expected);
        }
    }

    @Test
    void gateInterleavedPackingGivesTheSameProduct() {
        MatrixKernels vector = vector();
        int checked = 0;
        for (int hidden : new int[] {1, 3, 7, 16, 17, 33, 100, 256}) {
            for (int k : new int[] {1, 13, 128, 255}) {
                for (int m : new int[] {1, 3, 4, 17}) {
                    for (boolean accumulate : new boolean[] {false, true}) {
                        checkGates(vector, hidden, m, k, accumulate);
                        checked++;
                    }
                }
            }
        }
        System.out.println("gate-interleaved cases checked: " + checked);
    }

    @Test
    void panelRangesAddUpToTheWholeProductBitForBit() {
        List<MatrixKernels> kernels = new ArrayList<>(List.of(scalar));
        Kernels.vectorMatrix().ifPresent(kernels::add);
        for (MatrixKernels k : kernels) {
            for (int hidden : new int[] {1, 7, 16, 17, 33, 100}) {
                for (int m : new int[] {1, 3, 5}) {
                    int depth = 13;
                    int n = 4 * hidden;
                    PackedMatrix w = k.packGates(randomArray(n * depth), 0, hidden, depth);
                    float[] a = randomArray(m * depth);
                    float[] c0 = randomArray(m * n);
                    float[] whole = c0.clone();
                    k.multTransBPacked(m, a, 0, depth, w, whole, 0, n, true);
                    float[] pieces = c0.clone();
                    int cut = w.panels() / 3;
                    k.multAddTransBPackedPanels(m, a, 0, depth, w, cut, w.panels(), pieces, 0, n);
                    k.multAddTransBPackedPanels(m, a, 0, depth, w, 0, cut, pieces, 0, n);
                    assertThat(pieces).as("%s hidden=%d m=%d cut at panel %d", k.name(), hidden, m, cut)
                            .containsExactly(whole);
                }
            }
        }
    }

    @Test
    void scalarReadsVectorLayouts() {
        // The scalar packed product reads a layout made for 16 lanes, plain and gate-interleaved.
        int hidden = 21;
        int k = 19;
        int m = 5;
        float[] w = randomArray(4 * hidden * k);
        float[] a = randomArray(m * k);
        float[] expected = new float[m * 4 * hidden];
        scalar.multTransB(m, 4 * hidden, k, a, 0, k, w, 0, k, expected, 0, 4 * hidden, false);
        for (PackedMatrix packed : new PackedMatrix[] {PackedMatrix.plain(w, 0, 4 * hidden, k, 16),
                PackedMatrix.gateInterleaved(w, 0, hidden, k, 16)}) {
            float[] got = new float[m * 4 * hidden];
            scalar.multTransBPacked(m, a, 0, k, packed, got, 0, 4 * hidden, false);
            assertThat(got).containsExactly(expected);
        }
    }

    @Test
    void packedLayoutHoldsEveryRowOnce() {
        for (int lanes : new int[] {1, 4, 8, 16}) {
            for (int rows : new int[] {1, 5, 64, 100}) {
                PackedMatrix plain = PackedMatrix.plain(new float[rows * 3], 0, rows, 3, lanes);
                assertCoversEveryRowOnce(plain, rows);
                PackedMatrix gates = PackedMatrix.gateInterleaved(new float[4 * rows * 3], 0, rows, 3, lanes);
                assertCoversEveryRowOnce(gates, 4 * rows);
            }
        }
        // Gate-interleaved, 4 lanes, hidden 6: panel 0 = i0-3, f0-3, g0-3, o0-3; panel 1 = i4-5 ...
        PackedMatrix gates = PackedMatrix.gateInterleaved(new float[24 * 2], 0, 6, 2, 4);
        assertThat(gates.sourceRow(0)).isEqualTo(0);
        assertThat(gates.sourceRow(4)).isEqualTo(6);
        assertThat(gates.sourceRow(15)).isEqualTo(21);
        assertThat(gates.sourceRow(16)).isEqualTo(4);
        assertThat(gates.sourceRow(18)).isEqualTo(-1);
    }

    @Test
    void repackPicksUpNewWeights() {
        MatrixKernels kernels = Kernels.matrix();
        int n = 37;
        int k = 11;
        float[] w = randomArray(n * k + 2);
        float[] a = randomArray(3 * k);
        PackedMatrix packed = kernels.pack(w, 2, n, k);
        float[] newW = randomArray(n * k + 2);
        packed.repack(newW, 2);
        float[] got = new float[3 * n];
        kernels.multTransBPacked(3, a, 0, k, packed, got, 0, n, false);
        float[] expected = new float[3 * n];
        scalar.multTransB(3, n, k, a, 0, k, newW, 2, k, expected, 0, n, false);
        for (int i = 0; i < got.length; i++) {
            assertThat(got[i]).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5f));
        }
    }

    @Test
    void packingRejectsBadShapes() {
        assertThatThrownBy(() -> PackedMatrix.plain(new float[10], 0, 3, 4, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected 3x4 = 12 floats at offset 0, got an array of 10");
        assertThatThrownBy(() -> PackedMatrix.plain(new float[10], 0, 0, 4, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got (0, 4)");
    }

    @Test
    void vectorRejectsAForeignLayout() {
        MatrixKernels vector = vector();
        PackedMatrix scalarPacked = scalar.pack(new float[8], 0, 4, 2);
        assertThatThrownBy(() -> vector.multTransBPacked(1, new float[2], 0, 2, scalarPacked, new float[4], 0, 4, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got one packed for 1 lanes");
    }

    @Test
    void zeroDepthOverwritesOrKeeps() {
        MatrixKernels vector = vector();
        for (Op op : new Op[] {Op.TRANS_B, Op.MULT, Op.TRANS_A}) {
            float[] c = {5f, 6f, 7f, 8f};
            run(vector, op, 2, 2, 0, new float[1], 0, 0, new float[1], 0, 0, c, 0, 2, true);
            assertThat(c).containsExactly(5f, 6f, 7f, 8f);
            run(vector, op, 2, 2, 0, new float[1], 0, 0, new float[1], 0, 0, c, 0, 2, false);
            assertThat(c).containsExactly(0f, 0f, 0f, 0f);
        }
    }

    private void sweep(MatrixKernels kernels, Op op) {
        int cases = 0;
        double worst = 0;
        for (int m : SIZES) {
            for (int n : SIZES) {
                for (int k : SIZES) {
                    if ((long) m * n * k > MAX_WORK) {
                        continue;
                    }
                    // Each size once, with layout and accumulate drawn from the seeded generator:
                    // every combination still occurs hundreds of times across the sweep.
                    boolean padded = random.nextBoolean();
                    boolean accumulate = random.nextBoolean();
                    worst = Math.max(worst, check(kernels, op, m, n, k, padded, accumulate));
                    cases++;
                }
            }
        }
        System.out.printf("%s %s: %d cases, worst |diff| / tolerance = %.3f%n", kernels.name(), op, cases, worst);
    }

    /** One case; returns the worst ratio of difference to tolerance. */
    private double check(MatrixKernels kernels, Op op, int m, int n, int k, boolean padded, boolean accumulate) {
        // A and B shapes as stored: TRANS_B / PACKED: A (m, k), B (n, k); MULT: A (m, k), B (k, n);
        // TRANS_A: A (k, m), B (k, n).
        int aRows = op == Op.TRANS_A ? k : m;
        int aCols = op == Op.TRANS_A ? m : k;
        int bRows = op == Op.MULT || op == Op.TRANS_A ? k : n;
        int bCols = op == Op.MULT || op == Op.TRANS_A ? n : k;
        int aOff = padded ? 5 : 0;
        int bOff = padded ? 3 : 0;
        int cOff = padded ? 7 : 0;
        int lda = aCols + (padded ? 3 : 0);
        // The packed layout reads W contiguously (ld = cols); it gets its own offset.
        int ldb = bCols + (padded && op != Op.TRANS_B_PACKED ? 2 : 0);
        int ldc = n + (padded ? 4 : 0);
        float[] a = randomArray(aOff + aRows * lda);
        float[] b = randomArray(bOff + bRows * ldb);
        float[] c0 = new float[cOff + m * ldc + 3];
        java.util.Arrays.fill(c0, GUARD);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                c0[cOff + i * ldc + j] = (float) random.nextDouble(-1, 1);
            }
        }
        float[] expected = c0.clone();
        float[] got = c0.clone();
        Op reference = op == Op.TRANS_B_PACKED ? Op.TRANS_B : op;
        run(scalar, reference, m, n, k, a, aOff, lda, b, bOff, ldb, expected, cOff, ldc, accumulate);
        run(kernels, op, m, n, k, a, aOff, lda, b, bOff, ldb, got, cOff, ldc, accumulate);
        // Σ|a·b| per element: the same product on absolute values.
        float[] bound = new float[cOff + m * ldc + 3];
        run(scalar, reference, m, n, k, abs(a), aOff, lda, abs(b), bOff, ldb, bound, cOff, ldc, false);

        String where = kernels.name() + " " + op + " m=" + m + " n=" + n + " k=" + k + " padded=" + padded
                + " accumulate=" + accumulate;
        double worst = 0;
        for (int idx = 0; idx < c0.length; idx++) {
            int rel = idx - cOff;
            boolean inC = rel >= 0 && rel < m * ldc && rel % ldc < n;
            if (!inC) {
                assertThat(got[idx]).as("%s: element %d outside C must be untouched", where, idx).isEqualTo(GUARD);
                continue;
            }
            double tolerance = 2.0 * (k + 1) * U * (bound[idx] + (accumulate ? Math.abs(c0[idx]) : 0)) + 1e-30;
            double diff = Math.abs(got[idx] - expected[idx]);
            if (!(diff <= tolerance)) {
                throw new AssertionError(where + ": C(" + rel / ldc + ", " + rel % ldc + ") expected "
                        + expected[idx] + ", got " + got[idx] + " (|diff| " + diff + " > tolerance " + tolerance + ")");
            }
            worst = Math.max(worst, diff / tolerance);
        }
        return worst;
    }

    private static void run(MatrixKernels kernels, Op op, int m, int n, int k, float[] a, int aOff, int lda,
                            float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        switch (op) {
            case TRANS_B -> kernels.multTransB(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            case MULT -> kernels.mult(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            case TRANS_A -> kernels.multTransA(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            case TRANS_B_PACKED -> kernels.multTransBPacked(m, a, aOff, lda, kernels.pack(b, bOff, n, k),
                    c, cOff, ldc, accumulate);
        }
    }

    private void checkGates(MatrixKernels vector, int hidden, int m, int k, boolean accumulate) {
        int n = 4 * hidden;
        float[] w = randomArray(1 + n * k);
        float[] a = randomArray(2 + m * (k + 1));
        float[] c0 = randomArray(m * (n + 2));
        float[] expected = c0.clone();
        scalar.multTransB(m, n, k, a, 2, k + 1, w, 1, k, expected, 0, n + 2, accumulate);
        float[] got = c0.clone();
        vector.multTransBPacked(m, a, 2, k + 1, vector.packGates(w, 1, hidden, k), got, 0, n + 2, accumulate);
        float[] scalarGot = c0.clone();
        scalar.multTransBPacked(m, a, 2, k + 1, scalar.packGates(w, 1, hidden, k), scalarGot, 0, n + 2, accumulate);
        float[] bound = new float[m * (n + 2)];
        scalar.multTransB(m, n, k, abs(a), 2, k + 1, abs(w), 1, k, bound, 0, n + 2, false);
        for (int i = 0; i < got.length; i++) {
            double tolerance = 2.0 * (k + 1) * U * (bound[i] + Math.abs(c0[i])) + 1e-30;
            String where = "gates hidden=" + hidden + " m=" + m + " k=" + k + " accumulate=" + accumulate
                    + " element " + i;
            assertThat((double) Math.abs(got[i] - expected[i])).as(where).isLessThanOrEqualTo(tolerance);
            assertThat(scalarGot[i]).as(where).isEqualTo(expected[i]);
        }
    }

    private static void assertCoversEveryRowOnce(PackedMatrix packed, int rows) {
        int[] seen = new int[rows];
        for (int r = 0; r < packed.panels() * packed.panelWidth(); r++) {
            int source = packed.sourceRow(r);
            if (source >= 0) {
                seen[source]++;
            }
        }
        for (int r = 0; r < rows; r++) {
            assertThat(seen[r]).as("row %d of %d, lanes %d, gates %s", r, rows, packed.lanes(),
                    packed.gateInterleaved()).isEqualTo(1);
        }
    }

    private float[] randomArray(int length) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextDouble(-1, 1);
        }
        return values;
    }

    private static float[] abs(float[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Math.abs(values[i]);
        }
        return out;
    }
}
