package org.lstm4j.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The provider's choice, and the rule that only org.lstm4j.kernels.vector touches the incubator module. */
class KernelsTest {

    @Test
    void picksVectorKernelsExactlyWhenTheyCanRun() {
        boolean modulePresent = ModuleLayer.boot().findModule(Kernels.VECTOR_MODULE).isPresent();
        boolean forcedScalar = "0".equals(System.getProperty(Kernels.VECTOR_BIT_SIZE_PROPERTY));
        if (modulePresent && !forcedScalar) {
            assertThat(Kernels.vectorUnavailableReason()).isEmpty();
            assertThat(Kernels.matrix().name()).startsWith("vector-");
            assertThat(Kernels.pointwise().name()).isEqualTo(Kernels.matrix().name());
            assertThat(Kernels.matrix().lanes()).isGreaterThanOrEqualTo(4);
        } else {
            assertThat(Kernels.vectorUnavailableReason()).isPresent();
            assertThat(Kernels.matrix()).isSameAs(ScalarMatrixKernels.INSTANCE);
            assertThat(Kernels.pointwise()).isSameAs(ScalarPointwiseKernels.INSTANCE);
        }
        if (forcedScalar) {
            assertThat(Kernels.vectorUnavailableReason()).hasValue("lstm4j.vectorBitSize=0 forces them");
        } else if (!modulePresent) {
            assertThat(Kernels.vectorUnavailableReason())
                    .hasValue("module jdk.incubator.vector is not in the boot layer");
        }
        if (!modulePresent) {
            assertThat(Kernels.vectorMatrix()).isEmpty();
        }
    }

    /**
     * The runs of the kernel tests at 128 and 256 bits (lstm4j-core/pom.xml) test those widths
     * only if forcing a width really makes every kernel use it.
     */
    @Test
    void aForcedWidthIsTheWidthEveryKernelUses() {
        int bits = Integer.getInteger(Kernels.VECTOR_BIT_SIZE_PROPERTY, 0);
        assumeTrue(bits > 0 && ModuleLayer.boot().findModule(Kernels.VECTOR_MODULE).isPresent(),
                "no vector width forced (-D" + Kernels.VECTOR_BIT_SIZE_PROPERTY + "=128|256|512)");
        assertThat(Kernels.matrix().name()).isEqualTo("vector-" + bits);
        assertThat(Kernels.pointwise().name()).isEqualTo("vector-" + bits);
        assertThat(Kernels.matrix().lanes()).isEqualTo(bits / Float.SIZE);
        assertThat(Kernels.vectorMatrix()).hasValueSatisfying(k -> assertThat(k.name()).isEqualTo("vector-" + bits));
    }

    @Test
    void onlyTheVectorPackageReferencesTheIncubatorModule() throws Exception {
        Path classes = Path.of(Kernels.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path vectorPackage = classes.resolve("org/lstm4j/kernels/vector");
        List<Path> offenders;
        try (Stream<Path> files = Files.walk(classes.resolve("org/lstm4j"))) {
            offenders = files.filter(f -> f.toString().endsWith(".class"))
                    .filter(f -> !f.startsWith(vectorPackage))
                    .filter(KernelsTest::mentionsIncubatorVector)
                    .collect(Collectors.toList());
        }
        assertThat(offenders).as("classes outside org.lstm4j.kernels.vector that reference jdk.incubator.vector")
                .isEmpty();
        try (Stream<Path> files = Files.list(vectorPackage)) {
            assertThat(files.anyMatch(KernelsTest::mentionsIncubatorVector)).as("the check itself finds references")
                    .isTrue();
        }
    }

    private static boolean mentionsIncubatorVector(Path classFile) {
        try {
            return new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1)
                    .contains("jdk/incubator/vector");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
