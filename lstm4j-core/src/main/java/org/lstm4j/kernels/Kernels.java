package org.lstm4j.kernels;

/**
 * Chooses the {@link MatrixKernels} implementation once per JVM.
 *
 * <p>Today this is always the scalar reference; the SIMD implementation plugs in here.
 */
public final class Kernels {

    private static final MatrixKernels SELECTED = ScalarMatrixKernels.INSTANCE;

    private Kernels() {
    }

    /** The implementation every layer uses by default. */
    public static MatrixKernels matrix() {
        return SELECTED;
    }
}
