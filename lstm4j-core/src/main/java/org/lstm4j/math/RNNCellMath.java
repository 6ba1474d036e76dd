package org.lstm4j.math;

import org.lstm4j.kernels.PointwiseKernels;

/**
 * The Elman RNN cell: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), or relu. The activated gate is
 * h' itself, so nothing is saved per row besides it.
 */
public final class RNNCellMath extends CellMath {

    /** PyTorch's {@code nonlinearity='tanh'} (mode RNN_TANH). */
    public static final RNNCellMath TANH = new RNNCellMath(false);
    /** PyTorch's {@code nonlinearity='relu'} (mode RNN_RELU). */
    public static final RNNCellMath RELU = new RNNCellMath(true);

    private final boolean relu;

    private RNNCellMath(boolean relu) {
        super(1, false, false, false, false); // one gate; no c; recurrent part added in; nothing saved
        this.relu = relu;
    }

    @Override
    public void forward(PointwiseKernels pointwise, int hidden, int from, int to, float[] gates, int gOff,
                        float[] recurrent, int rOff, float[] c, int cOff, float[] hPrev, int hPrevOff,
                        float[] h, int hOff) {
        pointwise.rnnCellForward(relu, from, to, gates, gOff, h, hOff);
    }

    /** dL/d(pre-activation) = d ⊙ (1 − h'²) for tanh, d where h' &gt; 0 (else 0) for relu. */
    @Override
    public void backward(PointwiseKernels pointwise, int hidden, float[] gates, int gOff, float[] saved, int sOff,
                         float[] cPrev, int cPrevOff, float[] hPrev, int hPrevOff, float[] dh, int dhOff,
                         float[] dc, int dcOff, float[] dGates, int dgOff, float[] dRecurrent, int drOff,
                         float[] scratch) {
        for (int j = 0; j < hidden; j++) {
            float y = gates[gOff + j];
            float d = dh[dhOff + j];
            dGates[dgOff + j] = relu ? (y > 0f ? d : 0f) : d * (1f - y * y);
        }
    }
}
