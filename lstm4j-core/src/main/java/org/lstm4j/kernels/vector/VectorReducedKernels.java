package org.lstm4j.kernels.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.lstm4j.kernels.PanelMatrix;
import org.lstm4j.tensor.Precision;

/**
 * {@link VectorMatrixKernels}' products with a {@link PanelMatrix} whose weights are stored in
 * bf16 or int8 ({@link Precision}): the same panels, rows of A and micro-kernel shapes (4 rows ×
 * 4 vectors, or 1 row × 4 vectors; one row of A against int8 panels runs two panels at a time),
 * with the weights widened to floats in registers as they are loaded. A batch-1 step reads each weight once, so halving or quartering the bytes read is the
 * point; the arithmetic stays float32.
 *
 * <p>Step p of panel q holds, for lane j of each of the four groups ({@link PanelMatrix#codes}):
 * <ul>
 *   <li>bf16: two ints per lane pair, {@code codes[b + j]} = groups 0 (low half) and 1 (high
 *       half), {@code codes[b + V + j]} = groups 2 and 3. A bf16 is the high half of its float,
 *       so {@code bits << 16} and {@code bits & 0xFFFF0000} are the two floats: one load, two
 *       ALU operations for two vectors.</li>
 *   <li>int8: one int per lane, byte g = group g. Shifted so that byte g is the top byte and the
 *       rest masked off, an int is q·2^24 exactly; converted to float it is q·2^24 exactly.</li>
 * </ul>
 *
 * <p><b>No method here takes or returns a vector</b>; every widening is written out in its kernel.
 * A small helper such as {@code bf16Low(IntVector)} is hot before the kernel that calls it, so C2
 * may compile it on its own first; its compiled code (with the boxing a standalone vector method
 * needs) is then too big to inline ("already compiled into a big method") and every call boxes
 * its vectors for the rest of the run: seen in some JVM runs as 30 KB to 125 MB allocated per
 * call of an int8 or bf16 LSTM (2026-12-02, {@code -XX:+PrintCompilation}: the helpers compiled at
 * tier 4 before the kernel). Shift counts and masks are vectors each kernel makes once: a scalar
 * operand expands to a broadcast per use as C2 parses, which brings a kernel closer to C2's
 * NodeCountInliningCutoff, past which its vectors are boxed too.
 *
 * <p><b>Same bits whatever the batching</b>, as the float32 kernels: every element of C is one
 * chain in order of p. bf16: c = fma(a_p, w_p, c) from C's previous value, exactly as float32 with
 * w_p the bf16 value. int8: s = fma(a_p, q_p·2^24, s) from 0 over the whole depth (no k-blocks),
 * then c = fma(scale·2^-24, s, c) — the row scale applied once per chain, as PyTorch's dynamic
 * quantization applies it to the int32 accumulator; scaling by powers of two is exact, so this is
 * scale·Σ a_p·q_p with one rounding per step. Neither depends on how many rows run together, on
 * the vector width, or on a panel range split across threads.
 */
final class VectorReducedKernels {

    private static final VectorSpecies<Float> F = FloatSpecies.CHOSEN;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int V = F.length();
    private static final int NR = 4 * V;
    private static final int MR = 4;
    /** Row block: MC rows of A stay in L2 while every panel passes over them. */
    private static final int MC = 64;
    /** Panels per call of the one-row int8 kernel {@link #int8Gemv2}. */
    private static final int GEMV_PANELS = 2;
    private static final int BF16_HIGH = 0xFFFF_0000;
    private static final int TOP_BYTE = 0xFF00_0000;
    /** 2^-24: undoes the int8 codes' 2^24 (see the class documentation). */
    private static final float INT8_UNSCALE = 0x1p-24f;

    private VectorReducedKernels() {
    }

    /**
     * C (+)= A · Wᵀ over panels [panelFrom, panelTo) of a bf16 or int8 W; A(i, p) at
     * a[aOff + i·lda + p]. Without {@code accumulate} the columns of every row of W are zeroed first
     * (callers pass the whole panel range then).
     */
    static void gemm(int m, float[] a, int aOff, int lda, PanelMatrix w, int panelFrom, int panelTo,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        int k = w.cols();
        int gates = w.gates();
        int gateRows = w.gateRows();
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                int row = cOff + i * ldc;
                java.util.Arrays.fill(c, row, row + gates * gateRows, 0f);
            }
        }
        boolean int8 = w.precision() == Precision.INT8;
        int[] codes = w.codes();
        float[] scales = w.scales();
        int codesPerStep = int8 ? V : 2 * V;
        float[] tile = null; // (MR, NR): panels with fewer live columns than NR, int8 row sums
        for (int ic = 0; ic < m; ic += MC) {
            int iEnd = Math.min(m, ic + MC);
            for (int q = panelFrom; q < panelTo; q++) {
                int bq = q * codesPerStep * k;
                int sq = q * NR;
                int col0 = PanelMatrix.groupStart(gates, gateRows, V, q, 0);
                int g1 = PanelMatrix.groupStart(gates, gateRows, V, q, 1) - col0;
                int g2 = PanelMatrix.groupStart(gates, gateRows, V, q, 2) - col0;
                int g3 = PanelMatrix.groupStart(gates, gateRows, V, q, 3) - col0;
                boolean full = PanelMatrix.groupCount(gates, gateRows, V, q, 3) == V;
                if (!full && tile == null) {
                    tile = VectorMatrixKernels.tile();
                }
                for (int i = ic; i < iEnd; i += MR) {
                    int rows = Math.min(MR, iEnd - i);
                    int a0 = aOff + i * lda;
                    if (full) {
                        int c0 = cOff + i * ldc + col0;
                        if (rows == MR) {
                            if (int8) {
                                if (tile == null) {
                                    tile = VectorMatrixKernels.tile();
                                }
                                int8Kernel4(k, a, a0, lda, codes, bq, tile);
                                addScaledSums(tile, 0, MR, scales, sq, c, c0, ldc, g1, g2, g3);
                            } else {
                                bf16Kernel4(k, a, a0, lda, codes, bq, c, c0, ldc, g1, g2, g3);
                            }
                        } else {
                            for (int r = 0; r < rows; r++) {
                                kernel1(int8, k, a, a0 + r * lda, codes, bq, scales, sq, c, c0 + r * ldc, g1, g2, g3);
                            }
                        }
                    } else {
                        int cRow = cOff + i * ldc;
                        VectorMatrixKernels.copyTile(true, tile, rows, c, cRow, ldc, gates, gateRows, q);
                        for (int r = 0; r < rows; r++) {
                            kernel1(int8, k, a, a0 + r * lda, codes, bq, scales, sq, tile, r * NR, V, 2 * V, 3 * V);
                        }
                        VectorMatrixKernels.copyTile(false, tile, rows, c, cRow, ldc, gates, gateRows, q);
                    }
                }
            }
        }
    }

    /**
     * C(1, ·) += a·Wᵀ over the longest run of whole pairs of full panels of an int8 W from
     * {@code panelFrom} ({@link #int8Gemv2}); returns the first panel it did not compute, where
     * {@link #gemm} takes over (the columns are disjoint), and returns {@code panelFrom} for bf16.
     * As the float32 one-row product ({@code VectorMatrixKernels.gemvPanels}), called before gemm
     * rather than from it. Measured on one core of an AMD EPYC (AVX-512, 2026-12-02), C(1, 512) +=
     * a·W(512, 256)ᵀ, both kernels in one JVM in alternating blocks, two panels at a time / one:
     * int8 1.12–1.14 (94–105 GFLOP/s) on JDK 17, 1.73 on JDK 25 (82 against 47), 1.18 with H = 512;
     * bf16 0.88–1.00, so bf16 keeps {@link #bf16Kernel1}.
     */
    static int gemvPanels(int k, float[] a, int aOff, PanelMatrix w, int panelFrom, int panelTo, float[] c, int cOff) {
        if (w.precision() != Precision.INT8) {
            return panelFrom;
        }
        int gates = w.gates();
        int gateRows = w.gateRows();
        int panelCodes = V * k;
        int q = panelFrom;
        int[] columns = null; // looked up once per call, only when a pair of panels is there
        float[] sums = null;
        for (; q + GEMV_PANELS <= panelTo && PanelMatrix.groupCount(gates, gateRows, V, q + GEMV_PANELS - 1, 3) == V;
             q += GEMV_PANELS) {
            if (columns == null) {
                columns = VectorMatrixKernels.gemvColumns();
                sums = VectorMatrixKernels.tile();
            }
            for (int g = 0; g < 4 * GEMV_PANELS; g++) {
                columns[g] = cOff + PanelMatrix.groupStart(gates, gateRows, V, q + g / 4, g % 4);
            }
            int8Gemv2(k, a, aOff, w.codes(), q * panelCodes, panelCodes, sums);
            for (int j = 0; j < GEMV_PANELS; j++) {
                int c0 = columns[4 * j];
                addScaledSums(sums, j * NR, 1, w.scales(), (q + j) * NR, c, c0, 0,
                        columns[4 * j + 1] - c0, columns[4 * j + 2] - c0, columns[4 * j + 3] - c0);
            }
        }
        return q;
    }

    /**
     * One row over two consecutive full int8 panels (b0, b0 + bPanel): 8 row sums from 0 in flight
     * instead of {@link #int8Kernel1}'s 4, each the same chain as there, into sums (2, NR) for
     * {@link #addScaledSums}. Four panels at a time (16 chains with their widening) took a kernel
     * past C2's NodeCountInliningCutoff.
     */
    private static void int8Gemv2(int k, float[] a, int a0, int[] codes, int b0, int bPanel, float[] sums) {
        int b1 = b0 + bPanel;
        FloatVector s00 = FloatVector.zero(F);
        FloatVector s01 = s00;
        FloatVector s02 = s00;
        FloatVector s03 = s00;
        FloatVector s10 = s00;
        FloatVector s11 = s00;
        FloatVector s12 = s00;
        FloatVector s13 = s00;
        IntVector by8 = IntVector.broadcast(I, 8);
        IntVector by16 = IntVector.broadcast(I, 16);
        IntVector by24 = IntVector.broadcast(I, 24);
        IntVector top = IntVector.broadcast(I, TOP_BYTE);
        for (int p = 0; p < k; p++) {
            FloatVector x = FloatVector.broadcast(F, a[a0 + p]);
            IntVector q = IntVector.fromArray(I, codes, b0 + p * V);
            s00 = ((FloatVector) q.lanewise(VectorOperators.LSHL, by24).convert(VectorOperators.I2F, 0)).fma(x, s00);
            s01 = ((FloatVector) q.lanewise(VectorOperators.LSHL, by16).and(top).convert(VectorOperators.I2F, 0))
                    .fma(x, s01);
            s02 = ((FloatVector) q.lanewise(VectorOperators.LSHL, by8).and(top).convert(VectorOperators.I2F, 0))
                    .fma(x, s02);
            s03 = ((FloatVector) q.and(top).convert(VectorOperators.I2F, 0)).fma(x, s03);
            q = IntVector.fromArray(I, codes, b1 + p * V);
            s10 = ((FloatVector) q.lanewise(VectorOperators.LSHL, by24).convert(VectorOperators.I2F, 0)).fma(x, s10);
            s11 = ((FloatVector) q.lanewise(VectorOperators.LSHL, by16).and(top).convert(VectorOperators.I2F, 0))
                    .fma(x, s11);
            s12 = ((FloatVector) q.lanewise(VectorOperators.LSHL, by8).and(top).convert(VectorOperators.I2F, 0))
                    .fma(x, s12);
            s13 = ((FloatVector) q.and(top).convert(VectorOperators.I2F, 0)).fma(x, s13);
        }
        s00.intoArray(sums, 0);
        s01.intoArray(sums, V);
        s02.intoArray(sums, 2 * V);
        s03.intoArray(sums, 3 * V);
        s10.intoArray(sums, NR);
        s11.intoArray(sums, NR + V);
        s12.intoArray(sums, NR + 2 * V);
        s13.intoArray(sums, NR + 3 * V);
    }

    private static void kernel1(boolean int8, int k, float[] a, int a0, int[] codes, int b0, float[] scales, int s0,
                                float[] c, int c0, int g1, int g2, int g3) {
        if (int8) {
            int8Kernel1(k, a, a0, codes, b0, scales, s0, c, c0, g1, g2, g3);
        } else {
            bf16Kernel1(k, a, a0, codes, b0, c, c0, g1, g2, g3);
        }
    }

    /** One row of C, four vectors, bf16 weights: c = fma(a_p, w_p, c) from C's value. */
    private static void bf16Kernel1(int k, float[] a, int a0, int[] codes, int b0,
                                    float[] c, int c0, int g1, int g2, int g3) {
        FloatVector c0v = FloatVector.fromArray(F, c, c0);
        FloatVector c1v = FloatVector.fromArray(F, c, c0 + g1);
        FloatVector c2v = FloatVector.fromArray(F, c, c0 + g2);
        FloatVector c3v = FloatVector.fromArray(F, c, c0 + g3);
        IntVector by16 = IntVector.broadcast(I, 16);
        IntVector highHalf = IntVector.broadcast(I, BF16_HIGH);
        for (int p = 0; p < k; p++) {
            int bp = b0 + p * 2 * V;
            FloatVector x = FloatVector.broadcast(F, a[a0 + p]);
            IntVector low = IntVector.fromArray(I, codes, bp);
            IntVector high = IntVector.fromArray(I, codes, bp + V);
            c0v = low.lanewise(VectorOperators.LSHL, by16).reinterpretAsFloats().fma(x, c0v);
            c1v = low.and(highHalf).reinterpretAsFloats().fma(x, c1v);
            c2v = high.lanewise(VectorOperators.LSHL, by16).reinterpretAsFloats().fma(x, c2v);
            c3v = high.and(highHalf).reinterpretAsFloats().fma(x, c3v);
        }
        c0v.intoArray(c, c0);
        c1v.intoArray(c, c0 + g1);
        c2v.intoArray(c, c0 + g2);
        c3v.intoArray(c, c0 + g3);
    }

    /** Four rows of C, four vectors, bf16 weights: each pair of loads widened once, used by four rows. */
    private static void bf16Kernel4(int k, float[] a, int a0, int lda, int[] codes, int b0,
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
        int r1 = a0 + lda;
        int r2 = r1 + lda;
        int r3 = r2 + lda;
        IntVector by16 = IntVector.broadcast(I, 16);
        IntVector highHalf = IntVector.broadcast(I, BF16_HIGH);
        for (int p = 0; p < k; p++) {
            int bp = b0 + p * 2 * V;
            IntVector low = IntVector.fromArray(I, codes, bp);
            IntVector high = IntVector.fromArray(I, codes, bp + V);
            FloatVector b0v = low.lanewise(VectorOperators.LSHL, by16).reinterpretAsFloats();
            FloatVector b1v = low.and(highHalf).reinterpretAsFloats();
            FloatVector b2v = high.lanewise(VectorOperators.LSHL, by16).reinterpretAsFloats();
            FloatVector b3v = high.and(highHalf).reinterpretAsFloats();
            FloatVector x = FloatVector.broadcast(F, a[a0 + p]);
            c00 = b0v.fma(x, c00);
            c01 = b1v.fma(x, c01);
            c02 = b2v.fma(x, c02);
            c03 = b3v.fma(x, c03);
            x = FloatVector.broadcast(F, a[r1 + p]);
            c10 = b0v.fma(x, c10);
            c11 = b1v.fma(x, c11);
            c12 = b2v.fma(x, c12);
            c13 = b3v.fma(x, c13);
            x = FloatVector.broadcast(F, a[r2 + p]);
            c20 = b0v.fma(x, c20);
            c21 = b1v.fma(x, c21);
            c22 = b2v.fma(x, c22);
            c23 = b3v.fma(x, c23);
            x = FloatVector.broadcast(F, a[r3 + p]);
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

    /** One row of C, four vectors, int8 weights: the row sums from 0, then c += scale·sum. */
    private static void int8Kernel1(int k, float[] a, int a0, int[] codes, int b0, float[] scales, int s0,
                                    float[] c, int c0, int g1, int g2, int g3) {
        FloatVector s0v = FloatVector.zero(F);
        FloatVector s1v = FloatVector.zero(F);
        FloatVector s2v = FloatVector.zero(F);
        FloatVector s3v = FloatVector.zero(F);
        IntVector by8 = IntVector.broadcast(I, 8);
        IntVector by16 = IntVector.broadcast(I, 16);
        IntVector by24 = IntVector.broadcast(I, 24);
        IntVector top = IntVector.broadcast(I, TOP_BYTE);
        for (int p = 0; p < k; p++) {
            IntVector q = IntVector.fromArray(I, codes, b0 + p * V);
            FloatVector x = FloatVector.broadcast(F, a[a0 + p]);
            FloatVector b0v = (FloatVector) q.lanewise(VectorOperators.LSHL, by24).convert(VectorOperators.I2F, 0);
            FloatVector b1v = (FloatVector) q.lanewise(VectorOperators.LSHL, by16).and(top)
                    .convert(VectorOperators.I2F, 0);
            FloatVector b2v = (FloatVector) q.lanewise(VectorOperators.LSHL, by8).and(top)
                    .convert(VectorOperators.I2F, 0);
            FloatVector b3v = (FloatVector) q.and(top).convert(VectorOperators.I2F, 0);
            s0v = b0v.fma(x, s0v);
            s1v = b1v.fma(x, s1v);
            s2v = b2v.fma(x, s2v);
            s3v = b3v.fma(x, s3v);
        }
        FloatVector.fromArray(F, scales, s0).mul(INT8_UNSCALE)
                .fma(s0v, FloatVector.fromArray(F, c, c0)).intoArray(c, c0);
        FloatVector.fromArray(F, scales, s0 + V).mul(INT8_UNSCALE)
                .fma(s1v, FloatVector.fromArray(F, c, c0 + g1)).intoArray(c, c0 + g1);
        FloatVector.fromArray(F, scales, s0 + 2 * V).mul(INT8_UNSCALE)
                .fma(s2v, FloatVector.fromArray(F, c, c0 + g2)).intoArray(c, c0 + g2);
        FloatVector.fromArray(F, scales, s0 + 3 * V).mul(INT8_UNSCALE)
                .fma(s3v, FloatVector.fromArray(F, c, c0 + g3)).intoArray(c, c0 + g3);
    }

    /**
     * Four rows, four vectors, int8 weights: each load widened once, used by four rows; the row sums
     * (from 0) go to sums (MR, NR), which {@link #addScaledSums} then adds to C. Adding them here
     * instead took the method past C2's NodeCountInliningCutoff and the sums were boxed (80 KB per
     * call of a batch-1 LSTM with H = 256, ForwardAllocationTest).
     */
    private static void int8Kernel4(int k, float[] a, int a0, int lda, int[] codes, int b0, float[] sums) {
        FloatVector s00 = FloatVector.zero(F);
        FloatVector s01 = s00;
        FloatVector s02 = s00;
        FloatVector s03 = s00;
        FloatVector s10 = s00;
        FloatVector s11 = s00;
        FloatVector s12 = s00;
        FloatVector s13 = s00;
        FloatVector s20 = s00;
        FloatVector s21 = s00;
        FloatVector s22 = s00;
        FloatVector s23 = s00;
        FloatVector s30 = s00;
        FloatVector s31 = s00;
        FloatVector s32 = s00;
        FloatVector s33 = s00;
        int r1 = a0 + lda;
        int r2 = r1 + lda;
        int r3 = r2 + lda;
        IntVector by8 = IntVector.broadcast(I, 8);
        IntVector by16 = IntVector.broadcast(I, 16);
        IntVector by24 = IntVector.broadcast(I, 24);
        IntVector top = IntVector.broadcast(I, TOP_BYTE);
        for (int p = 0; p < k; p++) {
            IntVector q = IntVector.fromArray(I, codes, b0 + p * V);
            FloatVector b0v = (FloatVector) q.lanewise(VectorOperators.LSHL, by24).convert(VectorOperators.I2F, 0);
            FloatVector b1v = (FloatVector) q.lanewise(VectorOperators.LSHL, by16).and(top)
                    .convert(VectorOperators.I2F, 0);
            FloatVector b2v = (FloatVector) q.lanewise(VectorOperators.LSHL, by8).and(top)
                    .convert(VectorOperators.I2F, 0);
            FloatVector b3v = (FloatVector) q.and(top).convert(VectorOperators.I2F, 0);
            FloatVector x = FloatVector.broadcast(F, a[a0 + p]);
            s00 = b0v.fma(x, s00);
            s01 = b1v.fma(x, s01);
            s02 = b2v.fma(x, s02);
            s03 = b3v.fma(x, s03);
            x = FloatVector.broadcast(F, a[r1 + p]);
            s10 = b0v.fma(x, s10);
            s11 = b1v.fma(x, s11);
            s12 = b2v.fma(x, s12);
            s13 = b3v.fma(x, s13);
            x = FloatVector.broadcast(F, a[r2 + p]);
            s20 = b0v.fma(x, s20);
            s21 = b1v.fma(x, s21);
            s22 = b2v.fma(x, s22);
            s23 = b3v.fma(x, s23);
            x = FloatVector.broadcast(F, a[r3 + p]);
            s30 = b0v.fma(x, s30);
            s31 = b1v.fma(x, s31);
            s32 = b2v.fma(x, s32);
            s33 = b3v.fma(x, s33);
        }
        s00.intoArray(sums, 0);
        s01.intoArray(sums, V);
        s02.intoArray(sums, 2 * V);
        s03.intoArray(sums, 3 * V);
        s10.intoArray(sums, NR);
        s11.intoArray(sums, NR + V);
        s12.intoArray(sums, NR + 2 * V);
        s13.intoArray(sums, NR + 3 * V);
        s20.intoArray(sums, 2 * NR);
        s21.intoArray(sums, 2 * NR + V);
        s22.intoArray(sums, 2 * NR + 2 * V);
        s23.intoArray(sums, 2 * NR + 3 * V);
        s30.intoArray(sums, 3 * NR);
        s31.intoArray(sums, 3 * NR + V);
        s32.intoArray(sums, 3 * NR + 2 * V);
        s33.intoArray(sums, 3 * NR + 3 * V);
    }

    /**
     * C's {@code rows} rows from c0 (a row's vector g at g_g, g_0 = 0) = fma(scale·2^-24, sums, C),
     * sums (rows, NR) from sums0: from {@link #int8Kernel4} or one panel's of {@link #int8Gemv2}.
     */
    private static void addScaledSums(float[] sums, int sums0, int rows, float[] scales, int s0, float[] c, int c0,
                                      int ldc, int g1, int g2, int g3) {
        FloatVector scale0 = FloatVector.fromArray(F, scales, s0).mul(INT8_UNSCALE);
        FloatVector scale1 = FloatVector.fromArray(F, scales, s0 + V).mul(INT8_UNSCALE);
        FloatVector scale2 = FloatVector.fromArray(F, scales, s0 + 2 * V).mul(INT8_UNSCALE);
        FloatVector scale3 = FloatVector.fromArray(F, scales, s0 + 3 * V).mul(INT8_UNSCALE);
        for (int r = 0; r < rows; r++) {
            int row = c0 + r * ldc;
            int sum = sums0 + r * NR;
            scale0.fma(FloatVector.fromArray(F, sums, sum), FloatVector.fromArray(F, c, row)).intoArray(c, row);
            scale1.fma(FloatVector.fromArray(F, sums, sum + V), FloatVector.fromArray(F, c, row + g1))
                    .intoArray(c, row + g1);
            scale2.fma(FloatVector.fromArray(F, sums, sum + 2 * V), FloatVector.fromArray(F, c, row + g2))
                    .intoArray(c, row + g2);
            scale3.fma(FloatVector.fromArray(F, sums, sum + 3 * V), FloatVector.fromArray(F, c, row + g3))
                    .intoArray(c, row + g3);
        }
    }
}
