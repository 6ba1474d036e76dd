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
 * micro-kernel, k-blocks of 128, row blocks of 64, the one-row gather).
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

    private enum Op { TRANS_B, MULT, TRANS_A, TRANS_B_PANELS }

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
    void multTransBPanelsMatchesScalar() {
        sweep(vector(), Op.TRANS_B_PANELS);
    }

    /** The scalar panel product (any layout) against the scalar plain one; runs without the module. */
    @Test
    void scalarPanelsMatchScalarPlain() {
        sweep(scalar, Op.TRANS_B_PANELS);
    }

    /**
     * The vector kernels' contract beyond closeness: each element of C is one FMA chain in order
     * of k from its previous value (or 0), so results are bit-identical whatever the number of
     * rows computed together (a streamed sequence matches the whole one) and whatever path the
     * shape takes (one-row gather, panels laid out per call or once, partial panels, k-blocks).
     */
    /** The vector kernels with panel micro-kernels of {@code rowBlock} rows (2 or 4), whatever this machine picks. */
    private static MatrixKernels vectorWithRowBlock(int rowBlock) throws ReflectiveOperationException {
        assumeTrue(Kernels.vectorMatrix().isPresent(), "jdk.incubator.vector is not in the boot layer");
        return (MatrixKernels) Class.forName("org.lstm4j.kernels.vector.VectorMatrixKernels")
                .getConstructor(int.class).newInstance(rowBlock);
    }

    @Test
    void vectorIsAnInOrderFmaChainPerElement() throws ReflectiveOperationException {
        checkFmaChains(vector(), "this machine's row block");
        for (int rowBlock : new int[] {2, 4}) {
            checkFmaChains(vectorWithRowBlock(rowBlock), rowBlock + "-row blocks");
        }
    }

    private void checkFmaChains(MatrixKernels vector, String rowBlock) {
        int checked = 0;
        for (Op op : Op.values()) {
            for (int m : new int[] {1, 2, 3, 5, 17}) {
                for (int n : new int[] {1, 17, 64, 100, 300}) { // 300: more than four full panels at 512 bits
                    for (int k : new int[] {1, 130, 300}) {
                        for (boolean accumulate : new boolean[] {false, true}) {
                            checkFmaChain(vector, rowBlock, op, m, n, k, accumulate);
                            checked++;
                        }
                    }
                }
            }
        }
        System.out.println(vector.name() + ", " + rowBlock + ": bit-exact FMA-chain cases: " + checked);
    }

    private void checkFmaChain(MatrixKernels vector, String rowBlock, Op op, int m, int n, int k, boolean accumulate) {
        boolean transA = op == Op.TRANS_A;
        boolean rowMajorB = op == Op.MULT || op == Op.TRANS_A;
        int lda = (transA ? m : k) + 1;
        int ldb = op == Op.TRANS_B_PANELS ? k : (rowMajorB ? n : k) + 2;
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
        assertThat(all).as("%s %s m=%d n=%d k=%d accumulate=%s, all rows at once", rowBlock, op, m, n, k, accumulate)
                .containsExactly(expected);
        if (!transA) { // one row at a time: row i of A and C at their offsets
            float[] rowByRow = c0.clone();
            for (int i = 0; i < m; i++) {
                run(vector, op, 1, n, k, a, i * lda, lda, b, 0, ldb, rowByRow, i * ldc, ldc, accumulate);
            }
            assertThat(rowByRow).as("%s %s m=%d n=%d k=%d accumulate=%s, row by row", rowBlock, op, m, n, k,
                    accumulate)
                    .containsExactly(expected);
        }
    }

    /** LSTM (4 gates), GRU (3) and RNN (1) weights laid out gate-interleaved, against the plain product. */
    @Test
    void gateInterleavedPanelsGiveTheSameProduct() {
        MatrixKernels vector = vector();
        int checked = 0;
        for (int gates : new int[] {4, 3, 1}) {
            for (int hidden : new int[] {1, 3, 7, 16, 17, 33, 100, 256}) {
                for (int k : new int[] {1, 13, 128, 255}) {
                    for (int m : new int[] {1, 3, 4, 17}) {
                        for (boolean accumulate : new boolean[] {false, true}) {
                            checkGates(vector, gates, hidden, m, k, accumulate);
                            checked++;
                        }
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
            for (int gates : new int[] {4, 3, 1}) {
                for (int hidden : new int[] {1, 7, 16, 17, 33, 100, 256}) {
                    for (int m : new int[] {1, 3, 5}) {
                        int depth = 13;
                        int n = gates * hidden;
                        PanelMatrix w = k.gatePanels(randomArray(n * depth), 0, gates, hidden, depth);
                        float[] a = randomArray(m * depth);
                        float[] c0 = randomArray(m * n);
                        float[] whole = c0.clone();
                        k.multTransBPanels(m, a, 0, depth, w, whole, 0, n, true);
                        float[] pieces = c0.clone();
                        int cut = w.slicePanel(w.unitSlices() / 3);
                        k.multAddTransBPanelRange(m, a, 0, depth, w, cut, w.panels(), pieces, 0, n);
                        k.multAddTransBPanelRange(m, a, 0, depth, w, 0, cut, pieces, 0, n);
                        assertThat(pieces).as("%s gates=%d hidden=%d m=%d cut at panel %d", k.name(), gates, hidden,
                                m, cut).containsExactly(whole);
                    }
                }
            }
        }
    }

    /** A slice range covers exactly hidden units [sliceUnit(from), sliceUnit(to)) of every gate. */
    @Test
    void slicesHoldWholeHiddenUnitsOfEveryGate() {
        for (int lanes : new int[] {1, 4, 16}) {
            for (int gates : new int[] {4, 3, 2, 1}) {
                for (int hidden : new int[] {1, 5, 16, 17, 64, 100}) {
                    PanelMatrix w = PanelMatrix.gateInterleaved(new float[gates * hidden], 0, gates, hidden, 1, lanes);
                    assertThat(w.sliceUnit(0)).isZero();
                    assertThat(w.sliceUnit(w.unitSlices())).isEqualTo(hidden);
                    assertThat(w.slicePanel(w.unitSlices())).isEqualTo(w.panels());
                    for (int slice = 0; slice < w.unitSlices(); slice++) {
                        int from = w.sliceUnit(slice);
                        int to = w.sliceUnit(slice + 1);
                        assertThat(from % lanes).as("a slice starts on a whole vector").isZero();
                        List<Integer> rows = new ArrayList<>();
                        for (int r = w.slicePanel(slice) * w.panelWidth(); r < w.slicePanel(slice + 1) * w.panelWidth();
                             r++) {
                            if (w.sourceRow(r) >= 0) {
                                rows.add(w.sourceRow(r));
                            }
                        }
                        List<Integer> expected = new ArrayList<>();
                        for (int gate = 0; gate < gates; gate++) {
                            for (int unit = from; unit < to; unit++) {
                                expected.add(gate * hidden + unit);
                            }
                        }
                        assertThat(rows).as("lanes=%d gates=%d hidden=%d slice %d", lanes, gates, hidden, slice)
                                .containsExactlyInAnyOrderElementsOf(expected);
                    }
                }
            }
        }
    }

    @Test
    void scalarReadsVectorLayouts() {
        // The scalar panel product reads a layout made for 16 lanes, plain and gate-interleaved.
        int hidden = 21;
        int k = 19;
        int m = 5;
        float[] w = randomArray(4 * hidden * k);
        float[] a = randomArray(m * k);
        float[] expected = new float[m * 4 * hidden];
        scalar.multTransB(m, 4 * hidden, k, a, 0, k, w, 0, k, expected, 0, 4 * hidden, false);
        for (PanelMatrix panels : new PanelMatrix[] {PanelMatrix.plain(w, 0, 4 * hidden, k, 16),
                PanelMatrix.gateInterleaved(w, 0, 4, hidden, k, 16), PanelMatrix.gateInterleaved(w, 0, 3, 28, k, 16)}) {
            float[] got = new float[m * 4 * hidden];
            scalar.multTransBPanels(m, a, 0, k, panels, got, 0, 4 * hidden, false);
            assertThat(got).containsExactly(expected);
        }
    }

    @Test
    void panelLayoutHoldsEveryRowOnce() {
        for (int lanes : new int[] {1, 4, 8, 16}) {
            for (int rows : new int[] {1, 5, 64, 100}) {
                PanelMatrix plain = PanelMatrix.plain(new float[rows * 3], 0, rows, 3, lanes);
                assertCoversEveryRowOnce(plain, rows);
                for (int gates : new int[] {4, 3}) {
                    PanelMatrix interleaved = PanelMatrix.gateInterleaved(new float[gates * rows * 3], 0, gates, rows,
                            3, lanes);
                    assertCoversEveryRowOnce(interleaved, gates * rows);
                }
            }
        }
        // LSTM, 4 lanes, hidden 6: panel 0 = i0-3, f0-3, g0-3, o0-3; panel 1 = i4-5 ...
        PanelMatrix lstm = PanelMatrix.gateInterleaved(new float[24 * 2], 0, 4, 6, 2, 4);
        assertThat(lstm.sourceRow(0)).isEqualTo(0);
        assertThat(lstm.sourceRow(4)).isEqualTo(6);
        assertThat(lstm.sourceRow(15)).isEqualTo(21);
        assertThat(lstm.sourceRow(16)).isEqualTo(4);
        assertThat(lstm.sourceRow(18)).isEqualTo(-1);
        // GRU, 4 lanes, hidden 6: panel 0 = r0-3, z0-3, n0-3, r4-5; panel 1 = z4-5, n4-5, padding.
        PanelMatrix gru = PanelMatrix.gateInterleaved(new float[18 * 2], 0, 3, 6, 2, 4);
        assertThat(gru.sourceRow(0)).isEqualTo(0);
        assertThat(gru.sourceRow(4)).isEqualTo(6);
        assertThat(gru.sourceRow(8)).isEqualTo(12);
        assertThat(gru.sourceRow(12)).isEqualTo(4);
        assertThat(gru.sourceRow(14)).isEqualTo(-1);
        assertThat(gru.sourceRow(16)).isEqualTo(10);
        assertThat(gru.sourceRow(20)).isEqualTo(16);
        assertThat(gru.sourceRow(24)).isEqualTo(-1);
    }

    @Test
    void refillPicksUpNewWeights() {
        MatrixKernels kernels = Kernels.matrix();
        int n = 37;
        int k = 11;
        float[] w = randomArray(n * k + 2);
        float[] a = randomArray(3 * k);
        PanelMatrix panels = kernels.panels(w, 2, n, k);
        float[] newW = randomArray(n * k + 2);
        panels.refill(newW, 2);
        float[] got = new float[3 * n];
        kernels.multTransBPanels(3, a, 0, k, panels, got, 0, n, false);
        float[] expected = new float[3 * n];
        scalar.multTransB(3, n, k, a, 0, k, newW, 2, k, expected, 0, n, false);
        for (int i = 0; i < got.length; i++) {
            assertThat(got[i]).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5f));
        }
    }

    @Test
    void panelsRejectBadShapes() {
        assertThatThrownBy(() -> PanelMatrix.plain(new float[10], 0, 3, 4, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected 3x4 = 12 floats at offset 0, got an array of 10");
        assertThatThrownBy(() -> PanelMatrix.plain(new float[10], 0, 0, 4, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got (0, 4)");
    }

    @Test
    void vectorRejectsAForeignLayout() {
        MatrixKernels vector = vector();
        PanelMatrix scalarPanels = scalar.panels(new float[8], 0, 4, 2);
        assertThatThrownBy(() -> vector.multTransBPanels(1, new float[2], 0, 2, scalarPanels, new float[4], 0, 4, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got one laid out for 1 lanes");
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
        // A and B shapes as stored: TRANS_B / PANELS: A (m, k), B (n, k); MULT: A (m, k), B (k, n);
        // TRANS_A: A (k, m), B (k, n).
        int aRows = op == Op.TRANS_A ? k : m;
        int aCols = op == Op.TRANS_A ? m : k;
        int bRows = op == Op.MULT || op == Op.TRANS_A ? k : n;
        int bCols = op == Op.MULT || op == Op.TRANS_A ? n : k;
        int aOff = padded ? 5 : 0;
        int bOff = padded ? 3 : 0;
        int cOff = padded ? 7 : 0;
        int lda = aCols + (padded ? 3 : 0);
        // The panel layout reads W contiguously (ld = cols); it gets its own offset.
        int ldb = bCols + (padded && op != Op.TRANS_B_PANELS ? 2 : 0);
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
        Op reference = op == Op.TRANS_B_PANELS ? Op.TRANS_B : op;
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
            case TRANS_B_PANELS -> kernels.multTransBPanels(m, a, aOff, lda, kernels.panels(b, bOff, n, k),
                    c, cOff, ldc, accumulate);
        }
    }

    /**
     * W (gates·hidden, k) laid out gate-interleaved: the vector product within tolerance of the
     * scalar plain one, the scalar panel product equal to it, and the vector product one in-order
     * FMA chain per element.
     */
    private void checkGates(MatrixKernels vector, int gates, int hidden, int m, int k, boolean accumulate) {
        int n = gates * hidden;
        float[] w = randomArray(1 + n * k);
        float[] a = randomArray(2 + m * (k + 1));
        float[] c0 = randomArray(m * (n + 2));
        float[] expected = c0.clone();
        scalar.multTransB(m, n, k, a, 2, k + 1, w, 1, k, expected, 0, n + 2, accumulate);
        float[] got = c0.clone();
        vector.multTransBPanels(m, a, 2, k + 1, vector.gatePanels(w, 1, gates, hidden, k), got, 0, n + 2, accumulate);
        float[] scalarGot = c0.clone();
        scalar.multTransBPanels(m, a, 2, k + 1, scalar.gatePanels(w, 1, gates, hidden, k), scalarGot, 0, n + 2,
                accumulate);
        float[] bound = new float[m * (n + 2)];
        scalar.multTransB(m, n, k, abs(a), 2, k + 1, abs(w), 1, k, bound, 0, n + 2, false);
        for (int i = 0; i < got.length; i++) {
            double tolerance = 2.0 * (k + 1) * U * (bound[i] + Math.abs(c0[i])) + 1e-30;
            String where = "gates=" + gates + " hidden=" + hidden + " m=" + m + " k=" + k + " accumulate=" + accumulate
                    + " element " + i;
            assertThat((double) Math.abs(got[i] - expected[i])).as(where).isLessThanOrEqualTo(tolerance);
            assertThat(scalarGot[i]).as(where).isEqualTo(expected[i]);
            int row = i / (n + 2);
            int column = i % (n + 2);
            if (column < n) {
                float chain = accumulate ? c0[i] : 0f;
                for (int p = 0; p < k; p++) {
                    chain = Math.fma(a[2 + row * (k + 1) + p], w[1 + column * k + p], chain);
                }
                assertThat(got[i]).as(where + ": one FMA chain").isEqualTo(chain);
            }
        }
    }

    private static void assertCoversEveryRowOnce(PanelMatrix panels, int rows) {
        int[] seen = new int[rows];
        for (int r = 0; r < panels.panels() * panels.panelWidth(); r++) {
            int source = panels.sourceRow(r);
            if (source >= 0) {
                seen[source]++;
            }
        }
        for (int r = 0; r < rows; r++) {
            assertThat(seen[r]).as("row %d of %d, lanes %d, gates %d", r, rows, panels.lanes(),
                    panels.gates()).isEqualTo(1);
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
