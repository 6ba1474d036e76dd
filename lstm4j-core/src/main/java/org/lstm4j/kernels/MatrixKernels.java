package org.lstm4j.kernels;

/**
 * The matrix products an LSTM needs, on plain row-major {@code float[]} with offsets and leading
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
     * Floats per vector register this implementation computes with (1 for scalar); packed
     * matrices are laid out for it.
     */
    int lanes();

    /** Lays out W (rows, cols), row-major at {@code w[wOff..]}, for {@link #multTransBPacked}. */
    default PackedMatrix pack(float[] w, int wOff, int rows, int cols) {
        return PackedMatrix.plain(w, wOff, rows, cols, lanes());
    }

    /**
     * Lays out a gate weight W (4·hidden, cols), gate rows i, f, g, o, so each panel holds the four
     * gates of one block of hidden units (see {@link PackedMatrix}). Products write C in W's row
     * order, exactly as with {@link #pack}.
     */
    default PackedMatrix packGates(float[] w, int wOff, int hidden, int cols) {
        return PackedMatrix.gateInterleaved(w, wOff, hidden, cols, lanes());
    }

    /**
     * C(m, n) (+)= A(m, k) · W(n, k)ᵀ with W packed by this implementation ({@link #pack} or
     * {@link #packGates}); n = {@code w.rows()}, k = {@code w.cols()}.
     *
     * @throws IllegalArgumentException if {@code w} was packed for a different number of lanes
     */
    void multTransBPacked(int m, float[] a, int aOff, int lda, PackedMatrix w,
                          float[] c, int cOff, int ldc, boolean accumulate);

    /**
     * The part of {@code multTransBPacked(m, a, aOff, lda, w, c, cOff, ldc, true)} that panels
     * [fromPanel, toPanel) of w compute: for a gate-interleaved W, hidden units
     * [fromPanel·lanes, toPanel·lanes) of every gate. Adds into those columns of C, each with
     * exactly the bits the whole product gives it, and leaves the others alone, so threads that
     * own disjoint panel ranges can share one C.
     */
    void multAddTransBPackedPanels(int m, float[] a, int aOff, int lda, PackedMatrix w, int fromPanel, int toPanel,
                                   float[] c, int cOff, int ldc);

    /** Short name for logs, e.g. "scalar". */
    String name();
}
