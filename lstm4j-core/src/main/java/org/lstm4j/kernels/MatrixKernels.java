package org.lstm4j.kernels;

import org.lstm4j.tensor.Precision;

/**
 * The matrix products a recurrent layer needs, on plain row-major {@code float[]} with offsets and leading
 * dimensions (EJML-style names: {@code mult}, {@code multTransA}, {@code multTransB}).
 *
 * <p>Every method computes {@code C = A·B} (in the named transposed form) and either overwrites
 * C ({@code accumulate == false}) or adds to it ({@code accumulate == true}). Shapes are given as
 * (m, n, k): C is (m, n), the shared dimension is k. {@code ldX} is the distance in floats between
 * consecutive rows of X. C must not alias A or B.
 *
 * <p>{@link ScalarMatrixKernels} is the reference; faster implementations must agree with it to
 * within float rounding.
 */
public interface MatrixKernels {

    /** C(m, n) (+)= A(m, k) · B(n, k)ᵀ: activations times a PyTorch weight (out, in). */
    void multTransB(int m, int n, int k,
                    float[] a, int aOff, int lda,
                    float[] b, int bOff, int ldb,
                    float[] c, int cOff, int ldc,
                    boolean accumulate);

    /** C(m, n) (+)= A(m, k) · B(k, n): gradients back through a weight, dX = dY · W. */
    void mult(int m, int n, int k,
              float[] a, int aOff, int lda,
              float[] b, int bOff, int ldb,
              float[] c, int cOff, int ldc,
              boolean accumulate);

    /** C(m, n) (+)= A(k, m)ᵀ · B(k, n): weight gradients, dW = dYᵀ · X summed over rows. */
    void multTransA(int m, int n, int k,
                    float[] a, int aOff, int lda,
                    float[] b, int bOff, int ldb,
                    float[] c, int cOff, int ldc,
                    boolean accumulate);

    /**
     * Floats per vector register this implementation computes with (1 for scalar); panel
     * matrices are laid out for it.
     */
    int lanes();

    /** Lays out W (rows, cols), row-major at {@code w[wOff..]}, for {@link #multTransBPanels}. */
    default PanelMatrix panels(float[] w, int wOff, int rows, int cols) {
        return panels(w, wOff, rows, cols, Precision.FP32);
    }

    /** {@link #panels(float[], int, int, int)} with the weights stored in {@code precision}. */
    default PanelMatrix panels(float[] w, int wOff, int rows, int cols, Precision precision) {
        return PanelMatrix.plain(w, wOff, rows, cols, lanes(), precision);
    }

    /**
     * Lays out a recurrent layer's gate weight W (gates·hidden, cols), gate after gate as PyTorch
     * stacks them, so each panel holds all gates of a block of hidden units (see
     * {@link PanelMatrix}). Products write C in W's row order, exactly as with {@link #panels}.
     */
    default PanelMatrix gatePanels(float[] w, int wOff, int gates, int hidden, int cols) {
        return gatePanels(w, wOff, gates, hidden, cols, Precision.FP32);
    }

    /** {@link #gatePanels(float[], int, int, int, int)} with the weights stored in {@code precision}. */
    default PanelMatrix gatePanels(float[] w, int wOff, int gates, int hidden, int cols, Precision precision) {
        return PanelMatrix.gateInterleaved(w, wOff, gates, hidden, cols, lanes(), precision);
    }

    /**
     * C(m, n) (+)= A(m, k) · W(n, k)ᵀ with W laid out by this implementation ({@link #panels} or
     * {@link #gatePanels}); n = {@code w.rows()}, k = {@code w.cols()}. W is read as
     * {@link PanelMatrix} defines it for its precision: bf16 weights widened, int8 weights times
     * their row's scale, every sum in float32.
     *
     * @throws IllegalArgumentException if {@code w} was laid out for a different number of lanes
     */
    void multTransBPanels(int m, float[] a, int aOff, int lda, PanelMatrix w,
                          float[] c, int cOff, int ldc, boolean accumulate);

    /**
     * The part of {@code multTransBPanels(m, a, aOff, lda, w, c, cOff, ldc, true)} that panels
     * [fromPanel, toPanel) of w compute: for a gate-interleaved W and a range of whole slices
     * ({@link PanelMatrix#slicePanel}), a range of hidden units of every gate. Adds into those
     * columns of C, each with exactly the bits the whole product gives it, and leaves the others
     * alone, so threads that own disjoint panel ranges can share one C.
     */
    void multAddTransBPanelRange(int m, float[] a, int aOff, int lda, PanelMatrix w, int fromPanel, int toPanel,
                                 float[] c, int cOff, int ldc);

    /** Short name for logs, e.g. "scalar". */
    String name();
}
