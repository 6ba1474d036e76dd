package org.lstm4j.math;

import org.lstm4j.kernels.PointwiseKernels;

/**
 * The GRU cell, gates r, z, n as in PyTorch:
 * <pre>
 *   r = σ(x·W_irᵀ + b_ir + h·W_hrᵀ + b_hr)
 *   z = σ(x·W_izᵀ + b_iz + h·W_hzᵀ + b_hz)
 *   n = tanh(x·W_inᵀ + b_in + r ⊙ (h·W_hnᵀ + b_hn))
 *   h' = (1 − z) ⊙ n + z ⊙ h                         computed as libtorch does: (h − n) ⊙ z + n
 * </pre>
 * r scales only the recurrent part of n, so h·W_hhᵀ + b_hh stays apart from the input part
 * ({@link #separateRecurrentGates()}). Saved per row: h·W_hnᵀ + b_hn, the factor r multiplied.
 * The backward follows libtorch's {@code _thnn_fused_gru_cell_backward}.
 */
public final class GRUCellMath extends CellMath {

    public static final GRUCellMath INSTANCE = new GRUCellMath();

    private GRUCellMath() {
        super(3, false, true, true, true); // gates r, z, n; no c; recurrent part apart; saves h_n; carries dh ⊙ z
    }

    @Override
    public void forward(PointwiseKernels pointwise, int hidden, int from, int to, float[] gates, int gOff,
                        float[] recurrent, int rOff, float[] c, int cOff, float[] hPrev, int hPrevOff,
                        float[] h, int hOff) {
        pointwise.gruCellForward(hidden, from, to, gates, gOff, recurrent, rOff, hPrev, hPrevOff, h, hOff);
    }

    /** saved = h·W_hnᵀ + b_hn. */
    @Override
    public void save(int hidden, int from, int to, float[] recurrent, int rOff, float[] c, int cOff, float[] saved,
                     int sOff) {
        System.arraycopy(recurrent, rOff + 2 * hidden + from, saved, sOff + from, to - from);
    }

    /**
     * With d = dL/dh': dn = d ⊙ (1 − z) ⊙ (1 − n²), dz = d ⊙ (h − n) ⊙ z(1 − z),
     * dr = dn ⊙ h_n ⊙ r(1 − r); the input part's gradient is (dr, dz, dn), the recurrent part's
     * (dr, dz, dn ⊙ r), and d ⊙ z reaches h_{t−1} directly.
     */
    @Override
    public void backward(PointwiseKernels pointwise, int hidden, float[] gates, int gOff, float[] saved, int sOff,
                         float[] cPrev, int cPrevOff, float[] hPrev, int hPrevOff, float[] dh, int dhOff,
                         float[] dc, int dcOff, float[] dGates, int dgOff, float[] dRecurrent, int drOff,
                         float[] scratch) {
        for (int j = 0; j < hidden; j++) {
            float r = gates[gOff + j];
            float z = gates[gOff + hidden + j];
            float n = gates[gOff + 2 * hidden + j];
            float d = dh[dhOff + j];
            float dn = d * (1f - z) * (1f - n * n);
            float dz = d * (hPrev[hPrevOff + j] - n) * (1f - z) * z;
            float dr = dn * saved[sOff + j] * (1f - r) * r;
            dGates[dgOff + j] = dr;
            dGates[dgOff + hidden + j] = dz;
            dGates[dgOff + 2 * hidden + j] = dn;
            dRecurrent[drOff + j] = dr;
            dRecurrent[drOff + hidden + j] = dz;
            dRecurrent[drOff + 2 * hidden + j] = dn * r;
            dh[dhOff + j] = d * z;
        }
    }
}
