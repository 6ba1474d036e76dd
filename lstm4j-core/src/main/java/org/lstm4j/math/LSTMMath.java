package org.lstm4j.math;

import org.lstm4j.kernels.MatrixKernels;

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
     * The input projection for all timesteps at once, hoisted out of the time loop:
     * gates(R, 4H) = x(R, I) · W_ih(4H, I)ᵀ + b_ih + b_hh.
     *
     * @param bIh (4H) or null when the layer has no bias
     * @param bHh (4H) or null when the layer has no bias
     */
    public static void inputProjection(MatrixKernels kernels, int rows, int inputSize, int hidden,
                                       float[] x, float[] wIh, float[] bIh, float[] bHh, float[] gates) {
        int g4 = 4 * hidden;
        kernels.multTransB(rows, g4, inputSize, x, 0, inputSize, wIh, 0, inputSize, gates, 0, g4, false);
        if (bIh != null) {
            for (int r = 0; r < rows; r++) {
                int off = r * g4;
                for (int j = 0; j < g4; j++) {
                    gates[off + j] += bIh[j] + bHh[j];
                }
            }
        }
    }

    /**
     * Runs the recurrence over every step of one direction.
     *
     * @param gates    (R, 4H) in: input projection; out: activated gates i, f, g, o per row
     * @param wHh      (4H, P)
     * @param wHr      (P, H) or null without projections
     * @param h        (N, P) in: h_0; out: each sequence's final h (rows past a step's live
     *                 prefix are left alone, which is exactly what packed sequences need)
     * @param c        (N, H) in: c_0; out: final c
     * @param out      receives h_t of row r at {@code out[r * outStride + outOffset + 0..P)}
     * @param cAll     (R, H) receives c_t per row for the backward pass, or null
     * @param hCellAll (R, H) receives o ⊙ tanh(c_t) per row (before projection), or null;
     *                 only needed with projections
     */
    public static void recurrenceForward(MatrixKernels kernels, int hidden, int projected,
                                         int[] batchSizes, int[] stepOffsets, boolean reverse,
                                         float[] gates, float[] wHh, float[] wHr,
                                         float[] h, float[] c,
                                         float[] out, int outOffset, int outStride,
                                         float[] cAll, float[] hCellAll) {
        int steps = batchSizes.length;
        int g4 = 4 * hidden;
        // (N, H) scratch for o ⊙ tanh(c_t) before the projection W_hr
        float[] hCell = wHr == null ? null : new float[maxOf(batchSizes) * hidden];
        for (int s = 0; s < steps; s++) {
            int t = reverse ? steps - 1 - s : s;
            int live = batchSizes[t];
            int row0 = stepOffsets[t];
            // gates(live, 4H) += h(live, P) · W_hh(4H, P)ᵀ
            kernels.multTransB(live, g4, projected, h, 0, projected, wHh, 0, projected,
                    gates, row0 * g4, g4, true);
            for (int b = 0; b < live; b++) {
                int row = row0 + b;
                float[] hTarget = wHr == null ? h : hCell;
                cellForward(hidden, gates, row * g4, c, b * hidden, hTarget, b * hidden);
                if (cAll != null) {
                    System.arraycopy(c, b * hidden, cAll, row * hidden, hidden);
                }
                if (hCellAll != null) {
                    System.arraycopy(hTarget, b * hidden, hCellAll, row * hidden, hidden);
                }
            }
            if (wHr != null) {
                // h(live, P) = hCell(live, H) · W_hr(P, H)ᵀ
                kernels.multTransB(live, projected, hidden, hCell, 0, hidden, wHr, 0, hidden,
                        h, 0, projected, false);
            }
            for (int b = 0; b < live; b++) {
                System.arraycopy(h, b * projected, out, (row0 + b) * outStride + outOffset, projected);
            }
        }
    }

    /**
     * The pointwise part of one cell for one row: activates the pre-activation gates in place
     * and updates c (in place) and h.
     *
     * @param gates pre-activations (4H) at gOff, replaced by σ(i), σ(f), tanh(g), σ(o)
     * @param c     c_{t-1} (H) at cOff, replaced by c_t
     * @param h     receives o ⊙ tanh(c_t) (H) at hOff
     */
    public static void cellForward(int hidden, float[] gates, int gOff, float[] c, int cOff, float[] h, int hOff) {
        for (int j = 0; j < hidden; j++) {
            float i = Activations.sigmoid(gates[gOff + j]);
            float f = Activations.sigmoid(gates[gOff + hidden + j]);
            float g = Activations.tanh(gates[gOff + 2 * hidden + j]);
            float o = Activations.sigmoid(gates[gOff + 3 * hidden + j]);
            gates[gOff + j] = i;
            gates[gOff + hidden + j] = f;
            gates[gOff + 2 * hidden + j] = g;
            gates[gOff + 3 * hidden + j] = o;
            float cNew = f * c[cOff + j] + i * g;
            c[cOff + j] = cNew;
            h[hOff + j] = o * Activations.tanh(cNew);
        }
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
