package org.lstm4j.math;

import java.util.Arrays;
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
     * [from, to): gates(R, 4H) = (b_ih + b_hh) + x(R, I) · W_ih(4H, I)ᵀ, each element one chain
     * starting from the bias (no separate pass over the gates for it). Rows are independent, so
     * disjoint ranges may run on different threads at once.
     *
     * @param wIh  W_ih (4H, I) packed by {@code kernels} ({@link MatrixKernels#packGates})
     * @param bias (4H) b_ih + b_hh ({@link #gateBias}), or null when the layer has no bias
     */
    public static void inputProjection(MatrixKernels kernels, int from, int to, int hidden,
                                       float[] x, PackedMatrix wIh, float[] bias, float[] gates) {
        int g4 = 4 * hidden;
        int inputSize = wIh.cols();
        if (bias != null) {
            for (int r = from; r < to; r++) {
                System.arraycopy(bias, 0, gates, r * g4, g4);
            }
        }
        kernels.multTransBPacked(to - from, x, from * inputSize, inputSize, wIh, gates, from * g4, g4, bias != null);
    }

    /**
     * b_ih + b_hh (4H), where every gate's chain starts, computed once per weight update; null
     * when the layer has no bias.
     */
    public static float[] gateBias(float[] bIh, float[] bHh) {
        if (bIh == null) {
            return null;
        }
        float[] bias = new float[bIh.length];
        for (int j = 0; j < bias.length; j++) {
            bias[j] = bIh[j] + bHh[j];
        }
        return bias;
    }

    /**
     * Runs the recurrence over every step of one direction, for the sequences (batch rows)
     * [from, to). Sequences never read each other's state, so disjoint ranges may run on different
     * threads at once, and a row's numbers do not depend on the range it was run in.
     *
     * <p>The input projection either was hoisted ({@link #inputProjection} over all rows, {@code
     * x} null) or is done here step by step ({@code x} given): a step's rows are projected just
     * before their recurrent product, so the gates never leave the cache and only one step's worth
     * of them is needed. Both give the same bits: each gate is one chain, bias, then the x terms,
     * then the h terms.
     *
     * @param x          (R, I) the layer input to project step by step, or null
     * @param wIh        W_ih (4H, I) packed by {@code kernels}, with {@code x}
     * @param bias       (4H) b_ih + b_hh ({@link #gateBias}) with {@code x}, or null (no bias, or
     *                   no {@code x})
     * @param gates      activated gates i, f, g, o out; in: the hoisted projection when {@code x}
     *                   is null. (R, 4H) by row when {@code gatesByRow}, else (N, 4H) by sequence,
     *                   holding the running step only
     * @param wHh        W_hh (4H, P) packed by {@code kernels} ({@link MatrixKernels#packGates})
     * @param wHr        W_hr (P, H) packed by {@code kernels}, or null without projections
     * @param h          (N, P) in: h_0; out: each sequence's final h (rows past a step's live
     *                   prefix are left alone, which is exactly what packed sequences need)
     * @param c          (N, H) in: c_0; out: final c
     * @param out        receives h_t of row r at {@code out[r * outStride + outOffset + 0..P)}
     * @param cAll       (R, H) receives c_t per row for the backward pass, or null
     * @param hCellAll   (R, H) receives o ⊙ tanh(c_t) per row (before projection), or null;
     *                   only needed with projections
     * @param hCell      (N, H) scratch for o ⊙ tanh(c_t) before the projection W_hr; null
     *                   without projections
     */
    public static void recurrenceForward(MatrixKernels kernels, PointwiseKernels pointwise, int hidden, int projected,
                                         int[] batchSizes, int[] stepOffsets, boolean reverse, int from, int to,
                                         float[] x, PackedMatrix wIh, float[] bias,
                                         float[] gates, boolean gatesByRow, PackedMatrix wHh, PackedMatrix wHr,
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
            int gate0 = gatesByRow ? row0 : from; // the gates row of sequence from
            if (x != null) {
                // gates(live, 4H) = (b_ih + b_hh) + x(live, I) · W_ih(4H, I)ᵀ, as inputProjection
                if (bias != null) {
                    for (int r = gate0; r < gate0 + live; r++) {
                        System.arraycopy(bias, 0, gates, r * g4, g4);
                    }
                }
                kernels.multTransBPacked(live, x, row0 * wIh.cols(), wIh.cols(), wIh, gates, gate0 * g4, g4,
                        bias != null);
            }
            // gates(live, 4H) += h(live, P) · W_hh(4H, P)ᵀ
            kernels.multTransBPacked(live, h, from * projected, projected, wHh, gates, gate0 * g4, g4, true);
            float[] hTarget = wHr == null ? h : hCell;
            for (int b = from; b < from + live; b++) {
                int row = row0 + b - from;
                int gateRow = gate0 + b - from;
                pointwise.cellForward(hidden, 0, hidden, gates, gateRow * g4, c, b * hidden, hTarget, b * hidden);
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
     * {@link #inputProjection} and then {@link #recurrenceForward} for every sequence but only the
     * hidden units of the gate-interleaved panels [fromPanel, toPanel) of W_ih and W_hh, i.e. units
     * [fromPanel·lanes, min(H, toPanel·lanes)), for a layer without projections (P = H). Parts
     * that together cover every panel run at once, one per thread, and meet at {@code barrier}
     * once per step; each reads only its own slices of W_ih and W_hh, so on a small batch they stay
     * in that core's cache from call to call. h alternates between {@code h} and {@code hSpare}: a
     * step reads all of one and each part writes its units of the other, so after the barrier
     * every part sees the whole h_t. Each unit gets exactly the bits the unsplit functions give it
     * (the products and the cell math are per column and per lane, and split points are whole
     * vectors).
     *
     * @param x      (R, I) the layer input
     * @param bias   (4H) b_ih + b_hh ({@link #gateBias}), or null when the layer has no bias
     * @param gates  (R, 4H) scratch; the part's units are overwritten
     * @param h      (N, H) in: h_0; out: final h, as in {@link #recurrenceForward}
     * @param hSpare (N, H) scratch, shared by the parts
     */
    public static void layerForwardUnits(MatrixKernels kernels, PointwiseKernels pointwise, int hidden,
                                         int[] batchSizes, int[] stepOffsets, boolean reverse,
                                         int fromPanel, int toPanel, Parallel.Barrier barrier,
                                         float[] x, PackedMatrix wIh, float[] bias,
                                         float[] gates, PackedMatrix wHh, float[] h, float[] hSpare, float[] c,
                                         float[] out, int outOffset, int outStride, float[] cAll) {
        int steps = batchSizes.length;
        int batch = batchSizes[0];
        int g4 = 4 * hidden;
        int from = fromPanel * wHh.lanes();
        int to = Math.min(hidden, toPanel * wHh.lanes());
        int rows = stepOffsets[steps - 1] + batchSizes[steps - 1];
        // gates(R, units of 4H) = (b_ih + b_hh) + x(R, I) · W_ih(units of 4H, I)ᵀ, as inputProjection
        for (int r = 0; r < rows; r++) {
            for (int gate = 0; gate < 4; gate++) {
                int unit0 = gate * hidden;
                if (bias != null) {
                    System.arraycopy(bias, unit0 + from, gates, r * g4 + unit0 + from, to - from);
                } else {
                    Arrays.fill(gates, r * g4 + unit0 + from, r * g4 + unit0 + to, 0f);
                }
            }
        }
        kernels.multAddTransBPackedPanels(rows, x, 0, wIh.cols(), wIh, fromPanel, toPanel, gates, 0, g4);
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
     * <p>Computes part {@code part} of {@code parts}: gate rows [Parallel.from(4H, parts, part),
     * Parallel.from(4H, parts, part + 1)) of dW_ih, db_ih and db_hh, and rows [Parallel.from(R,
     * parts, part), Parallel.from(R, parts, part + 1)) of dx. Each element belongs to one part and
     * is the same chain of multiply-adds (over rows, or over gates for dx, in order) whatever the
     * split, so parts may run on different threads at once and the result does not depend on how
     * many there are.
     *
     * @param dGates (R, 4H) gradient of the pre-activation gates, from {@link #recurrenceBackward}
     * @param dBIh   (4H) or null when the layer has no bias
     * @param dBHh   (4H) or null when the layer has no bias
     * @param dx     (R, I), or null when the input needs no gradient
     * @param accumulateDx add to dx (a second direction reading the same input) instead of overwriting it
     */
    public static void inputProjectionBackward(MatrixKernels kernels, int part, int parts, int rows, int inputSize,
                                               int hidden, float[] dGates, float[] x, float[] wIh,
                                               float[] dWIh, float[] dBIh, float[] dBHh,
                                               float[] dx, boolean accumulateDx) {
        int g4 = 4 * hidden;
        int gateFrom = Parallel.from(g4, parts, part);
        int gateTo = Parallel.from(g4, parts, part + 1);
        // dW_ih(part's gate rows, I) += dGates(R, those gate columns)ᵀ · x(R, I)
        kernels.multTransA(gateTo - gateFrom, inputSize, rows, dGates, gateFrom, g4, x, 0, inputSize,
                dWIh, gateFrom * inputSize, inputSize, true);
        if (dBIh != null) {
            for (int r = 0; r < rows; r++) {
                int off = r * g4;
                for (int j = gateFrom; j < gateTo; j++) {
                    float d = dGates[off + j];
                    dBIh[j] += d;
                    dBHh[j] += d;
                }
            }
        }
        if (dx != null) {
            int rowFrom = Parallel.from(rows, parts, part);
            int rowTo = Parallel.from(rows, parts, part + 1);
            // dx(part's rows, I) (+)= dGates(those rows, 4H) · W_ih(4H, I)
            kernels.mult(rowTo - rowFrom, inputSize, g4, dGates, rowFrom * g4, g4, wIh, 0, inputSize,
                    dx, rowFrom * inputSize, inputSize, accumulateDx);
        }
    }

    /**
     * Backward of {@link #recurrenceForward} for one direction and the sequences (batch rows)
     * [from, to): walks the steps in the opposite order, carrying dh and dc. Sequences never read
     * each other's dh or dc, so disjoint ranges may run on different threads at once, and a row's
     * numbers do not depend on the range it was run in. Per step only dh·W_hh (and, with
     * projections, dh·W_hr) is a product; the weight gradients are products over all rows once
     * every range is done ({@link #recurrenceWeightsBackward}, {@link #inputProjectionBackward}).
     *
     * <p>Packed batches need no special case: a sequence that is not live at a step keeps its dh and
     * dc untouched, exactly as the forward pass kept its h and c, so dh_n enters at each sequence's
     * own last step and dh_0 leaves at its first.
     *
     * @param gates  (R, 4H) activated gates i, f, g, o, as {@link #recurrenceForward} left them
     * @param cAll   (R, H) c_t per row
     * @param c0     (N, H) initial c
     * @param dOut   dL/dh_t of row r at {@code dOut[r * dOutStride + dOutOffset + 0..P)}, or null
     * @param dh     (N, P) in: dL/dh_n; out: dL/dh_0 (only the range's sequences are touched)
     * @param dc     (N, H) in: dL/dc_n; out: dL/dc_0
     * @param dGates (R, 4H) out: dL/d(pre-activation gates) of the range's rows, overwritten; may be
     *               {@code gates} itself, as a row's gates are read only by the cell backward that
     *               replaces them
     * @param dhRows (R, P) out: dL/dh_t of the range's rows, for dW_hr, with projections; null without
     */
    public static void recurrenceBackward(MatrixKernels kernels, PointwiseKernels pointwise, int hidden, int projected,
                                          int[] batchSizes, int[] stepOffsets, boolean reverse, int from, int to,
                                          float[] gates, float[] cAll, float[] c0, float[] wHh, float[] wHr,
                                          float[] dOut, int dOutOffset, int dOutStride,
                                          float[] dh, float[] dc, float[] dGates, float[] dhRows) {
        int steps = batchSizes.length;
        int g4 = 4 * hidden;
        // dL/d(o ⊙ tanh(c_t)) of sequence b at (b - cellBase)·H: dh itself without projections (P = H),
        // else (to - from, H) scratch for dh·W_hr
        float[] dhCell = wHr == null ? dh : new float[(to - from) * hidden];
        int cellBase = wHr == null ? 0 : from;
        float[] tanhC = new float[hidden]; // (H) tanh(c_t) of one row, by the forward's own tanh kernel, row by row
        for (int s = 0; s < steps; s++) {
            int t = reverse ? s : steps - 1 - s;
            int live = Math.min(batchSizes[t], to) - from;
            if (live <= 0) {
                continue;
            }
            int row0 = stepOffsets[t] + from;
            if (dOut != null) { // dL/dh_t: what reached h_t from step t + 1 (dh) plus what reached it as output
                for (int b = 0; b < live; b++) {
                    int src = (row0 + b) * dOutStride + dOutOffset;
                    int dst = (from + b) * projected;
                    for (int j = 0; j < projected; j++) {
                        dh[dst + j] += dOut[src + j];
                    }
                }
            }
            if (wHr != null) {
                System.arraycopy(dh, from * projected, dhRows, row0 * projected, live * projected);
                // dhCell(live, H) = dh(live, P) · W_hr(P, H)
                kernels.mult(live, hidden, projected, dh, from * projected, projected, wHr, 0, hidden,
                        dhCell, 0, hidden, false);
            }
            for (int b = from; b < from + live; b++) {
                int row = row0 + b - from;
                int prev = previousRow(t, b, reverse, batchSizes, stepOffsets);
                float[] cPrev = prev < 0 ? c0 : cAll;
                int cPrevOff = prev < 0 ? b * hidden : prev * hidden;
                pointwise.tanh(cAll, row * hidden, tanhC, 0, hidden);
                cellBackward(hidden, gates, row * g4, tanhC, 0, cPrev, cPrevOff,
                        dhCell, (b - cellBase) * hidden, dc, b * hidden, dGates, row * g4);
            }
            // dh(live, P) = dGates(live, 4H) · W_hh(4H, P): the gradient reaching h_{t-1}
            kernels.mult(live, projected, g4, dGates, row0 * g4, g4, wHh, 0, projected,
                    dh, from * projected, projected, false);
        }
    }

    /**
     * The recurrent weight gradients, once {@link #recurrenceBackward} has run for every sequence:
     * dW_hh(4H, P) += dGates(R, 4H)ᵀ · hPrev(R, P), where hPrev row r is the h row r's step
     * started from (h_0 or an earlier output row), and with projections dW_hr(P, H) +=
     * dhRows(R, P)ᵀ · hCellAll(R, H).
     *
     * <p>hPrev is never gathered: rows whose hPrev rows follow one another in h0 or in hOut form one
     * product (a padded batch has two: the rows starting from h_0, and all the others), run in
     * row order, so every element of dW_hh gets the multiply-add chain of one product over all R
     * rows.
     *
     * <p>Computes part {@code part} of {@code parts}: gate rows [Parallel.from(4H, parts, part),
     * Parallel.from(4H, parts, part + 1)) of dW_hh and rows [Parallel.from(P, parts, part), ...) of
     * dW_hr; as in {@link #inputProjectionBackward}, the result does not depend on the split.
     *
     * @param dGates   (R, 4H) from {@link #recurrenceBackward}
     * @param hOut     h_t of row r at {@code hOut[r * hOutStride + hOutOffset + 0..P)} (the forward
     *                 output before any dropout)
     * @param h0       (N, P) initial h
     * @param dhRows   (R, P) from {@link #recurrenceBackward} with projections; null without
     * @param hCellAll (R, H) o ⊙ tanh(c_t) per row with projections; null without
     * @param dWHh     (4H, P) accumulated
     * @param dWHr     (P, H) accumulated with projections; null without
     */
    public static void recurrenceWeightsBackward(MatrixKernels kernels, int part, int parts, int hidden, int projected,
                                                 int[] batchSizes, int[] stepOffsets, boolean reverse,
                                                 float[] dGates, float[] hOut, int hOutOffset, int hOutStride,
                                                 float[] h0, float[] dhRows, float[] hCellAll,
                                                 float[] dWHh, float[] dWHr) {
        int steps = batchSizes.length;
        int rows = stepOffsets[steps - 1] + batchSizes[steps - 1];
        int g4 = 4 * hidden;
        int gateFrom = Parallel.from(g4, parts, part);
        int gateCount = Parallel.from(g4, parts, part + 1) - gateFrom;
        // The current run: rows [runRow, runRow + runLength) whose hPrev rows are source[runOffset + i·stride]
        int runRow = 0;
        int runLength = 0;
        float[] runSource = null;
        int runOffset = 0;
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < batchSizes[t]; b++) {
                int prev = previousRow(t, b, reverse, batchSizes, stepOffsets);
                float[] source = prev < 0 ? h0 : hOut;
                int stride = prev < 0 ? projected : hOutStride;
                int offset = prev < 0 ? b * projected : prev * hOutStride + hOutOffset;
                if (source == runSource && offset == runOffset + runLength * stride) {
                    runLength++;
                    continue;
                }
                if (runLength > 0) {
                    addRecurrentRun(kernels, g4, gateFrom, gateCount, projected, dGates, runRow, runLength,
                            runSource, runOffset, runSource == h0 ? projected : hOutStride, dWHh);
                }
                runRow = stepOffsets[t] + b;
                runLength = 1;
                runSource = source;
                runOffset = offset;
            }
        }
        addRecurrentRun(kernels, g4, gateFrom, gateCount, projected, dGates, runRow, runLength,
                runSource, runOffset, runSource == h0 ? projected : hOutStride, dWHh);
        if (dWHr != null) {
            int projFrom = Parallel.from(projected, parts, part);
            int projTo = Parallel.from(projected, parts, part + 1);
            // dW_hr(part's rows of P, H) += dhRows(R, those columns)ᵀ · hCellAll(R, H)
            kernels.multTransA(projTo - projFrom, hidden, rows, dhRows, projFrom, projected, hCellAll, 0, hidden,
                    dWHr, projFrom * hidden, hidden, true);
        }
    }

    /**
     * dW_hh(gate rows [gateFrom, gateFrom + gateCount), P) += dGates(rows [row, row + length),
     * those gate columns)ᵀ · hPrev(those rows, P), hPrev row i at {@code source[offset + i·stride]}.
     */
    private static void addRecurrentRun(MatrixKernels kernels, int g4, int gateFrom, int gateCount, int projected,
                                        float[] dGates, int row, int length, float[] source, int offset, int stride,
                                        float[] dWHh) {
        kernels.multTransA(gateCount, projected, length, dGates, row * g4 + gateFrom, g4, source, offset, stride,
                dWHh, gateFrom * projected, projected, true);
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
}
