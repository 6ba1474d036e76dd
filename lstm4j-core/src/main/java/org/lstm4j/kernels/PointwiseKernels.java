package org.lstm4j.kernels;

/**
 * The elementwise part of a recurrent step: the gate activations and the state update of each
 * cell (LSTM, GRU, Elman RNN), on plain {@code float[]} with offsets. {@code src} and {@code dst}
 * may be the same range (in place).
 *
 * <p>Each cell method updates hidden units [from, to) of one row, not always [0, hidden), so a
 * worker thread that owns a slice of hidden units updates only its slice. Gates are stacked as in
 * PyTorch's weights: gate k of unit j at {@code gOff + k·hidden + j}.
 *
 * <p>{@link ScalarPointwiseKernels} is the reference (each activation computed in double,
 * rounded once). A faster implementation must stay within a few float ulps of it, because lstm4j
 * promises libtorch's outputs to within 1e-5; everything but the activations (sums and products
 * of floats) it computes in the reference's order, with the same roundings.
 */
public interface PointwiseKernels {

    /** dst[i] = 1 / (1 + e^(−src[i])) for i in [0, len). */
    void sigmoid(float[] src, int srcOff, float[] dst, int dstOff, int len);

    /** dst[i] = tanh(src[i]) for i in [0, len). */
    void tanh(float[] src, int srcOff, float[] dst, int dstOff, int len);

    /**
     * The LSTM cell update, gates in PyTorch's order i, f, g, o:
     * <pre>
     *   i = σ(gᵢ)  f = σ(g_f)  g = tanh(g_g)  o = σ(g_o)    c' = f ⊙ c + i ⊙ g    h = o ⊙ tanh(c')
     * </pre>
     *
     * @param gates pre-activations (4·hidden) at gOff; units [from, to) of each gate are replaced
     *              by the activated i, f, g, o
     * @param c     c_{t−1} (hidden) at cOff; units [from, to) replaced by c_t
     * @param h     receives h_t for units [from, to) at hOff + from ..
     */
    void lstmCellForward(int hidden, int from, int to, float[] gates, int gOff, float[] c, int cOff,
                         float[] h, int hOff);

    /**
     * The GRU cell update, gates in PyTorch's order r, z, n, evaluated as libtorch's GRUCell:
     * <pre>
     *   r = σ(x_r + h_r)   z = σ(x_z + h_z)   n = tanh(x_n + r ⊙ h_n)   h' = (h − n) ⊙ z + n
     * </pre>
     * where x_k = x·W_ikᵀ + b_ik and h_k = h·W_hkᵀ + b_hk; h' = (h − n) ⊙ z + n is PyTorch's
     * (1 − z) ⊙ n + z ⊙ h.
     *
     * @param gates     x_r, x_z, x_n (3·hidden) at gOff; units [from, to) replaced by r, z, n
     * @param recurrent h_r, h_z, h_n (3·hidden) at rOff, read only
     * @param hPrev     h_{t−1} (hidden) at hPrevOff
     * @param h         receives h_t for units [from, to) at hOff + from ..; may be hPrev itself
     *                  (same array and offset)
     */
    void gruCellForward(int hidden, int from, int to, float[] gates, int gOff, float[] recurrent, int rOff,
                        float[] hPrev, int hPrevOff, float[] h, int hOff);

    /**
     * The Elman RNN cell update: h' = tanh(g) or relu(g) of the pre-activation
     * g = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh.
     *
     * @param relu  relu instead of tanh
     * @param gates pre-activations (hidden) at gOff; units [from, to) replaced by h'
     * @param h     receives h' for units [from, to) at hOff + from ..
     */
    void rnnCellForward(boolean relu, int from, int to, float[] gates, int gOff, float[] h, int hOff);

    /** Short name for logs, e.g. "scalar". */
    String name();
}
