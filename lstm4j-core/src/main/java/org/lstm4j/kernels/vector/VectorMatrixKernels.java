package org.lstm4j.kernels.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.kernels.PanelMatrix;
import org.lstm4j.tensor.Precision;

/**
 * {@link MatrixKernels} on {@code jdk.incubator.vector}: register-blocked GEMM over panels of
 * four vectors (NR = 4·V columns of C) and MR rows of A, k blocked by {@link #KC}.
 *
 * <p>Every product is run as C (+)= A·B where step p of B is NR consecutive floats:
 * <ul>
 *   <li>{@link #multTransBPanels}: the panels of a {@link PanelMatrix} (no per-call work); panels
 *       of bf16 or int8 weights go to {@link VectorReducedKernels};</li>
 *   <li>{@link #mult} and {@link #multTransA}: B (k, n) row-major already has NR consecutive
 *       columns per row, so full panels are read in place and only the last partial panel is
 *       copied (zero-padded);</li>
 *   <li>{@link #multTransB} (no panels given): one row of A (a batch-1 step) gathers B's columns on
 *       the fly; more rows lay B out in panels per call (n·k gathers, small next to m·n·k).</li>
 * </ul>
 * The micro-kernel keeps MR × 4 accumulators (MR rows × 4 vectors) and per step p does 4 vector
 * loads of B and MR broadcasts of A for 4·MR FMAs. MR is chosen per machine ({@link #rowBlock}):
 * 4 rows (16 accumulators + 4 B vectors + 1 broadcast = 21 registers) where the JIT has 32
 * vector registers (AVX-512, AArch64), 2 rows (8 + 4 + 2 = 14) where it has 16 (AVX2), since a
 * block that does not fit its registers spills on every step. One row of A against panels (a
 * batch-1 step) runs four panels at a time instead ({@link #gemvKernel4}: 16 chains in flight
 * rather than 4). Panel products, the forward's
 * products, run kernels whose steps are the constant NR floats apart and whose rows of A are
 * contiguous ({@link #panelKernel4}, {@link #panelKernel2}, {@link #panelKernel1}): C2 then
 * keeps fewer integer registers live in the loop. Measured on one core of a Xeon (family 6
 * model 207), C(m, n) += A·Wᵀ at the LSTM step and projection shapes: with AVX2 (-XX:UseAVX=2)
 * 4 strided rows 42–50 GFLOP/s, 2 panel rows 65–82 (of a 102 GFLOP/s peak); with AVX-512 4
 * strided rows 109–138, 4 panel rows 116–158 (of ~200).
 *
 * <p><b>Same bits whatever the batching.</b> Every path computes each element of C as one FMA
 * chain in order of p, c = fma(a_p, b_p, c), starting from C's previous value (or 0): lanes are
 * independent, C is stored and reloaded exactly between k-blocks, and panels with fewer live
 * columns than NR run on a copy of C. So a row of C does not depend on how many rows are
 * computed with it, where it sits among them, the blocking or the vector width; streaming a
 * sequence in chunks gives exactly the full-sequence result. (The scalar reference rounds a·b
 * and the sum separately, so it differs by float rounding.) No allocation except the per-call
 * copies named above.
 */
public final class VectorMatrixKernels implements MatrixKernels {

    private static final VectorSpecies<Float> F = FloatSpecies.CHOSEN;
    private static final int V = F.length();
    /** Columns of C per micro-kernel call: four vectors. */
    private static final int NR = 4 * V;
    /** Most rows of A per micro-kernel call (the tile below holds that many). */
    private static final int MR = 4;
    /**
     * System property: rows of A per panel micro-kernel call, 2 or 4, instead of the choice by
     * vector registers ({@link #rowBlock}); for measuring one against the other.
     */
    public static final String ROW_BLOCK_PROPERTY = "lstm4j.kernelRows";
    /** k-block: a KC·NR slice of a panel (32 KiB at V = 16) stays in L1 while rows of A stream past. */
    private static final int KC = 128;
    /** Row block: MC·KC floats of A (32 KiB) stay in L2 while every panel of B passes over them. */
    private static final int MC = 64;
    /**
     * (MR, NR) per thread: a panel with fewer live columns than NR (a projection of fewer than NR
     * rows) is computed into this tile and copied out; reused so that a streaming step allocates
     * nothing.
     */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);
    /** Panels per call of the one-row kernel {@link #gemvKernel4}. */
    private static final int GEMV_PANELS = 4;
    /** Per thread: where in C the 4 groups of each of {@link #GEMV_PANELS} panels go; reused (a step allocates nothing). */
    private static final ThreadLocal<int[]> GEMV_COLUMNS = ThreadLocal.withInitial(() -> new int[4 * GEMV_PANELS]);

    /** Rows of A per panel micro-kernel call: 4 or 2. */
    private final int rowBlock;

    /** Row block chosen for this machine ({@link #rowBlock}), or by {@link #ROW_BLOCK_PROPERTY}. */
    public VectorMatrixKernels() {
        this(Integer.getInteger(ROW_BLOCK_PROPERTY, rowBlock()));
    }

    /**
     * @param rowBlock rows of A per panel micro-kernel call, 2 or 4; results are the same bits
     *                 either way (each element of C is the same chain)
     */
    public VectorMatrixKernels(int rowBlock) {
        if (rowBlock != 2 && rowBlock != 4) {
            throw new IllegalArgumentException("expected a row block of 2 or 4, got " + rowBlock);
        }
        this.rowBlock = rowBlock;
    }

    /**
     * 4 where the JIT has 32 vector registers, else 2. HotSpot has 32 on AArch64 and on x86 with
     * AVX-512 enabled (UseAVX=3, which is when its preferred float vector is 512 bits), 16 with
     * AVX2 (16 ymm).
     */
    static int rowBlock() {
        String arch = System.getProperty("os.arch", "");
        boolean registers32 = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512 || arch.equals("aarch64");
        return registers32 ? 4 : 2;
    }

    /** This thread's columns of C for the one-row kernels (also {@link VectorReducedKernels}'). */
    static int[] gemvColumns() {
        return GEMV_COLUMNS.get();
    }

    /** This thread's (MR, NR) tile for panels with fewer live columns than NR (also {@link VectorReducedKernels}'). */
    static float[] tile() {
        return TILE.get();
    }

    @Override
    public int lanes() {
        return V;
    }

    @Override
    public String name() {
        return "vector-" + F.vectorBitSize();
    }

    @Override
    public void multTransBPanels(int m, float[] a, int aOff, int lda, PanelMatrix w,
                                 float[] c, int cOff, int ldc, boolean accumulate) {
        requireOwnLanes(w);
        if (m == 0) {
            return;
        }
        if (m == 1 && !accumulate) {
            java.util.Arrays.fill(c, cOff, cOff + w.rows(), 0f);
        }
        multTransBPanelRange(m, a, aOff, lda, w, 0, w.panels(), c, cOff, ldc, accumulate || m == 1);
    }

    @Override
    public void multAddTransBPanelRange(int m, float[] a, int aOff, int lda, PanelMatrix w, int fromPanel,
                                        int toPanel, float[] c, int cOff, int ldc) {
        requireOwnLanes(w);
        if (m == 0) {
            return;
        }
        multTransBPanelRange(m, a, aOff, lda, w, fromPanel, toPanel, c, cOff, ldc, true);
    }

    /**
     * C (+)= A · Wᵀ over panels [fromPanel, toPanel) of W; one row of A runs the one-row kernels
     * first (accumulating: a caller that overwrites a single row zeroes it first).
     */
    private void multTransBPanelRange(int m, float[] a, int aOff, int lda, PanelMatrix w, int fromPanel,
                                      int toPanel, float[] c, int cOff, int ldc, boolean accumulate) {
        int k = w.cols();
        boolean fp32 = w.precision() == Precision.FP32;
        int from = fromPanel;
        if (m == 1) {
            from = fp32 ? gemvPanels(k, a, aOff, w, fromPanel, toPanel, c, cOff)
                    : VectorReducedKernels.gemvPanels(k, a, aOff, w, fromPanel, toPanel, c, cOff);
        }
        if (fp32) {
            gemm(m, k, a, aOff, lda, 1, w.data(), 0, NR * k, NR, from, toPanel, w.gates(), w.gateRows(), 0,
                    c, cOff, ldc, accumulate);
        } else {
            VectorReducedKernels.gemm(m, a, aOff, lda, w, from, toPanel, c, cOff, ldc, accumulate);
        }
    }

    private static void requireOwnLanes(PanelMatrix w) {
        if (w.lanes() != V) {
            throw new IllegalArgumentException("expected a matrix laid out for " + V + " lanes (this kernel), got one"
                    + " laid out for " + w.lanes() + " lanes");
        }
    }

    @Override
    public void multTransB(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                           float[] c, int cOff, int ldc, boolean accumulate) {
        if (m == 0 || n == 0 || zeroDepth(m, n, k, c, cOff, ldc, accumulate)) {
            return;
        }
        if (m == 1) {
            gemvGather(n, k, a, aOff, b, bOff, ldb, c, cOff, accumulate);
            return;
        }
        int panels = (n + NR - 1) / NR;
        float[] laidOut = new float[panels * NR * k]; // (panels, k, NR): B's rows as columns, zero-padded
        layOutPanels(b, bOff, ldb, n, k, laidOut);
        gemm(m, k, a, aOff, lda, 1, laidOut, 0, NR * k, NR, 0, panels, 1, n, 0, c, cOff, ldc, accumulate);
    }

    /**
     * B (n, k) into (panels, k, NR): step p of panel q holds B[q·NR .. q·NR + NR − 1][p]. Each
     * group of V rows is one gather per step (V rows at stride ldb); rows past n stay zero.
     */
    private static void layOutPanels(float[] b, int bOff, int ldb, int n, int k, float[] laidOut) {
        int[] rowOffsets = new int[V];
        for (int lane = 0; lane < V; lane++) {
            rowOffsets[lane] = lane * ldb;
        }
        for (int row0 = 0; row0 < n; row0 += V) {
            int dst = row0 / NR * NR * k + row0 % NR;
            int src = bOff + row0 * ldb;
            if (row0 + V <= n) {
                for (int p = 0; p < k; p++) {
                    FloatVector.fromArray(F, b, src + p, rowOffsets, 0).intoArray(laidOut, dst + p * NR);
                }
            } else {
                for (int r = 0; r < n - row0; r++) {
                    for (int p = 0; p < k; p++) {
                        laidOut[dst + p * NR + r] = b[src + r * ldb + p];
                    }
                }
            }
        }
    }

    @Override
    public void mult(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        if (m == 0 || n == 0 || zeroDepth(m, n, k, c, cOff, ldc, accumulate)) {
            return;
        }
        rowMajorB(m, n, k, a, aOff, lda, 1, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    @Override
    public void multTransA(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                           float[] c, int cOff, int ldc, boolean accumulate) {
        if (m == 0 || n == 0 || zeroDepth(m, n, k, c, cOff, ldc, accumulate)) {
            return;
        }
        rowMajorB(m, n, k, a, aOff, 1, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    /** k == 0: C = 0 (or unchanged when accumulating). Returns true when there is nothing else to do. */
    private static boolean zeroDepth(int m, int n, int k, float[] c, int cOff, int ldc, boolean accumulate) {
        if (k > 0) {
            return false;
        }
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
        }
        return true;
    }

    /**
     * C(m, n) (+)= A·B with B (k, n) row-major and A(i, p) at a[aOff + i·aRow + p·aCol]: full
     * panels read B in place, the last partial panel is copied zero-padded.
     */
    private void rowMajorB(int m, int n, int k, float[] a, int aOff, int aRow, int aCol,
                                  float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        int full = n / NR;
        if (full > 0) {
            gemm(m, k, a, aOff, aRow, aCol, b, bOff, NR, ldb, 0, full, 1, full * NR, 0, c, cOff, ldc, accumulate);
        }
        int j0 = full * NR;
        int rest = n - j0;
        if (rest > 0) {
            float[] tail = new float[k * NR]; // (k, NR): columns j0..n-1 of B, zero-padded
            for (int p = 0; p < k; p++) {
                System.arraycopy(b, bOff + p * ldb + j0, tail, p * NR, rest);
            }
            gemm(m, k, a, aOff, aRow, aCol, tail, 0, 0, NR, 0, 1, 1, rest, j0, c, cOff, ldc, accumulate);
        }
    }

    /**
     * C (+)= A·B over panels [panelFrom, panelTo). Step p of panel q is the NR floats at b[bOff + q·bPanel + p·bStep];
     * A(i, p) is a[aOff + i·aRow + p·aCol]. The four vectors of panel q go to the C columns of
     * the {@link PanelMatrix} layout of {@code gates · gateRows} columns starting at colOffset
     * ({@link PanelMatrix#groupStart}): for gates == 1 that is colOffset + (4q + g)·V.
     *
     * <p>The micro-kernels only ever add whole vectors into C: that keeps them small enough for C2
     * to inline every vector operation (a bigger body, e.g. with the accumulate branch or a lane
     * loop inside, crosses C2's inlining node cutoff and the accumulators get boxed on every
     * step). So C is zeroed first when not accumulating, and a panel with fewer live columns
     * than NR is computed into a zeroed tile whose live lanes are then added to C.
     */
    private void gemm(int m, int k, float[] a, int aOff, int aRow, int aCol,
                             float[] b, int bOff, int bPanel, int bStep, int panelFrom, int panelTo,
                             int gates, int gateRows, int colOffset,
                             float[] c, int cOff, int ldc, boolean accumulate) {
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                int row = cOff + i * ldc + colOffset;
                java.util.Arrays.fill(c, row, row + gates * gateRows, 0f);
            }
        }
        // Steps of B NR floats apart and rows of A contiguous: the panel kernels, rowBlock rows each.
        boolean panelSteps = aCol == 1 && bStep == NR;
        int block = panelSteps ? rowBlock : MR;
        float[] tile = null; // (MR, NR) for panels with fewer live columns than NR
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            for (int ic = 0; ic < m; ic += MC) {
                int iEnd = Math.min(m, ic + MC);
                for (int q = panelFrom; q < panelTo; q++) {
                    int bq = bOff + q * bPanel + pc * bStep;
                    int col0 = colOffset + PanelMatrix.groupStart(gates, gateRows, V, q, 0);
                    int g1 = colOffset + PanelMatrix.groupStart(gates, gateRows, V, q, 1) - col0;
                    int g2 = colOffset + PanelMatrix.groupStart(gates, gateRows, V, q, 2) - col0;
                    int g3 = colOffset + PanelMatrix.groupStart(gates, gateRows, V, q, 3) - col0;
                    // Group 3 holds the panel's last block of hidden units, the one with fewest live rows.
                    boolean full = PanelMatrix.groupCount(gates, gateRows, V, q, 3) == V;
                    if (!full && tile == null) {
                        tile = tile();
                    }
                    int i = ic;
                    for (; i < iEnd; i += block) {
                        int rows = Math.min(block, iEnd - i);
                        int a0 = aOff + i * aRow + pc * aCol;
                        int c0 = cOff + i * ldc + col0;
                        if (full && rows == block) {
                            if (!panelSteps) {
                                kernel4(kc, a, a0, aRow, aCol, b, bq, bStep, c, c0, ldc, g1, g2, g3);
                            } else if (block == 4) {
                                panelKernel4(kc, a, a0, aRow, b, bq, c, c0, ldc, g1, g2, g3);
                            } else {
                                panelKernel2(kc, a, a0, aRow, b, bq, c, c0, ldc, g1, g2, g3);
                            }
                        } else if (full) {
                            for (int r = 0; r < rows; r++) {
                                kernel1(panelSteps, kc, a, a0 + r * aRow, aCol, b, bq, bStep, c, c0 + r * ldc,
                                        g1, g2, g3);
                            }
                        } else {
                            copyTile(true, tile, rows, c, cOff + i * ldc + colOffset, ldc, gates, gateRows, q);
                            for (int r = 0; r < rows; r++) {
                                kernel1(panelSteps, kc, a, a0 + r * aRow, aCol, b, bq, bStep, tile, r * NR,
                                        V, 2 * V, 3 * V);
                            }
                            copyTile(false, tile, rows, c, cOff + i * ldc + colOffset, ldc, gates, gateRows, q);
                        }
                    }
                }
            }
        }
    }

    /** One row: {@link #panelKernel1} for panel steps, else the strided {@link #kernel1}. */
    private static void kernel1(boolean panelSteps, int kc, float[] a, int a0, int aCol, float[] b, int b0, int bStep,
                                float[] c, int c0, int g1, int g2, int g3) {
        if (panelSteps) {
            panelKernel1(kc, a, a0, b, b0, c, c0, g1, g2, g3);
        } else {
            kernel1(kc, a, a0, aCol, b, b0, bStep, c, c0, g1, g2, g3);
        }
    }

    /**
     * Copies the live lanes of panel q's columns of C into a (rows, NR) tile (zeros elsewhere), or
     * back. Row r's group g has {@link PanelMatrix#groupCount} live lanes at
     * c[c0 + r·ldc + {@link PanelMatrix#groupStart}].
     */
    static void copyTile(boolean intoTile, float[] tile, int rows, float[] c, int c0, int ldc,
                                 int gates, int gateRows, int q) {
        if (intoTile) {
            java.util.Arrays.fill(tile, 0f);
        }
        for (int g = 0; g < 4; g++) {
            int count = PanelMatrix.groupCount(gates, gateRows, V, q, g);
            if (count <= 0) {
                continue;
            }
            int start = PanelMatrix.groupStart(gates, gateRows, V, q, g);
            for (int r = 0; r < rows; r++) {
                int cAt = c0 + r * ldc + start;
                int tileAt = r * NR + g * V;
                if (intoTile) {
                    System.arraycopy(c, cAt, tile, tileAt, count);
                } else {
                    System.arraycopy(tile, tileAt, c, cAt, count);
                }
            }
        }
    }

    /**
     * Four rows of C, four vectors wide: 16 accumulators, loaded from C and stored back. Row r's
     * vector g lives at c[c0 + r·ldc + g_g] (g_0 = 0).
     */
    private static void kernel4(int kc, float[] a, int a0, int aRow, int aCol, float[] b, int b0, int bStep,
                                float[] c, int c0, int ldc, int g1, int g2, int g3) {
        int c1 = c0 + ldc;
        int c2 = c1 + ldc;
        int c3 = c2 + ldc;
        FloatVector c00 = FloatVector.fromArray(F, c, c0);
        FloatVector c01 = FloatVector.fromArray(F, c, c0 + g1);
        FloatVector c02 = FloatVector.fromArray(F, c, c0 + g2);
        FloatVector c03 = FloatVector.fromArray(F, c, c0 + g3);
        FloatVector c10 = FloatVector.fromArray(F, c, c1);
        FloatVector c11 = FloatVector.fromArray(F, c, c1 + g1);
        FloatVector c12 = FloatVector.fromArray(F, c, c1 + g2);
        FloatVector c13 = FloatVector.fromArray(F, c, c1 + g3);
        FloatVector c20 = FloatVector.fromArray(F, c, c2);
        FloatVector c21 = FloatVector.fromArray(F, c, c2 + g1);
        FloatVector c22 = FloatVector.fromArray(F, c, c2 + g2);
        FloatVector c23 = FloatVector.fromArray(F, c, c2 + g3);
        FloatVector c30 = FloatVector.fromArray(F, c, c3);
        FloatVector c31 = FloatVector.fromArray(F, c, c3 + g1);
        FloatVector c32 = FloatVector.fromArray(F, c, c3 + g2);
        FloatVector c33 = FloatVector.fromArray(F, c, c3 + g3);
        int r1 = a0 + aRow;
        int r2 = r1 + aRow;
        int r3 = r2 + aRow;
        for (int p = 0; p < kc; p++) {
            int bp = b0 + p * bStep;
            FloatVector b0v = FloatVector.fromArray(F, b, bp);
            FloatVector b1v = FloatVector.fromArray(F, b, bp + V);
            FloatVector b2v = FloatVector.fromArray(F, b, bp + 2 * V);
            FloatVector b3v = FloatVector.fromArray(F, b, bp + 3 * V);
            int ap = p * aCol;
            FloatVector x = FloatVector.broadcast(F, a[a0 + ap]);
            c00 = b0v.fma(x, c00);
            c01 = b1v.fma(x, c01);
            c02 = b2v.fma(x, c02);
            c03 = b3v.fma(x, c03);
            x = FloatVector.broadcast(F, a[r1 + ap]);
            c10 = b0v.fma(x, c10);
            c11 = b1v.fma(x, c11);
            c12 = b2v.fma(x, c12);
            c13 = b3v.fma(x, c13);
            x = FloatVector.broadcast(F, a[r2 + ap]);
            c20 = b0v.fma(x, c20);
            c21 = b1v.fma(x, c21);
            c22 = b2v.fma(x, c22);
            c23 = b3v.fma(x, c23);
            x = FloatVector.broadcast(F, a[r3 + ap]);
            c30 = b0v.fma(x, c30);
            c31 = b1v.fma(x, c31);
            c32 = b2v.fma(x, c32);
            c33 = b3v.fma(x, c33);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + g1);
        c02.intoArray(c, c0 + g2);
        c03.intoArray(c, c0 + g3);
        c10.intoArray(c, c1);
        c11.intoArray(c, c1 + g1);
        c12.intoArray(c, c1 + g2);
        c13.intoArray(c, c1 + g3);
        c20.intoArray(c, c2);
        c21.intoArray(c, c2 + g1);
        c22.intoArray(c, c2 + g2);
        c23.intoArray(c, c2 + g3);
        c30.intoArray(c, c3);
        c31.intoArray(c, c3 + g1);
        c32.intoArray(c, c3 + g2);
        c33.intoArray(c, c3 + g3);
    }

    /**
     * One row of C, four vectors wide: four FMA chains, the same arithmetic per element as
     * {@link #kernel4}. A one-row panel product runs {@link #gemvKernel4} over four panels at a
     * time and this only on the panels left over.
     */
    private static void kernel1(int kc, float[] a, int a0, int aCol, float[] b, int b0, int bStep,
                                float[] c, int c0, int g1, int g2, int g3) {
        FloatVector c0v = FloatVector.fromArray(F, c, c0);
        FloatVector c1v = FloatVector.fromArray(F, c, c0 + g1);
        FloatVector c2v = FloatVector.fromArray(F, c, c0 + g2);
        FloatVector c3v = FloatVector.fromArray(F, c, c0 + g3);
        for (int p = 0; p < kc; p++) {
            int bp = b0 + p * bStep;
            FloatVector x = FloatVector.broadcast(F, a[a0 + p * aCol]);
            c0v = FloatVector.fromArray(F, b, bp).fma(x, c0v);
            c1v = FloatVector.fromArray(F, b, bp + V).fma(x, c1v);
            c2v = FloatVector.fromArray(F, b, bp + 2 * V).fma(x, c2v);
            c3v = FloatVector.fromArray(F, b, bp + 3 * V).fma(x, c3v);
        }
        c0v.intoArray(c, c0);
        c1v.intoArray(c, c0 + g1);
        c2v.intoArray(c, c0 + g2);
        c3v.intoArray(c, c0 + g3);
    }

    /**
     * {@link #kernel4} for B in panels (steps NR floats apart) and rows of A contiguous: the same
     * chains, with constant strides.
     */
    private static void panelKernel4(int kc, float[] a, int a0, int aRow, float[] b, int b0,
                                     float[] c, int c0, int ldc, int g1, int g2, int g3) {
        int c1 = c0 + ldc;
        int c2 = c1 + ldc;
        int c3 = c2 + ldc;
        FloatVector c00 = FloatVector.fromArray(F, c, c0);
        FloatVector c01 = FloatVector.fromArray(F, c, c0 + g1);
        FloatVector c02 = FloatVector.fromArray(F, c, c0 + g2);
        FloatVector c03 = FloatVector.fromArray(F, c, c0 + g3);
        FloatVector c10 = FloatVector.fromArray(F, c, c1);
        FloatVector c11 = FloatVector.fromArray(F, c, c1 + g1);
        FloatVector c12 = FloatVector.fromArray(F, c, c1 + g2);
        FloatVector c13 = FloatVector.fromArray(F, c, c1 + g3);
        FloatVector c20 = FloatVector.fromArray(F, c, c2);
        FloatVector c21 = FloatVector.fromArray(F, c, c2 + g1);
        FloatVector c22 = FloatVector.fromArray(F, c, c2 + g2);
        FloatVector c23 = FloatVector.fromArray(F, c, c2 + g3);
        FloatVector c30 = FloatVector.fromArray(F, c, c3);
        FloatVector c31 = FloatVector.fromArray(F, c, c3 + g1);
        FloatVector c32 = FloatVector.fromArray(F, c, c3 + g2);
        FloatVector c33 = FloatVector.fromArray(F, c, c3 + g3);
        int r1 = a0 + aRow;
        int r2 = r1 + aRow;
        int r3 = r2 + aRow;
        for (int p = 0; p < kc; p++) {
            int bp = b0 + p * NR;
            FloatVector b0v = FloatVector.fromArray(F, b, bp);
            FloatVector b1v = FloatVector.fromArray(F, b, bp + V);
            FloatVector b2v = FloatVector.fromArray(F, b, bp + 2 * V);
            FloatVector b3v = FloatVector.fromArray(F, b, bp + 3 * V);
            int ap = p;
            FloatVector x = FloatVector.broadcast(F, a[a0 + ap]);
            c00 = b0v.fma(x, c00);
            c01 = b1v.fma(x, c01);
            c02 = b2v.fma(x, c02);
            c03 = b3v.fma(x, c03);
            x = FloatVector.broadcast(F, a[r1 + ap]);
            c10 = b0v.fma(x, c10);
            c11 = b1v.fma(x, c11);
            c12 = b2v.fma(x, c12);
            c13 = b3v.fma(x, c13);
            x = FloatVector.broadcast(F, a[r2 + ap]);
            c20 = b0v.fma(x, c20);
            c21 = b1v.fma(x, c21);
            c22 = b2v.fma(x, c22);
            c23 = b3v.fma(x, c23);
            x = FloatVector.broadcast(F, a[r3 + ap]);
            c30 = b0v.fma(x, c30);
            c31 = b1v.fma(x, c31);
            c32 = b2v.fma(x, c32);
            c33 = b3v.fma(x, c33);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + g1);
        c02.intoArray(c, c0 + g2);
        c03.intoArray(c, c0 + g3);
        c10.intoArray(c, c1);
        c11.intoArray(c, c1 + g1);
        c12.intoArray(c, c1 + g2);
        c13.intoArray(c, c1 + g3);
        c20.intoArray(c, c2);
        c21.intoArray(c, c2 + g1);
        c22.intoArray(c, c2 + g2);
        c23.intoArray(c, c2 + g3);
        c30.intoArray(c, c3);
        c31.intoArray(c, c3 + g1);
        c32.intoArray(c, c3 + g2);
        c33.intoArray(c, c3 + g3);
    }

    /** {@link #panelKernel4} for two rows: 8 accumulators, for 16 vector registers. */
    private static void panelKernel2(int kc, float[] a, int a0, int aRow, float[] b, int b0,
                                     float[] c, int c0, int ldc, int g1, int g2, int g3) {
        int c1 = c0 + ldc;
        FloatVector c00 = FloatVector.fromArray(F, c, c0);
        FloatVector c01 = FloatVector.fromArray(F, c, c0 + g1);
        FloatVector c02 = FloatVector.fromArray(F, c, c0 + g2);
        FloatVector c03 = FloatVector.fromArray(F, c, c0 + g3);
        FloatVector c10 = FloatVector.fromArray(F, c, c1);
        FloatVector c11 = FloatVector.fromArray(F, c, c1 + g1);
        FloatVector c12 = FloatVector.fromArray(F, c, c1 + g2);
        FloatVector c13 = FloatVector.fromArray(F, c, c1 + g3);
        int r1 = a0 + aRow;
        for (int p = 0; p < kc; p++) {
            int bp = b0 + p * NR;
            FloatVector x0 = FloatVector.broadcast(F, a[a0 + p]);
            FloatVector x1 = FloatVector.broadcast(F, a[r1 + p]);
            FloatVector bv = FloatVector.fromArray(F, b, bp);
            c00 = bv.fma(x0, c00);
            c10 = bv.fma(x1, c10);
            bv = FloatVector.fromArray(F, b, bp + V);
            c01 = bv.fma(x0, c01);
            c11 = bv.fma(x1, c11);
            bv = FloatVector.fromArray(F, b, bp + 2 * V);
            c02 = bv.fma(x0, c02);
            c12 = bv.fma(x1, c12);
            bv = FloatVector.fromArray(F, b, bp + 3 * V);
            c03 = bv.fma(x0, c03);
            c13 = bv.fma(x1, c13);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + g1);
        c02.intoArray(c, c0 + g2);
        c03.intoArray(c, c0 + g3);
        c10.intoArray(c, c1);
        c11.intoArray(c, c1 + g1);
        c12.intoArray(c, c1 + g2);
        c13.intoArray(c, c1 + g3);
    }

    /** {@link #kernel1} for B in panels: the same chains, with constant strides. */
    private static void panelKernel1(int kc, float[] a, int a0, float[] b, int b0,
                                     float[] c, int c0, int g1, int g2, int g3) {
        FloatVector c0v = FloatVector.fromArray(F, c, c0);
        FloatVector c1v = FloatVector.fromArray(F, c, c0 + g1);
        FloatVector c2v = FloatVector.fromArray(F, c, c0 + g2);
        FloatVector c3v = FloatVector.fromArray(F, c, c0 + g3);
        for (int p = 0; p < kc; p++) {
            int bp = b0 + p * NR;
            FloatVector x = FloatVector.broadcast(F, a[a0 + p]);
            c0v = FloatVector.fromArray(F, b, bp).fma(x, c0v);
            c1v = FloatVector.fromArray(F, b, bp + V).fma(x, c1v);
            c2v = FloatVector.fromArray(F, b, bp + 2 * V).fma(x, c2v);
            c3v = FloatVector.fromArray(F, b, bp + 3 * V).fma(x, c3v);
        }
        c0v.intoArray(c, c0);
        c1v.intoArray(c, c0 + g1);
        c2v.intoArray(c, c0 + g2);
        c3v.intoArray(c, c0 + g3);
    }

    /**
     * C(1, ·) += a·Wᵀ over the longest run of whole groups of {@link #GEMV_PANELS} full panels of
     * W from {@code panelFrom} ({@link #gemvKernel4}, all k at once: one row gains nothing from
     * k-blocks); returns the first panel it did not compute, where {@link #gemm} takes over (the
     * columns are disjoint). Called before gemm rather than from inside it: with it inside,
     * ForwardAllocationTest failed in full test runs (megabytes per call, vectors boxed), as gemm
     * was compiled differently.
     */
    private static int gemvPanels(int k, float[] a, int aOff, PanelMatrix w, int panelFrom, int panelTo,
                                  float[] c, int cOff) {
        int gates = w.gates();
        int gateRows = w.gateRows();
        int q = panelFrom;
        int[] columns = null; // looked up once per call, only when a group of panels is there
        for (; q + GEMV_PANELS <= panelTo && PanelMatrix.groupCount(gates, gateRows, V, q + GEMV_PANELS - 1, 3) == V;
             q += GEMV_PANELS) {
            if (columns == null) {
                columns = GEMV_COLUMNS.get();
            }
            for (int g = 0; g < columns.length; g++) {
                columns[g] = cOff + PanelMatrix.groupStart(gates, gateRows, V, q + g / 4, g % 4);
            }
            gemvKernel4(k, a, aOff, w.data(), q * NR * k, NR * k, c, columns);
        }
        return q;
    }

    /**
     * One row of C over four consecutive full panels (b0, b0 + bPanel, ...), steps NR floats
     * apart: 16 accumulators, each the same in-order chain as {@link #panelKernel1}'s. One panel
     * at a time keeps only 4 chains in flight, so a batch-1 step waits on FMA latency; measured on
     * one core of an AMD EPYC (AVX-512, 2026-12-02), C(1, 512) += a·W(512, 256)ᵀ with W in L2 (a
     * core's half of a 256-unit LSTM's W_hh): 47 GFLOP/s one panel at a time, 87 four at a time in
     * k-blocks of 128, 103 over all k; with a 1 MiB W (more than that core's L2) 44 and 54–64. Vector
     * v of panel j goes to
     * c[columns[4j + v]].
     */
    private static void gemvKernel4(int kc, float[] a, int a0, float[] b, int b0, int bPanel,
                                    float[] c, int[] columns) {
        int b1 = b0 + bPanel;
        int b2 = b1 + bPanel;
        int b3 = b2 + bPanel;
        FloatVector c00 = FloatVector.fromArray(F, c, columns[0]);
        FloatVector c01 = FloatVector.fromArray(F, c, columns[1]);
        FloatVector c02 = FloatVector.fromArray(F, c, columns[2]);
        FloatVector c03 = FloatVector.fromArray(F, c, columns[3]);
        FloatVector c10 = FloatVector.fromArray(F, c, columns[4]);
        FloatVector c11 = FloatVector.fromArray(F, c, columns[5]);
        FloatVector c12 = FloatVector.fromArray(F, c, columns[6]);
        FloatVector c13 = FloatVector.fromArray(F, c, columns[7]);
        FloatVector c20 = FloatVector.fromArray(F, c, columns[8]);
        FloatVector c21 = FloatVector.fromArray(F, c, columns[9]);
        FloatVector c22 = FloatVector.fromArray(F, c, columns[10]);
        FloatVector c23 = FloatVector.fromArray(F, c, columns[11]);
        FloatVector c30 = FloatVector.fromArray(F, c, columns[12]);
        FloatVector c31 = FloatVector.fromArray(F, c, columns[13]);
        FloatVector c32 = FloatVector.fromArray(F, c, columns[14]);
        FloatVector c33 = FloatVector.fromArray(F, c, columns[15]);
        for (int p = 0; p < kc; p++) {
            int o = p * NR;
            FloatVector x = FloatVector.broadcast(F, a[a0 + p]);
            c00 = FloatVector.fromArray(F, b, b0 + o).fma(x, c00);
            c01 = FloatVector.fromArray(F, b, b0 + o + V).fma(x, c01);
            c02 = FloatVector.fromArray(F, b, b0 + o + 2 * V).fma(x, c02);
            c03 = FloatVector.fromArray(F, b, b0 + o + 3 * V).fma(x, c03);
            c10 = FloatVector.fromArray(F, b, b1 + o).fma(x, c10);
            c11 = FloatVector.fromArray(F, b, b1 + o + V).fma(x, c11);
            c12 = FloatVector.fromArray(F, b, b1 + o + 2 * V).fma(x, c12);
            c13 = FloatVector.fromArray(F, b, b1 + o + 3 * V).fma(x, c13);
            c20 = FloatVector.fromArray(F, b, b2 + o).fma(x, c20);
            c21 = FloatVector.fromArray(F, b, b2 + o + V).fma(x, c21);
            c22 = FloatVector.fromArray(F, b, b2 + o + 2 * V).fma(x, c22);
            c23 = FloatVector.fromArray(F, b, b2 + o + 3 * V).fma(x, c23);
            c30 = FloatVector.fromArray(F, b, b3 + o).fma(x, c30);
            c31 = FloatVector.fromArray(F, b, b3 + o + V).fma(x, c31);
            c32 = FloatVector.fromArray(F, b, b3 + o + 2 * V).fma(x, c32);
            c33 = FloatVector.fromArray(F, b, b3 + o + 3 * V).fma(x, c33);
        }
        c00.intoArray(c, columns[0]);
        c01.intoArray(c, columns[1]);
        c02.intoArray(c, columns[2]);
        c03.intoArray(c, columns[3]);
        c10.intoArray(c, columns[4]);
        c11.intoArray(c, columns[5]);
        c12.intoArray(c, columns[6]);
        c13.intoArray(c, columns[7]);
        c20.intoArray(c, columns[8]);
        c21.intoArray(c, columns[9]);
        c22.intoArray(c, columns[10]);
        c23.intoArray(c, columns[11]);
        c30.intoArray(c, columns[12]);
        c31.intoArray(c, columns[13]);
        c32.intoArray(c, columns[14]);
        c33.intoArray(c, columns[15]);
    }

    /**
     * C(1, n) (+)= a(1, k)·B(n, k)ᵀ without laying B out: each vector of V outputs gathers its B
     * column (V rows at stride ldb) step by step, so the chains are exactly those of the panel
     * kernels; the last n mod V outputs run the same chain in scalar ({@link Math#fma}).
     */
    private static void gemvGather(int n, int k, float[] a, int aOff, float[] b, int bOff, int ldb,
                                   float[] c, int cOff, boolean accumulate) {
        if (!accumulate) {
            java.util.Arrays.fill(c, cOff, cOff + n, 0f);
        }
        int[] rowOffsets = new int[V];
        for (int lane = 0; lane < V; lane++) {
            rowOffsets[lane] = lane * ldb;
        }
        int j = 0;
        for (; j + V <= n; j += V) {
            int bj = bOff + j * ldb;
            FloatVector acc = FloatVector.fromArray(F, c, cOff + j);
            for (int p = 0; p < k; p++) {
                acc = FloatVector.fromArray(F, b, bj + p, rowOffsets, 0).fma(FloatVector.broadcast(F, a[aOff + p]), acc);
            }
            acc.intoArray(c, cOff + j);
        }
        for (; j < n; j++) {
            int bj = bOff + j * ldb;
            float acc = c[cOff + j];
            for (int p = 0; p < k; p++) {
                acc = Math.fma(a[aOff + p], b[bj + p], acc);
            }
            c[cOff + j] = acc;
        }
    }
}
