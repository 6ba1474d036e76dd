package org.lstm4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * bin/lstm4j as a user runs it, on the packaged jar (so after {@code package}: failsafe): what
 * reaches stderr is lstm4j's one line, never the JVM's incubator warning, a log line or a stack
 * trace.
 */
class LauncherIT {

    private static final Path LAUNCHER = Path.of(System.getProperty("lstm4j.launcher", "../bin/lstm4j"));

    record Run(int status, String out, List<String> errLines) {
    }

    private static Run launch(List<String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("bash");
        command.add(LAUNCHER.toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("LSTM4J_BUILD_FOLDER", System.getProperty("lstm4j.buildFolder", "target"));
        for (String kv : env) {
            int eq = kv.indexOf('=');
            pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        String err = read(p.getErrorStream());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("bin/lstm4j %s finished", String.join(" ", args)).isTrue();
        return new Run(p.exitValue(), out.join(), err.lines().toList());
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** One line from lstm4j, no JVM warning, no log line, no stack trace. */
    private static void assertOneLine(Run r, int status, String start) {
        assertThat(r.errLines()).as("stderr").hasSize(1);
        assertThat(r.errLines().get(0)).startsWith(start).doesNotContain("WARNING", "Exception", "\tat ");
        assertThat(r.status()).as("exit status; stderr %s", r.errLines()).isEqualTo(status);
    }

    @Test
    void theIssuesFourCommandsPrintOneLineEach() throws Exception {
        assertOneLine(launch(List.of(), "run", "--bogus"), 2, "lstm4j run: unknown option '--bogus'");
        assertOneLine(launch(List.of(), "nosuchverb"), 2, "lstm4j: 'nosuchverb' is not a command");
        assertOneLine(launch(List.of(), "shapes", "--input-size", "ten", "--hidden-size", "20"), 2,
                "lstm4j shapes: --input-size expects a whole number, got 'ten'");
        assertOneLine(launch(List.of(), "run", "--weights", "/nonexistent.pt", "--input", "x.npy", "--out", "d"), 1,
                "lstm4j: no such file: /nonexistent.pt");
    }

    @Test
    void aSuccessfulCommandLeavesStderrEmptyAndVerboseNamesTheKernels() throws Exception {
        Run quiet = launch(List.of(), "shapes", "--input-size", "2", "--hidden-size", "3");
        assertThat(quiet.status()).isZero();
        assertThat(quiet.errLines()).isEmpty();
        assertThat(quiet.out()).contains("[ok] output[-1] == h_n[-1]");

        Run verbose = launch(List.of(), "shapes", "-v", "--input-size", "2", "--hidden-size", "3");
        assertThat(verbose.status()).isZero();
        // The launcher adds the incubator module whenever the JDK has it, so the SIMD kernels are chosen.
        assertThat(verbose.errLines()).singleElement().asString().matches("lstm4j uses vector-\\d+ kernels \\(jdk.incubator.vector\\)");
    }

    @Test
    void outOfMemoryIsOneLineWithTheHeapLimitAndTheSizeNeeded() throws Exception {
        // weight_hh_l0 alone is (12000, 3000) floats = 137 MiB, over a 32 MiB heap.
        Run r = launch(List.of("LSTM4J_JAVA_OPTS=-Xmx32m"), "shapes", "--input-size", "10", "--hidden-size", "3000");
        assertOneLine(r, 1, "lstm4j: out of memory: this needs more than the ");
        assertThat(r.errLines().get(0)).contains("MiB the Java heap may use", "LSTM4J_JAVA_OPTS=-Xmx2g",
                "(a tensor of shape [12000, 3000] needs 137 MiB (36000000 floats))");
    }
}
