package org.lstm4j.kernels;

import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * Chooses the kernel implementations once per JVM (Lucene's vectorization-provider pattern).
 *
 * <p>The SIMD kernels in {@code org.lstm4j.kernels.vector} use the incubating
 * {@code jdk.incubator.vector} module. They are picked when that module is in the boot layer
 * (run java with {@code --add-modules jdk.incubator.vector}) and the JVM compiles with C2;
 * otherwise the scalar references are used. Only that package mentions the module, and it is
 * loaded by name, so lstm4j loads and runs on a JDK without it. One log line says which was
 * chosen and, on fallback, how to enable SIMD.
 *
 * <p>{@code -Dlstm4j.vectorBitSize=N} overrides the vector width (llama3.java style): 0 forces the
 * scalar kernels, 128/256/512 pick that width; unset means the CPU's preferred width.
 *
 * <pre>{@code
 * MatrixKernels k = Kernels.matrix();   // "vector-512" with the module on AVX-512, else "scalar"
 * }</pre>
 */
public final class Kernels {

    /** System property: vector width in bits, 0 = scalar. */
    public static final String VECTOR_BIT_SIZE_PROPERTY = "lstm4j.vectorBitSize";

    static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String VECTOR_MATRIX_CLASS = "org.lstm4j.kernels.vector.VectorMatrixKernels";
    private static final String VECTOR_POINTWISE_CLASS = "org.lstm4j.kernels.vector.VectorPointwiseKernels";

    private static final System.Logger LOG = System.getLogger(Kernels.class.getName());

    private static final MatrixKernels MATRIX;
    private static final PointwiseKernels POINTWISE;

    static {
        Optional<String> whyNot = vectorUnavailableReason();
        MatrixKernels matrix = ScalarMatrixKernels.INSTANCE;
        PointwiseKernels pointwise = ScalarPointwiseKernels.INSTANCE;
        if (whyNot.isEmpty()) {
            // Named-module builds need the read edge; on the class path it already exists.
            ModuleLayer.boot().findModule(VECTOR_MODULE).ifPresent(Kernels.class.getModule()::addReads);
            try {
                matrix = (MatrixKernels) newInstance(VECTOR_MATRIX_CLASS);
                pointwise = (PointwiseKernels) newInstance(VECTOR_POINTWISE_CLASS);
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                whyNot = Optional.of("the vector kernels failed to load (" + e + ")");
                matrix = ScalarMatrixKernels.INSTANCE;
                pointwise = ScalarPointwiseKernels.INSTANCE;
            }
        }
        MATRIX = matrix;
        POINTWISE = pointwise;
        if (whyNot.isEmpty()) {
            LOG.log(Level.INFO, "lstm4j uses " + matrix.name() + " kernels (" + VECTOR_MODULE + ")");
        } else {
            LOG.log(Level.WARNING, "lstm4j uses its scalar kernels: " + whyNot.get()
                    + ". For SIMD speed run java with --add-modules " + VECTOR_MODULE + " (C2 enabled, "
                    + VECTOR_BIT_SIZE_PROPERTY + " unset or > 0).");
        }
    }

    private Kernels() {
    }

    /** The matrix products every layer uses by default. */
    public static MatrixKernels matrix() {
        return MATRIX;
    }

    /** The gate activations and cell update every layer uses by default. */
    public static PointwiseKernels pointwise() {
        return POINTWISE;
    }

    /**
     * Why the vector kernels cannot be used in this JVM, or empty if they can. Checked in order:
     * the override property, the incubator module, the JIT.
     */
    static Optional<String> vectorUnavailableReason() {
        String bits = System.getProperty(VECTOR_BIT_SIZE_PROPERTY);
        if (bits != null && bits.strip().equals("0")) {
            return Optional.of(VECTOR_BIT_SIZE_PROPERTY + "=0 forces them");
        }
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
            return Optional.of("module " + VECTOR_MODULE + " is not in the boot layer");
        }
        String vmName = System.getProperty("java.vm.name", "");
        String vmInfo = System.getProperty("java.vm.info", "");
        if (!vmName.contains("HotSpot") && !vmName.contains("OpenJDK")) {
            return Optional.of("the JVM is not HotSpot (" + vmName + ")");
        }
        if (vmInfo.contains("emulated-client") || vmInfo.contains("interpreted mode")) {
            return Optional.of("the C2 compiler is disabled (" + vmInfo + ")");
        }
        return Optional.empty();
    }

    /**
     * A new instance of the named kernel class in {@code org.lstm4j.kernels.vector}; for the
     * provider and for tests comparing vector with scalar in one JVM. Throws if the module or the
     * requested width is unavailable.
     */
    static Object newInstance(String className) throws ReflectiveOperationException {
        return Class.forName(className).getConstructor().newInstance();
    }

    /** The vector matrix kernels, or empty when they cannot run in this JVM. */
    static Optional<MatrixKernels> vectorMatrix() {
        return loadVector(VECTOR_MATRIX_CLASS, MatrixKernels.class);
    }

    /** The vector pointwise kernels, or empty when they cannot run in this JVM. */
    static Optional<PointwiseKernels> vectorPointwise() {
        return loadVector(VECTOR_POINTWISE_CLASS, PointwiseKernels.class);
    }

    private static <T> Optional<T> loadVector(String className, Class<T> type) {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(type.cast(newInstance(className)));
        } catch (ReflectiveOperationException | LinkageError e) {
            return Optional.empty();
        }
    }
}
