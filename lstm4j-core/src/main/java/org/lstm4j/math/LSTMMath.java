package org.lstm4j.math;

import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.kernels.PackedMatrix;
import org.lstm4j.kernels.Parallel;
import org.lstm4j.kernels.PointwiseKernels;

/**
 * The LSTM equations for one direction of one layer, as explicit functions on flat arrays.
 *
 * <p>Batches are time-major and "packed": step t owns {@code batchSizes[t]} consecutive rows
 * starting at row {@code stepOffsets[t]}, and the live sequences at a step are always a prefix
 * of the batch (sequences sorted by decreasing length). A plain (L, N, H_in) batch is the special
 * case {@code batchSizes = [N, N, ..., N]}, so padded and packed input share one code path.
 *
 * <p>Shape legend: R = total rows (sum of batchSizes), N = batch, H = hidden size,
 * P = output size of a step (H, or proj_size with projections), I = layer input size.
 * Gate rows are ordered i, f, g, o as in PyTorch.
 *
 * <pre>
 *   i = σ(x·W_iiᵀ + b_ii + h·W_hiᵀ + b_hi)      c' = f ⊙ c + i ⊙ g
 *   f = σ(x·W_ifᵀ + b_if + h·W_hfᵀ + b_hf)      h' = o ⊙ tanh(c')        (then h' = h'·W_hrᵀ if P &lt; H)
 *   g = tanh(x·W_igᵀ + b_ig + h·W_hgᵀ + b_hg)
 *   o = σ(x·W_ioᵀ + b_io + h·W_hoᵀ + b_ho)
 * </pre>
 */
public final class LSTMMath {

    private LSTMMath() {
    }

    /**
     * The input projection for all timesteps at once, hoisted out of the time loop, for rows
     * [from, to): gates(R, 4H) = x(R, I) · W_ih(4H, I)ᵀ + b_ih + b_hh. Rows are independent, so
     * disjoint ranges may run on different threads at once.
     *
     * @param wIh W_ih (4H, I) packed by {@code kernels} ({@link MatrixKernels#packGates})
     * @param bIh (4H) or null when the layer has no bias
     * @param bHh (4H) or null when the layer has no bias
     */
    public static void inputProjection(MatrixKernels kernels, int from, int to, int hidden,
                                       float[] x, PackedMatrix wIh, float[] bIh, float[] bHh, float[] gates) {
        int g4 = 4 * hidden;
        int inputSize = wIh.cols();
        kernels.multTransBPacked(to - from, x, from * inputSize, inputSize, wIh, gates, from * g4, g4, false);
        if (bIh != null) {
            for (int r = from; r < to; r++) {
                int off = r * g4;
                for (int j = 0; j < g4; j++) {
                    gates[off + j] += bIh[j] + bHh[j];
                }
            }
        }
    }

    /**
     * Runs the recurrence over every step of one direction, for the sequences (batch rows)
     * [from, to). Sequences never read each other's state, so disjoint ranges may run on different
     * threads at once, and a row's numbers do not depend on the range it was run in.
     *
     * @param gates    (R, 4H) in: input projection; out: activated gates i, f, g, o per row
     * @param wHh      W_hh (4H, P) packed by {@code kernels} ({@link MatrixKernels#packGates})
     * @param wHr      W_hr (P, H) packed by {@code kernels}, or null without projections
     * @param h        (N, P) in: h_0; out: each sequence's final h (rows past a step's live
     *                 prefix are left alone, which is exactly what packed sequences need)
     * @param c        (N, H) in: c_0; out: final c
     * @param out      receives h_t of row r at {@code out[r * outStride + outOffset + 0..P)}
     * @param cAll     (R, H) receives c_t per row for the backward pass, or null
     * @param hCellAll (R, H) receives o ⊙ tanh(c_t) per row (before projection), or null;
     *                 only needed with projections
     * @param hCell    (N, H) scratch for o ⊙ tanh(c_t) before the projection W_hr; null
     *                 without projections
     */
    public static void recurrenceForward(MatrixKernels kernels, PointwiseKernels pointwise, int hidden, int projected,
                                         int[] batchSizes, int[] stepOffsets, boolean reverse, int from, int to,
                                         float[] gates, PackedMatrix wHh, PackedMatrix wHr,
                                         float[] h, float[] c,
                                         float[] out, int outOffset, int outStride,
                                         float[] cAll, float[] hCellAll, float[] hCell) {
        int steps = batchSizes.length;
        int g4 = 4 * hidden;
        for (int s = 0; s < steps; s++) {
            int t = reverse ? steps - 1 - s : s;
            int live = Math.min(batchSizes[t], to) - from;
            if (live <= 0) {
                continue;
            }
            int row0 = stepOffsets[t] + from;
            // gates(live, 4H) += h(live, P) · W_hh(4H, P)ᵀ
            kernels.multTransBPacked(live, h, from * projected, projected, wHh, gates, row0 * g4, g4, true);
            float[] hTarget = wHr == null ? h : hCell;
            for (int b = from; b < from + live; b++) {
                int row = row0 + b - from;
                pointwise.cellForward(hidden, 0, hidden, gates, row * g4, c, b * hidden, hTarget, b * hidden);
                if (cAll != null) {
                    System.arraycopy(c, b * hidden, cAll, row * hidden, hidden);
                }
                if (hCellAll != null) {
                    System.arraycopy(hTarget, b * hidden, hCellAll, row * hidden, hidden);
                }
            }
            if (wHr != null) {
                // h(live, P) = hCell(live, H) · W_hr(P, H)ᵀ
                kernels.multTransBPacked(live, hCell, from * hidden, hidden, wHr, h, from * projected, projected, false);
            }
            for (int b = from; b < from + live; b++) {
                System.arraycopy(h, b * projected, out, (row0 + b - from) * outStride + outOffset, projected);
            }
        }
    }

    /**
     * {@link #recurrenceForward} for every sequence but only the hidden units of W_hh's
     * gate-interleaved panels [fromPanel, toPanel), i.e. units [fromPanel·lanes,
     * min(H, toPanel·lanes)), for a layer without projections (P = H). Parts that together cover
     * every panel run at once, one per thread, and meet at {@code barrier} once per step. h
     * alternates between {@code h} and {@code hSpare}: a step reads all of one and each part
     * writes its units of the other, so after the barrier every part sees the whole h_t. Each unit
     * gets exactly the bits the unsplit recurrence gives it (the product and the cell math are per
     * column and per lane, and split points are whole vectors).
     *
     * @param h      (N, H) in: h_0; out: final h, as in {@link #recurrenceForward}
     * @param hSpare (N, H) scratch, shared by the parts
     */
    public static void recurrenceForwardUnits(MatrixKernels kernels, PointwiseKernels pointwise, int hidden,
                                              int[] batchSizes, int[] stepOffsets, boolean reverse,
                                              int fromPanel, int toPanel, Parallel.Barrier barrier,
                                              float[] gates, PackedMatrix wHh, float[] h, float[] hSpare, float[] c,
                                              float[] out, int outOffset, int outStride, float[] cAll) {
        int steps = batchSizes.length;
        int batch = batchSizes[0];
        int g4 = 4 * hidden;
        int from = fromPanel * wHh.lanes();
        int to = Math.min(hidden, toPanel * wHh.lanes());
        float[] hIn = h;
        float[] hOut = hSpare;
        for (int s = 0; s < steps; s++) {
            int t = reverse ? steps - 1 - s : s;
            int live = batchSizes[t];
            int row0 = stepOffsets[t];
            // gates(live, units of 4H) += h(live, H) · W_hh(units of 4H, H)ᵀ
            kernels.multAddTransBPackedPanels(live, hIn, 0, hidden, wHh, fromPanel, toPanel, gates, row0 * g4, g4);
            for (int b = 0; b < live; b++) {
                int row = row0 + b;
                pointwise.cellForward(hidden, from, to, gates, row * g4, c, b * hidden, hOut, b * hidden);
                if (cAll != null) {
                    System.arraycopy(c, b * hidden + from, cAll, row * hidden + from, to - from);
                }
                System.arraycopy(hOut, b * hidden + from, out, row * outStride + outOffset + from, to - from);
            }
            for (int b = live; b < batch; b++) { // sequences not live at this step keep their h
                System.arraycopy(hIn, b * hidden + from, hOut, b * hidden + from, to - from);
            }
            barrier.await();
            float[] swap = hIn;
            hIn = hOut;
            hOut = swap;
        }
        if (hIn != h) {
            for (int b = 0; b < batch; b++) {
                System.arraycopy(hIn, b * hidden + from, h, b * hidden + from, to - from);
            }
        }
    }

    /**
     * Backward of {@link #inputProjection}, run once after the recurrent loop as products over all
     * rows: dW_ih(4H, I) += dGates(R, 4H)ᵀ · x(R, I); db_ih and db_hh (4H) += column sums of
     * dGates; dx(R, I) (+)= dGates · W_ih.
     *
     * @param dGates (R, 4H) gradient of the pre-activation gates, from {@link #recurrenceBackward}
     * @param dBIh   (4H) or null when the layer has no bias
     * @param dBHh   (4H) or null when the layer has no bias
     * @param dx     (R, I), or null when the input needs no gradient
     * @param accumulateDx add to dx (a second direction reading the same input) instead of overwriting it
     */
    public static void inputProjectionBackward(MatrixKernels kernels, int rows, int inputSize, int hidden,
                                               float[] dGates, float[] x, float[] wIh,
                                               float[] dWIh, float[] dBIh, float[] dBHh,
                                               float[] dx, boolean accumulateDx) {
        int g4 = 4 * hidden;
        kernels.multTransA(g4, inputSize, rows, dGates, 0, g4, x, 0, inputSize, dWIh, 0, inputSize, true);
        if (dBIh != null) {
            for (int r = 0; r < rows; r++) {
                int off = r * g4;
                for (int j = 0; j < g4; j++) {
                    float d = dGates[off + j];
                    dBIh[j] += d;
                    dBHh[j] += d;
                }
            }
        }
        if (dx != null) {
            kernels.mult(rows, inputSize, g4, dGates, 0, g4, wIh, 0, inputSize, dx, 0, inputSize, accumulateDx);
        }
    }

    /**
     * Backward of {@link #recurrenceForward} for one direction: walks the steps in the opposite
     * order, carrying dh and dc. Per step only dh·W_hh (and, with projections, dh·W_hr) is a
     * product; dW_hh and dW_hr are single products over all rows after the loop.
     *
     * <p>Packed batches need no special case: a sequence that is not live at a step keeps its dh and
     * dc untouched, exactly as the forward pass kept its h and c, so dh_n enters at each sequence's
     * own last step and dh_0 leaves at its first.
     *
     * @param gates     (R, 4H) activated gates i, f, g, o, as {@link #recurrenceForward} left them
     * @param cAll      (R, H) c_t per row
     * @param hCellAll  (R, H) o ⊙ tanh(c_t) per row, with projections; null without
     * @param hOut      h_t of row r at {@code hOut[r * hOutStride + hOutOffset + 0..P)} (the forward
     *                  output before any dropout)
     * @param h0        (N, P) initial h
     * @param c0        (N, H) initial c
     * @param dOut      dL/dh_t of row r at {@code dOut[r * dOutStride + dOutOffset + 0..P)}, or null
     * @param dh        (N, P) in: dL/dh_n; out: dL/dh_0
     * @param dc        (N, H) in: dL/dc_n; out: dL/dc_0
     * @param dGates    (R, 4H) out: dL/d(pre-activation gates), overwritten
     * @param dWHh      (4H, P) accumulated
     * @param dWHr      (P, H) accumulated, with projections; null without
     */
    public static void recurrenceBackward(MatrixKernels kernels, PointwiseKernels pointwise, int hidden, int projected,
                                          int[] batchSizes, int[] stepOffsets, boolean reverse,
                                          float[] gates, float[] cAll, float[] hCellAll,
                                          float[] hOut, int hOutOffset, int hOutStride,
                                          float[] h0, float[] c0, float[] wHh, float[] wHr,
                                          float[] dOut, int dOutOffset, int dOutStride,
                                          float[] dh, float[] dc, float[] dGates,
                                          float[] dWHh, float[] dWHr) {
        int steps = batchSizes.length;
        int g4 = 4 * hidden;
        int rows = stepOffsets[steps - 1] + batchSizes[steps - 1];
        int maxLive = maxOf(batchSizes);
        float[] dhStep = new float[maxLive * projected]; // (N, P) dL/dh_t: recurrent part + output part
        float[] dhCell = wHr == null ? dhStep : new float[maxLive * hidden]; // (N, H) dL/d(o ⊙ tanh(c_t))
        float[] dhRows = wHr == null ? null : new float[rows * projected]; // (R, P) dL/dh_t per row, for dW_hr
        float[] tanhC = new float[maxLive * hidden]; // (N, H) tanh(c_t), by the forward's own tanh kernel
        for (int s = 0; s < steps; s++) {
            int t = reverse ? s : steps - 1 - s;
            int live = batchSizes[t];
            int row0 = stepOffsets[t];
            System.arraycopy(dh, 0, dhStep, 0, live * projected);
            if (dOut != null) {
                for (int b = 0; b < live; b++) {
                    int src = (row0 + b) * dOutStride + dOutOffset;
                    for (int j = 0; j < projected; j++) {
                        dhStep[b * projected + j] += dOut[src + j];
                    }
                }
            }
            if (wHr != null) {
                System.arraycopy(dhStep, 0, dhRows, row0 * projected, live * projected);
                // dhCell(live, H) = dhStep(live, P) · W_hr(P, H)
                kernels.mult(live, hidden, projected, dhStep, 0, projected, wHr, 0, hidden, dhCell, 0, hidden, false);
            }
            pointwise.tanh(cAll, row0 * hidden, tanhC, 0, live * hidden);
            for (int b = 0; b < live; b++) {
                int row = row0 + b;
                int prev = previousRow(t, b, reverse, batchSizes, stepOffsets);
                float[] cPrev = prev < 0 ? c0 : cAll;
                int cPrevOff = prev < 0 ? b * hidden : prev * hidden;
                cellBackward(hidden, gates, row * g4, tanhC, b * hidden, cPrev, cPrevOff,
                        dhCell, b * hidden, dc, b * hidden, dGates, row * g4);
            }
            // dh(live, P) = dGates(live, 4H) · W_hh(4H, P): the gradient reaching h_{t-1}
            kernels.mult(live, projected, g4, dGates, row0 * g4, g4, wHh, 0, projected, dh, 0, projected, false);
        }
        float[] hPrev = new float[rows * projected]; // (R, P) the h each row's step started from
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < batchSizes[t]; b++) {
                int row = stepOffsets[t] + b;
                int prev = previousRow(t, b, reverse, batchSizes, stepOffsets);
                if (prev < 0) {
                    System.arraycopy(h0, b * projected, hPrev, row * projected, projected);
                } else {
                    System.arraycopy(hOut, prev * hOutStride + hOutOffset, hPrev, row * projected, projected);
                }
            }
        }
        // dW_hh(4H, P) += dGates(R, 4H)ᵀ · hPrev(R, P)
        kernels.multTransA(g4, projected, rows, dGates, 0, g4, hPrev, 0, projected, dWHh, 0, projected, true);
        if (wHr != null) {
            // dW_hr(P, H) += dhRows(R, P)ᵀ · hCellAll(R, H)
            kernels.multTransA(projected, hidden, rows, dhRows, 0, projected, hCellAll, 0, hidden, dWHr, 0, hidden, true);
        }
    }

    /**
     * Backward of {@link PointwiseKernels#cellForward} for one row. tanh(c_t) comes from the same
     * tanh kernel the forward pass used, so both see the same h_t.
     *
     * @param gates activated gates i, f, g, o (4H) at gOff
     * @param tanhC tanh(c_t) (H) at tOff
     * @param cPrev c_{t-1} (H) at cPrevOff
     * @param dh    dL/d(o ⊙ tanh(c_t)) (H) at dhOff
     * @param dc    in: dL/dc_t from the future (H) at dcOff; out: dL/dc_{t-1}
     * @param dGates receives dL/d(pre-activation gates) (4H) at dgOff
     */
    public static void cellBackward(int hidden, float[] gates, int gOff, float[] tanhC, int tOff,
                                    float[] cPrev, int cPrevOff, float[] dh, int dhOff,
                                    float[] dc, int dcOff, float[] dGates, int dgOff) {
        for (int j = 0; j < hidden; j++) {
            float i = gates[gOff + j];
            float f = gates[gOff + hidden + j];
            float g = gates[gOff + 2 * hidden + j];
            float o = gates[gOff + 3 * hidden + j];
            float tc = tanhC[tOff + j];
            float dhj = dh[dhOff + j];
            float dcT = dc[dcOff + j] + dhj * o * (1f - tc * tc);
            dGates[dgOff + j] = dcT * g * i * (1f - i);
            dGates[dgOff + hidden + j] = dcT * cPrev[cPrevOff + j] * f * (1f - f);
            dGates[dgOff + 2 * hidden + j] = dcT * i * (1f - g * g);
            dGates[dgOff + 3 * hidden + j] = dhj * tc * o * (1f - o);
            dc[dcOff + j] = dcT * f;
        }
    }

    /**
     * The row whose state row (t, b) started from: the same sequence one step earlier in the
     * direction's processing order, or -1 when (t, b) is that sequence's first step (state h_0).
     * The reverse direction starts each sequence at its own last element, so a row whose sequence
     * is not live at t + 1 starts from h_0.
     */
    public static int previousRow(int t, int b, boolean reverse, int[] batchSizes, int[] stepOffsets) {
        if (!reverse) {
            return t > 0 ? stepOffsets[t - 1] + b : -1;
        }
        return t + 1 < batchSizes.length && b < batchSizes[t + 1] ? stepOffsets[t + 1] + b : -1;
    }

    /** Row offset of each step: stepOffsets[t] = batchSizes[0] + ... + batchSizes[t-1]. */
    public static int[] stepOffsets(int[] batchSizes) {
        int[] offsets = new int[batchSizes.length];
        int sum = 0;
        for (int t = 0; t < batchSizes.length; t++) {
            offsets[t] = sum;
            sum += batchSizes[t];
        }
        return offsets;
    }

    private static int maxOf(int[] values) {
        int max = 0;
        for (int v : values) {
            max = Math.max(max, v);
        }
        return max;
    }
}
