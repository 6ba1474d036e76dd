package org.lstm4j.math;

import java.util.Arrays;
import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.kernels.Parallel;
import org.lstm4j.kernels.PointwiseKernels;

/**
 * The equations of one direction of one recurrent layer, as explicit functions on flat arrays,
 * shared by every cell: the per-row cell math is a {@link CellMath} argument (LSTM, GRU, RNN).
 *
 * <p>Batches are time-major rows: step t owns {@code batchSizes[t]} consecutive rows starting at
 * row {@code stepOffsets[t]}, and the live sequences at a step are always a prefix of the batch
 * (sequences sorted by decreasing length). A plain (L, N, H_in) batch is the special case
 * {@code batchSizes = [N, N, ..., N]} and a packed sequence the general one, so padded and packed
 * input share one code path.
 *
 * <p>Shape legend: R = total rows (sum of batchSizes), N = batch, H = hidden size, G = the cell's
 * gates, P = width of h (H, or proj_size with an LSTM's projections), I = layer input size.
 * Gate rows are stacked in PyTorch's order (LSTM i, f, g, o; GRU r, z, n).
 *
 * <pre>
 *   gates_t = x_t·W_ihᵀ + b_ih (+ h_{t−1}·W_hhᵀ + b_hh)     recurrent_t = h_{t−1}·W_hhᵀ + b_hh (GRU)
 *   h_t (, c_t) = cell(gates_t, recurrent_t, h_{t−1} (, c_{t−1}))   then h_t = h_t·W_hrᵀ with projections
 * </pre>
 */
public final class RecurrentMath {

    private RecurrentMath() {
    }

    /**
     * The input projection for all timesteps at once, hoisted out of the time loop, for rows
     * [from, to): gates(R, G·H) = inputBias + x(R, I) · W_ih(G·H, I)ᵀ, each element one chain
     * starting from the bias (no separate pass over the gates for it). Rows are independent, so
     * disjoint ranges may run on different threads at once.
     */
    public static void inputProjection(MatrixKernels kernels, int from, int to, float[] x, LayerPanels w,
                                       float[] gates) {
        int gateSize = w.wIh().rows();
        int inputSize = w.wIh().cols();
        float[] bias = w.inputBias();
        if (bias != null) {
            for (int r = from; r < to; r++) {
                System.arraycopy(bias, 0, gates, r * gateSize, gateSize);
            }
        }
        kernels.multTransBPanels(to - from, x, from * inputSize, inputSize, w.wIh(), gates, from * gateSize,
                gateSize, bias != null);
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
     * then (unless the cell keeps it apart) the h terms.
     *
     * @param x              (R, I) the layer input to project step by step, or null
     * @param gates          activated gates out; in: the hoisted projection when {@code x} is null.
     *                       (R, G·H) by row when {@code gatesByRow}, else (N, G·H) by sequence,
     *                       holding the running step only
     * @param recurrentGates (N, G·H) scratch for h·W_hhᵀ + b_hh of the running step, with
     *                       {@link CellMath#separateRecurrentGates()}; null otherwise
     * @param h              (N, P) in: h_0; out: each sequence's final h (rows past a step's live
     *                       prefix are left alone, which is exactly what packed sequences need)
     * @param c              (N, H) in: c_0; out: final c; null without a cell state
     * @param out            receives h_t of row r at {@code out[r * outStride + outOffset + 0..P)}
     * @param saved          (R, H) receives the cell's saved values per row ({@link CellMath#save})
     *                       for the backward pass, or null
     * @param hCellAll       (R, H) receives the cell's h_t per row before the projection, or null;
     *                       only needed with projections
     * @param hCell          (N, H) scratch for the cell's h_t before the projection W_hr; null
     *                       without projections
     */
    public static void recurrenceForward(MatrixKernels kernels, PointwiseKernels pointwise, CellMath cell,
                                         LayerPanels w, int[] batchSizes, int[] stepOffsets, boolean reverse,
                                         int from, int to, float[] x, float[] gates, boolean gatesByRow,
                                         float[] recurrentGates, float[] h, float[] c,
                                         float[] out, int outOffset, int outStride,
                                         float[] saved, float[] hCellAll, float[] hCell) {
        int steps = batchSizes.length;
        int hidden = w.hidden();
        int projected = w.projected();
        int gateSize = w.wHh().rows();
        boolean apart = cell.separateRecurrentGates();
        float[] inputBias = w.inputBias();
        float[] recurrentBias = w.recurrentBias();
        for (int s = 0; s < steps; s++) {
            int t = reverse ? steps - 1 - s : s;
            int live = Math.min(batchSizes[t], to) - from;
            if (live <= 0) {
                continue;
            }
            int row0 = stepOffsets[t] + from;
            int gate0 = gatesByRow ? row0 : from; // the gates row of sequence from
            if (x != null) {
                // gates(live, G·H) = inputBias + x(live, I) · W_ih(G·H, I)ᵀ, as inputProjection
                if (inputBias != null) {
                    for (int r = gate0; r < gate0 + live; r++) {
                        System.arraycopy(inputBias, 0, gates, r * gateSize, gateSize);
                    }
                }
                kernels.multTransBPanels(live, x, row0 * w.wIh().cols(), w.wIh().cols(), w.wIh(), gates,
                        gate0 * gateSize, gateSize, inputBias != null);
            }
            if (apart) {
                // recurrentGates(live, G·H) = b_hh + h(live, P) · W_hh(G·H, P)ᵀ
                if (recurrentBias != null) {
                    for (int b = from; b < from + live; b++) {
                        System.arraycopy(recurrentBias, 0, recurrentGates, b * gateSize, gateSize);
                    }
                }
                kernels.multTransBPanels(live, h, from * projected, projected, w.wHh(), recurrentGates,
                        from * gateSize, gateSize, recurrentBias != null);
            } else {
                // gates(live, G·H) += h(live, P) · W_hh(G·H, P)ᵀ
                kernels.multTransBPanels(live, h, from * projected, projected, w.wHh(), gates, gate0 * gateSize,
                        gateSize, true);
            }
            float[] hTarget = w.wHr() == null ? h : hCell;
            for (int b = from; b < from + live; b++) {
                int row = row0 + b - from;
                int gateRow = gate0 + b - from;
                cell.forward(pointwise, hidden, 0, hidden, gates, gateRow * gateSize, recurrentGates, b * gateSize,
                        c, b * hidden, h, b * projected, hTarget, b * hidden);
                if (saved != null) {
                    cell.save(hidden, 0, hidden, recurrentGates, b * gateSize, c, b * hidden, saved, row * hidden);
                }
                if (hCellAll != null) {
                    System.arraycopy(hTarget, b * hidden, hCellAll, row * hidden, hidden);
                }
            }
            if (w.wHr() != null) {
                // h(live, P) = hCell(live, H) · W_hr(P, H)ᵀ
                kernels.multTransBPanels(live, hCell, from * hidden, hidden, w.wHr(), h, from * projected, projected,
                        false);
            }
            for (int b = from; b < from + live; b++) {
                System.arraycopy(h, b * projected, out, (row0 + b - from) * outStride + outOffset, projected);
            }
        }
    }

    /**
     * {@link #inputProjection} and then {@link #recurrenceForward} for every sequence but only the
     * hidden units of slices [fromSlice, toSlice) of W_ih and W_hh ({@link
     * org.lstm4j.kernels.PanelMatrix#unitSlices}), for a layer without projections (P = H). Parts
     * that together cover every slice run at once, one per thread, and meet at {@code barrier}
     * once per step; each reads only its own slices of W_ih and W_hh, so on a small batch they stay
     * in that core's cache from call to call. h alternates between {@code h} and {@code hSpare}: a
     * step reads all of one and each part writes its units of the other, so after the barrier
     * every part sees the whole h_t. Each unit gets exactly the bits the unsplit functions give it
     * (the products and the cell math are per column and per lane, and slices start on whole
     * vectors).
     *
     * @param x              (R, I) the layer input
     * @param gates          (R, G·H) scratch; the part's units are overwritten
     * @param recurrentGates (N, G·H) scratch shared by the parts, with
     *                       {@link CellMath#separateRecurrentGates()}; null otherwise
     * @param h              (N, H) in: h_0; out: final h, as in {@link #recurrenceForward}
     * @param hSpare         (N, H) scratch, shared by the parts
     * @param c              (N, H) in: c_0; out: final c; null without a cell state
     * @param saved          (R, H) receives the cell's saved values per row, or null
     */
    public static void layerForwardUnits(MatrixKernels kernels, PointwiseKernels pointwise, CellMath cell,
                                         LayerPanels w, int[] batchSizes, int[] stepOffsets, boolean reverse,
                                         int fromSlice, int toSlice, Parallel.Barrier barrier,
                                         float[] x, float[] gates, float[] recurrentGates, float[] h, float[] hSpare,
                                         float[] c, float[] out, int outOffset, int outStride, float[] saved) {
        int steps = batchSizes.length;
        int batch = batchSizes[0];
        int hidden = w.hidden();
        int gateCount = cell.gates();
        int gateSize = gateCount * hidden;
        int from = w.wHh().sliceUnit(fromSlice);
        int to = w.wHh().sliceUnit(toSlice);
        int fromPanel = w.wHh().slicePanel(fromSlice);
        int toPanel = w.wHh().slicePanel(toSlice);
        int rows = stepOffsets[steps - 1] + batchSizes[steps - 1];
        // gates(R, units of G·H) = inputBias + x(R, I) · W_ih(units of G·H, I)ᵀ, as inputProjection
        for (int r = 0; r < rows; r++) {
            startUnits(w.inputBias(), gateCount, hidden, from, to, gates, r * gateSize);
        }
        kernels.multAddTransBPanelRange(rows, x, 0, w.wIh().cols(), w.wIh(), fromPanel, toPanel, gates, 0, gateSize);
        float[] hIn = h;
        float[] hOut = hSpare;
        boolean apart = cell.separateRecurrentGates();
        for (int s = 0; s < steps; s++) {
            int t = reverse ? steps - 1 - s : s;
            int live = batchSizes[t];
            int row0 = stepOffsets[t];
            if (apart) {
                // recurrentGates(live, units of G·H) = b_hh + h(live, H) · W_hh(units of G·H, H)ᵀ
                for (int b = 0; b < live; b++) {
                    startUnits(w.recurrentBias(), gateCount, hidden, from, to, recurrentGates, b * gateSize);
                }
                kernels.multAddTransBPanelRange(live, hIn, 0, hidden, w.wHh(), fromPanel, toPanel, recurrentGates, 0,
                        gateSize);
            } else {
                // gates(live, units of G·H) += h(live, H) · W_hh(units of G·H, H)ᵀ
                kernels.multAddTransBPanelRange(live, hIn, 0, hidden, w.wHh(), fromPanel, toPanel, gates,
                        row0 * gateSize, gateSize);
            }
            for (int b = 0; b < live; b++) {
                int row = row0 + b;
                cell.forward(pointwise, hidden, from, to, gates, row * gateSize, recurrentGates, b * gateSize,
                        c, b * hidden, hIn, b * hidden, hOut, b * hidden);
                if (saved != null) {
                    cell.save(hidden, from, to, recurrentGates, b * gateSize, c, b * hidden, saved, row * hidden);
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

    /** Units [from, to) of every gate of the row at dst[off..] = the bias's, or 0 without bias. */
    private static void startUnits(float[] bias, int gateCount, int hidden, int from, int to, float[] dst, int off) {
        for (int gate = 0; gate < gateCount; gate++) {
            int unit0 = gate * hidden;
            if (bias != null) {
                System.arraycopy(bias, unit0 + from, dst, off + unit0 + from, to - from);
            } else {
                Arrays.fill(dst, off + unit0 + from, off + unit0 + to, 0f);
            }
        }
    }

    /**
     * Backward of {@link #inputProjection}, run once after the recurrent loop as products over all
     * rows: dW_ih(G·H, I) += dGates(R, G·H)ᵀ · x(R, I); db_ih (G·H) += column sums of dGates;
     * dx(R, I) (+)= dGates · W_ih.
     *
     * <p>Computes part {@code part} of {@code parts}: gate rows [Parallel.from(G·H, parts, part),
     * Parallel.from(G·H, parts, part + 1)) of dW_ih and db_ih, and rows [Parallel.from(R, parts,
     * part), Parallel.from(R, parts, part + 1)) of dx. Each element belongs to one part and is the
     * same chain of multiply-adds (over rows, or over gates for dx, in order) whatever the split, so
     * parts may run on different threads at once and the result does not depend on how many there
     * are.
     *
     * @param dGates       (R, G·H) gradient of the input part of the gates, from {@link #recurrenceBackward}
     * @param dBIh         (G·H) or null when the layer has no bias
     * @param dx           (R, I), or null when the input needs no gradient
     * @param accumulateDx add to dx (a second direction reading the same input) instead of overwriting it
     */
    public static void inputProjectionBackward(MatrixKernels kernels, int part, int parts, int rows, int inputSize,
                                               int gateSize, float[] dGates, float[] x, float[] wIh,
                                               float[] dWIh, float[] dBIh, float[] dx, boolean accumulateDx) {
        int gateFrom = Parallel.from(gateSize, parts, part);
        int gateTo = Parallel.from(gateSize, parts, part + 1);
        // dW_ih(part's gate rows, I) += dGates(R, those gate columns)ᵀ · x(R, I)
        kernels.multTransA(gateTo - gateFrom, inputSize, rows, dGates, gateFrom, gateSize, x, 0, inputSize,
                dWIh, gateFrom * inputSize, inputSize, true);
        addColumnSums(dGates, rows, gateSize, gateFrom, gateTo, dBIh);
        if (dx != null) {
            int rowFrom = Parallel.from(rows, parts, part);
            int rowTo = Parallel.from(rows, parts, part + 1);
            // dx(part's rows, I) (+)= dGates(those rows, G·H) · W_ih(G·H, I)
            kernels.mult(rowTo - rowFrom, inputSize, gateSize, dGates, rowFrom * gateSize, gateSize, wIh, 0,
                    inputSize, dx, rowFrom * inputSize, inputSize, accumulateDx);
        }
    }

    /** db[j] += Σ_r dGates[r, j] for columns [from, to), rows in order; nothing when db is null. */
    private static void addColumnSums(float[] dGates, int rows, int gateSize, int from, int to, float[] db) {
        if (db == null) {
            return;
        }
        for (int r = 0; r < rows; r++) {
            int off = r * gateSize;
            for (int j = from; j < to; j++) {
                db[j] += dGates[off + j];
            }
        }
    }

    /**
     * Backward of {@link #recurrenceForward} for one direction and the sequences (batch rows)
     * [from, to): walks the steps in the opposite order, carrying dh (and dc with a cell state).
     * Sequences never read each other's dh or dc, so disjoint ranges may run on different threads
     * at once, and a row's numbers do not depend on the range it was run in. Per step only
     * dRecurrent·W_hh (and, with projections, dh·W_hr) is a product; the weight gradients are
     * products over all rows once every range is done ({@link #recurrenceWeightsBackward},
     * {@link #inputProjectionBackward}).
     *
     * <p>Packed batches need no special case: a sequence that is not live at a step keeps its dh and
     * dc untouched, exactly as the forward pass kept its h and c, so dh_n enters at each sequence's
     * own last step and dh_0 leaves at its first.
     *
     * @param gates           (R, G·H) activated gates, as {@link #recurrenceForward} left them
     * @param saved           (R, H) the cell's saved values per row, or null when it saves none
     * @param c0              (N, H) initial c, with a cell state
     * @param h0              (N, P) initial h
     * @param wHh             W_hh (G·H, P) row-major
     * @param wHr             W_hr (P, H) row-major, or null without projections
     * @param hOut            h_t of row r at {@code hOut[r * outStride + outOffset + 0..P)}, the
     *                        forward output before any dropout
     * @param dOut            dL/dh_t of row r at {@code dOut[r * outStride + outOffset + 0..P)}, or null
     * @param dh              (N, P) in: dL/dh_n; out: dL/dh_0 (only the range's sequences are touched)
     * @param dc              (N, H) in: dL/dc_n; out: dL/dc_0; with a cell state
     * @param dGates          (R, G·H) out: dL/d(input part of the gates) of the range's rows,
     *                        overwritten; may be {@code gates} itself, as a row's gates are read only
     *                        by the cell backward that replaces them
     * @param dRecurrentGates (R, G·H) out: dL/d(h·W_hhᵀ + b_hh) of the range's rows, with
     *                        {@link CellMath#separateRecurrentGates()}; else {@code dGates} itself
     * @param dhRows          (R, P) out: dL/dh_t of the range's rows, for dW_hr, with projections;
     *                        null without
     */
    public static void recurrenceBackward(MatrixKernels kernels, PointwiseKernels pointwise, CellMath cell,
                                          int hidden, int projected, int[] batchSizes, int[] stepOffsets,
                                          boolean reverse, int from, int to, float[] gates, float[] saved, float[] c0,
                                          float[] h0, float[] wHh, float[] wHr, float[] hOut, float[] dOut,
                                          int outOffset, int outStride, float[] dh, float[] dc, float[] dGates,
                                          float[] dRecurrentGates, float[] dhRows) {
        int steps = batchSizes.length;
        int gateSize = cell.gates() * hidden;
        // dL/d(the cell's h_t) of sequence b at (b - cellBase)·H: dh itself without projections (P = H),
        // else (to - from, H) scratch for dh·W_hr
        float[] dhCell = wHr == null ? dh : new float[(to - from) * hidden];
        int cellBase = wHr == null ? 0 : from;
        float[] scratch = new float[hidden];
        for (int s = 0; s < steps; s++) {
            int t = reverse ? s : steps - 1 - s;
            int live = Math.min(batchSizes[t], to) - from;
            if (live <= 0) {
                continue;
            }
            int row0 = stepOffsets[t] + from;
            if (dOut != null) { // dL/dh_t: what reached h_t from step t + 1 (dh) plus what reached it as output
                for (int b = 0; b < live; b++) {
                    int src = (row0 + b) * outStride + outOffset;
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
                float[] hPrev = prev < 0 ? h0 : hOut;
                int hPrevOff = prev < 0 ? b * projected : prev * outStride + outOffset;
                float[] cPrev = !cell.hasCellState() ? null : prev < 0 ? c0 : saved;
                int cPrevOff = prev < 0 ? b * hidden : prev * hidden;
                cell.backward(pointwise, hidden, gates, row * gateSize, saved, row * hidden, cPrev, cPrevOff,
                        hPrev, hPrevOff, dhCell, (b - cellBase) * hidden, dc, b * hidden, dGates, row * gateSize,
                        dRecurrentGates, row * gateSize, scratch);
            }
            // dh(live, P) (+)= dRecurrent(live, G·H) · W_hh(G·H, P): the gradient reaching h_{t-1}
            kernels.mult(live, projected, gateSize, dRecurrentGates, row0 * gateSize, gateSize, wHh, 0, projected,
                    dh, from * projected, projected, cell.carriesHidden());
        }
    }

    /**
     * The recurrent weight gradients, once {@link #recurrenceBackward} has run for every sequence:
     * dW_hh(G·H, P) += dRecurrent(R, G·H)ᵀ · hPrev(R, P), where hPrev row r is the h row r's step
     * started from (h_0 or an earlier output row); db_hh (G·H) += column sums of dRecurrent; and with
     * projections dW_hr(P, H) += dhRows(R, P)ᵀ · hCellAll(R, H).
     *
     * <p>hPrev is never gathered: rows whose hPrev rows follow one another in h0 or in hOut form one
     * product (a padded batch has two: the rows starting from h_0, and all the others), run in
     * row order, so every element of dW_hh gets the multiply-add chain of one product over all R
     * rows.
     *
     * <p>Computes part {@code part} of {@code parts}: gate rows [Parallel.from(G·H, parts, part),
     * Parallel.from(G·H, parts, part + 1)) of dW_hh and db_hh and rows [Parallel.from(P, parts,
     * part), ...) of dW_hr; as in {@link #inputProjectionBackward}, the result does not depend on
     * the split.
     *
     * @param dRecurrentGates (R, G·H) from {@link #recurrenceBackward}
     * @param hOut            h_t of row r at {@code hOut[r * hOutStride + hOutOffset + 0..P)} (the
     *                        forward output before any dropout)
     * @param h0              (N, P) initial h
     * @param dhRows          (R, P) from {@link #recurrenceBackward} with projections; null without
     * @param hCellAll        (R, H) the cell's h_t per row with projections; null without
     * @param dWHh            (G·H, P) accumulated
     * @param dBHh            (G·H) accumulated, or null when the layer has no bias
     * @param dWHr            (P, H) accumulated with projections; null without
     */
    public static void recurrenceWeightsBackward(MatrixKernels kernels, int part, int parts, int gateSize, int hidden,
                                                 int projected, int[] batchSizes, int[] stepOffsets, boolean reverse,
                                                 float[] dRecurrentGates, float[] hOut, int hOutOffset, int hOutStride,
                                                 float[] h0, float[] dhRows, float[] hCellAll,
                                                 float[] dWHh, float[] dBHh, float[] dWHr) {
        int steps = batchSizes.length;
        int rows = stepOffsets[steps - 1] + batchSizes[steps - 1];
        int gateFrom = Parallel.from(gateSize, parts, part);
        int gateTo = Parallel.from(gateSize, parts, part + 1);
        int gateCount = gateTo - gateFrom;
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
                    addRecurrentRun(kernels, gateSize, gateFrom, gateCount, projected, dRecurrentGates, runRow,
                            runLength, runSource, runOffset, runSource == h0 ? projected : hOutStride, dWHh);
                }
                runRow = stepOffsets[t] + b;
                runLength = 1;
                runSource = source;
                runOffset = offset;
            }
        }
        addRecurrentRun(kernels, gateSize, gateFrom, gateCount, projected, dRecurrentGates, runRow, runLength,
                runSource, runOffset, runSource == h0 ? projected : hOutStride, dWHh);
        addColumnSums(dRecurrentGates, rows, gateSize, gateFrom, gateTo, dBHh);
        if (dWHr != null) {
            int projFrom = Parallel.from(projected, parts, part);
            int projTo = Parallel.from(projected, parts, part + 1);
            // dW_hr(part's rows of P, H) += dhRows(R, those columns)ᵀ · hCellAll(R, H)
            kernels.multTransA(projTo - projFrom, hidden, rows, dhRows, projFrom, projected, hCellAll, 0, hidden,
                    dWHr, projFrom * hidden, hidden, true);
        }
    }

    /**
     * dW_hh(gate rows [gateFrom, gateFrom + gateCount), P) += dRecurrent(rows [row, row + length),
     * those gate columns)ᵀ · hPrev(those rows, P), hPrev row i at {@code source[offset + i·stride]}.
     */
    private static void addRecurrentRun(MatrixKernels kernels, int gateSize, int gateFrom, int gateCount,
                                        int projected, float[] dRecurrentGates, int row, int length, float[] source,
                                        int offset, int stride, float[] dWHh) {
        kernels.multTransA(gateCount, projected, length, dRecurrentGates, row * gateSize + gateFrom, gateSize,
                source, offset, stride, dWHh, gateFrom * projected, projected, true);
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
