package org.lstm4j.math;

import org.lstm4j.kernels.PointwiseKernels;

/**
 * The LSTM cell, gates i, f, g, o as in PyTorch:
 * <pre>
 *   i = σ(x·W_iiᵀ + b_ii + h·W_hiᵀ + b_hi)      c' = f ⊙ c + i ⊙ g
 *   f = σ(x·W_ifᵀ + b_if + h·W_hfᵀ + b_hf)      h' = o ⊙ tanh(c')        (then h' = h'·W_hrᵀ with proj_size)
 *   g = tanh(x·W_igᵀ + b_ig + h·W_hgᵀ + b_hg)
 *   o = σ(x·W_ioᵀ + b_io + h·W_hoᵀ + b_ho)
 * </pre>
 * Saved per row: c_t (the backward recomputes tanh(c_t) with the forward's own tanh kernel).
 */
public final class LSTMCellMath extends CellMath {

    public static final LSTMCellMath INSTANCE = new LSTMCellMath();

    private LSTMCellMath() {
        super(4, true, false, true, false); // gates i, f, g, o; c; recurrent part added in; saves c_t
    }

    @Override
    public void forward(PointwiseKernels pointwise, int hidden, int from, int to, float[] gates, int gOff,
                        float[] recurrent, int rOff, float[] c, int cOff, float[] hPrev, int hPrevOff,
                        float[] h, int hOff) {
        pointwise.lstmCellForward(hidden, from, to, gates, gOff, c, cOff, h, hOff);
    }

    /** saved = c_t. */
    @Override
    public void save(int hidden, int from, int to, float[] recurrent, int rOff, float[] c, int cOff, float[] saved,
                     int sOff) {
        System.arraycopy(c, cOff + from, saved, sOff + from, to - from);
    }

    /** tanh(c_t) into scratch by the forward's tanh kernel, so both see the same h_t; then the chain rule. */
    @Override
    public void backward(PointwiseKernels pointwise, int hidden, float[] gates, int gOff, float[] saved, int sOff,
                         float[] cPrev, int cPrevOff, float[] hPrev, int hPrevOff, float[] dh, int dhOff,
                         float[] dc, int dcOff, float[] dGates, int dgOff, float[] dRecurrent, int drOff,
                         float[] scratch) {
        pointwise.tanh(saved, sOff, scratch, 0, hidden);
        for (int j = 0; j < hidden; j++) {
            float i = gates[gOff + j];
            float f = gates[gOff + hidden + j];
            float g = gates[gOff + 2 * hidden + j];
            float o = gates[gOff + 3 * hidden + j];
            float tc = scratch[j];
            float dhj = dh[dhOff + j];
            float dcT = dc[dcOff + j] + dhj * o * (1f - tc * tc);
            dGates[dgOff + j] = dcT * g * i * (1f - i);
            dGates[dgOff + hidden + j] = dcT * cPrev[cPrevOff + j] * f * (1f - f);
            dGates[dgOff + 2 * hidden + j] = dcT * i * (1f - g * g);
            dGates[dgOff + 3 * hidden + j] = dhj * tc * o * (1f - o);
            dc[dcOff + j] = dcT * f;
        }
    }
}
