package org.lstm4j.kernels;

/**
 * The reference implementation of {@link MatrixKernels}: plain loops, kept on purpose as the
 * oracle every faster kernel is tested against and as the fallback when SIMD is unavailable.
 * Loop orders are chosen so the innermost loop walks memory contiguously.
 */
public final class ScalarMatrixKernels implements MatrixKernels {

    public static final ScalarMatrixKernels INSTANCE = new ScalarMatrixKernels();

    private ScalarMatrixKernels() {
    }

    @Override
    public void multTransB(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                           float[] c, int cOff, int ldc, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            int aRow = aOff + i * lda;
            int cRow = cOff + i * ldc;
            for (int j = 0; j < n; j++) {
                int bRow = bOff + j * ldb;
                float sum = 0f;
                for (int p = 0; p < k; p++) {
                    sum += a[aRow + p] * b[bRow + p];
                }
                c[cRow + j] = accumulate ? c[cRow + j] + sum : sum;
            }
        }
    }

    @Override
    public void mult(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            int cRow = cOff + i * ldc;
            if (!accumulate) {
                java.util.Arrays.fill(c, cRow, cRow + n, 0f);
            }
            int aRow = aOff + i * lda;
            for (int p = 0; p < k; p++) {
                float aip = a[aRow + p];
                int bRow = bOff + p * ldb;
                for (int j = 0; j < n; j++) {
                    c[cRow + j] += aip * b[bRow + j];
                }
            }
        }
    }

    @Override
    public void multTransA(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                           float[] c, int cOff, int ldc, boolean accumulate) {
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
        }
        for (int p = 0; p < k; p++) {
            int aRow = aOff + p * lda;
            int bRow = bOff + p * ldb;
            for (int i = 0; i < m; i++) {
                float api = a[aRow + i];
                int cRow = cOff + i * ldc;
                for (int j = 0; j < n; j++) {
                    c[cRow + j] += api * b[bRow + j];
                }
            }
        }
    }

    /** One float per "vector": panels are 4 rows wide. */
    @Override
    public int lanes() {
        return 1;
    }

    /**
     * Reads any {@link PanelMatrix} layout, whatever its lanes and precision, so it also serves as
     * the oracle for layouts made for the vector kernels. Sums run over k in order, as in
     * {@link #multTransB}; each is then multiplied by its row's scale (1 unless int8) and added to C.
     */
    @Override
    public void multTransBPanels(int m, float[] a, int aOff, int lda, PanelMatrix w,
                                 float[] c, int cOff, int ldc, boolean accumulate) {
        panelRange(m, a, aOff, lda, w, 0, w.panels(), c, cOff, ldc, accumulate);
    }

    @Override
    public void multAddTransBPanelRange(int m, float[] a, int aOff, int lda, PanelMatrix w, int fromPanel,
                                        int toPanel, float[] c, int cOff, int ldc) {
        panelRange(m, a, aOff, lda, w, fromPanel, toPanel, c, cOff, ldc, true);
    }

    private static void panelRange(int m, float[] a, int aOff, int lda, PanelMatrix w, int fromPanel, int toPanel,
                                   float[] c, int cOff, int ldc, boolean accumulate) {
        int k = w.cols();
        int width = w.panelWidth();
        float[] data = w.data();
        for (int q = fromPanel; q < toPanel; q++) {
            for (int group = 0; group < 4; group++) {
                int start = w.groupStart(q, group);
                for (int lane = 0; lane < w.groupCount(q, group); lane++) {
                    int panelRow = q * width + group * w.lanes() + lane;
                    int column = q * width * k + group * w.lanes() + lane;
                    float scale = w.rowScale(panelRow);
                    int j = start + lane;
                    for (int i = 0; i < m; i++) {
                        int aRow = aOff + i * lda;
                        float sum = 0f;
                        if (data != null) {
                            for (int p = 0; p < k; p++) {
                                sum += a[aRow + p] * data[column + p * width];
                            }
                        } else {
                            for (int p = 0; p < k; p++) {
                                sum += a[aRow + p] * w.weight(panelRow, p);
                            }
                        }
                        float product = scale * sum;
                        int cj = cOff + i * ldc + j;
                        c[cj] = accumulate ? c[cj] + product : product;
                    }
                }
            }
        }
    }

    @Override
    public String name() {
        return "scalar";
    }
}
