package org.lstm4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lstm4j.nn.LSTM;

/**
 * Only the API packages are exported by the module {@code org.lstm4j}: a user on the module path
 * can use LSTM, Tensor, io, optim, but cannot compile against the kernels, the equations or the
 * internal accessors.
 */
class ModuleBoundaryTest {

    private static final Set<String> API = Set.of("org.lstm4j.tensor", "org.lstm4j.nn", "org.lstm4j.nn.loss",
            "org.lstm4j.nn.utils", "org.lstm4j.autograd", "org.lstm4j.optim", "org.lstm4j.io");
    private static final Set<String> IMPLEMENTATION = Set.of("org.lstm4j.internal", "org.lstm4j.math",
            "org.lstm4j.kernels", "org.lstm4j.kernels.vector");
    private static final Path CLASSES = Path.of("target", "classes");

    @Test
    void exportsExactlyTheApiPackages() {
        ModuleDescriptor module = LSTM.class.getModule().getDescriptor();
        assertThat(module).as("tests run inside the named module").isNotNull();
        assertThat(module.name()).isEqualTo("org.lstm4j");
        assertThat(module.exports()).allMatch(e -> !e.isQualified());
        assertThat(module.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()))
                .isEqualTo(API);
        assertThat(module.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("java.base", "jdk.incubator.vector");
    }

    /** A new package must be put on one side on purpose. */
    @Test
    void everyPackageOfTheLibraryIsApiOrImplementation() throws IOException {
        Set<String> packages;
        try (Stream<Path> files = Files.walk(CLASSES)) {
            packages = files.filter(f -> f.toString().endsWith(".class") && !f.endsWith("module-info.class"))
                    .map(f -> CLASSES.relativize(f.getParent()).toString().replace('/', '.'))
                    .collect(Collectors.toSet());
        }
        assertThat(packages).isNotEmpty().allMatch(p -> API.contains(p) || IMPLEMENTATION.contains(p));
    }

    @Test
    void aUserOnTheModulePathCompilesAgainstTheApiButNotTheKernels(@TempDir Path dir) throws IOException {
        String api = "import org.lstm4j.nn.LSTM; import org.lstm4j.tensor.Tensor;"
                + " class UsesApi { Tensor run() { return new LSTM(3, 4).forward(Tensor.zeros(2, 1, 3)).output(); } }";
        String kernels = "import org.lstm4j.kernels.Kernels; class UsesKernels { Object k = Kernels.matrix(); }";
        Compilation usesApi = compile(dir.resolve("api"), api, "UsesApi");
        assertThat(usesApi.succeeded()).as(usesApi.diagnostics()).isTrue();
        Compilation usesKernels = compile(dir.resolve("kernels"), kernels, "UsesKernels");
        assertThat(usesKernels.succeeded()).isFalse();
        assertThat(usesKernels.diagnostics()).contains("package org.lstm4j.kernels is not visible");
    }

    private record Compilation(boolean succeeded, String diagnostics) {
    }

    /** Compiles a one-class module {@code user} requiring org.lstm4j. */
    private static Compilation compile(Path dir, String source, String className) throws IOException {
        Path src = Files.createDirectories(dir.resolve("user"));
        Files.writeString(src.resolve("module-info.java"), "module user { requires org.lstm4j; }");
        Files.writeString(src.resolve(className + ".java"), source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        boolean succeeded;
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        List<String> options = List.of("-d", dir.resolve("out").toString(), "--module-path", CLASSES.toString());
        try (StandardJavaFileManager files = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8);
             OutputStreamWriter err = new OutputStreamWriter(diagnostics, StandardCharsets.UTF_8)) {
            succeeded = javac.getTask(err, files, null, options, null, files.getJavaFileObjects(src.resolve("module-info.java"),
                    src.resolve(className + ".java"))).call();
        }
        return new Compilation(succeeded, diagnostics.toString(StandardCharsets.UTF_8));
    }
}
