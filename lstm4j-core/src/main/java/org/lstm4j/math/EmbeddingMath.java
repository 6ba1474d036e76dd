package org.lstm4j.math;

/**
 * {@code torch.nn.functional.embedding}: a row lookup, forward and backward.
 * Shapes: M = number of indices, V = rows of the table, E = embedding dim.
 */
public final class EmbeddingMath {

    private EmbeddingMath() {
    }

    /** y(M, E): row m is weight[indices[m]]. Indices must already be checked against V. */
    public static void embeddingForward(int dim, int[] indices, float[] weight, float[] y) {
        for (int m = 0; m < indices.length; m++) {
            System.arraycopy(weight, indices[m] * dim, y, m * dim, dim);
        }
    }

    /**
     * dWeight(V, E)[indices[m]] += dy[m]; rows equal to {@code paddingIdx} get nothing, as in
     * PyTorch (-1: no padding row).
     */
    public static void embeddingBackward(int dim, int[] indices, int paddingIdx, float[] dy, float[] dWeight) {
        for (int m = 0; m < indices.length; m++) {
            int row = indices[m];
            if (row == paddingIdx) {
                continue;
            }
            int dst = row * dim;
            int src = m * dim;
            for (int j = 0; j < dim; j++) {
                dWeight[dst + j] += dy[src + j];
            }
        }
    }
}
