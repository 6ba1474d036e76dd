package org.lstm4j.math;

import org.lstm4j.kernels.MatrixKernels;

/**
 * {@code torch.nn.functional.linear}: y = x·Wᵀ + b over rows, forward and backward.
 * Shapes: R = rows (all leading dimensions flattened), I = in features, O = out features.
 */
public final class LinearMath {

    private LinearMath() {
    }

    /**
     * y(R, O) = x(R, I) · W(O, I)ᵀ + b.
     *
     * @param b (O) or null without bias
     */
    public static void linearForward(MatrixKernels kernels, int rows, int in, int out,
                                     float[] x, float[] w, float[] b, float[] y) {
        kernels.multTransB(rows, out, in, x, 0, in, w, 0, in, y, 0, out, false);
        if (b != null) {
            for (int r = 0; r < rows; r++) {
                int off = r * out;
                for (int j = 0; j < out; j++) {
                    y[off + j] += b[j];
                }
            }
        }
    }

    /**
     * dW(O, I) += dy(R, O)ᵀ · x(R, I); db(O) += column sums of dy; dx(R, I) += dy · W.
     *
     * @param db (O) or null without bias
     * @param dx (R, I) or null when the input needs no gradient
     */
    public static void linearBackward(MatrixKernels kernels, int rows, int in, int out,
                                      float[] dy, float[] x, float[] w, float[] dW, float[] db, float[] dx) {
        kernels.multTransA(out, in, rows, dy, 0, out, x, 0, in, dW, 0, in, true);
        if (db != null) {
            for (int r = 0; r < rows; r++) {
                int off = r * out;
                for (int j = 0; j < out; j++) {
                    db[j] += dy[off + j];
                }
            }
        }
        if (dx != null) {
            kernels.mult(rows, in, out, dy, 0, out, w, 0, in, dx, 0, in, true);
        }
    }
}
