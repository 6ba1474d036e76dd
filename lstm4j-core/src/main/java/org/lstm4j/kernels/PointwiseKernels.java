package org.lstm4j.kernels;

/**
 * The elementwise part of an LSTM step: the gate activations and the cell update, on plain
 * {@code float[]} with offsets. {@code src} and {@code dst} may be the same range (in place).
 *
 * <p>{@link ScalarPointwiseKernels} is the reference (each value computed in double, rounded once).
 * A faster implementation must stay within a few float ulps of it, because lstm4j promises
 * libtorch's outputs to within 1e-5.
 */
public interface PointwiseKernels {

    /** dst[i] = 1 / (1 + e^(−src[i])) for i in [0, len). */
    void sigmoid(float[] src, int srcOff, float[] dst, int dstOff, int len);

    /** dst[i] = tanh(src[i]) for i in [0, len). */
    void tanh(float[] src, int srcOff, float[] dst, int dstOff, int len);

    /**
     * The LSTM cell update for hidden units [from, to) of one row, gates in PyTorch's order
     * i, f, g, o:
     * <pre>
     *   i = σ(gᵢ)  f = σ(g_f)  g = tanh(g_g)  o = σ(g_o)    c' = f ⊙ c + i ⊙ g    h = o ⊙ tanh(c')
     * </pre>
     * A unit range, not always [0, hidden), so a worker thread that owns a slice of hidden units
     * updates only its slice.
     *
     * @param gates pre-activations (4·hidden) at gOff; units [from, to) of each gate are replaced
     *              by the activated i, f, g, o
     * @param c     c_{t−1} (hidden) at cOff; units [from, to) replaced by c_t
     * @param h     receives h_t for units [from, to) at hOff + from ..
     */
    void cellForward(int hidden, int from, int to, float[] gates, int gOff, float[] c, int cOff,
                     float[] h, int hOff);

    /** Short name for logs, e.g. "scalar". */
    String name();
}
