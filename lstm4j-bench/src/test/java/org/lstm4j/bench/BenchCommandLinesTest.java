package org.lstm4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The harnesses' command lines (side by side, sweep, Flink) and the side-by-side JSON, without running a benchmark. */
class BenchCommandLinesTest {

    /** Run facts for JSON tests whose subject is a row's numbers. */
    static final SideBySide.RunInfo RUN = new SideBySide.RunInfo("d", "j", "c", "k", "default", true);

    @Test
    void optionsAreParsed() {
        SideBySide bench = new SideBySide();
        new CommandLine(bench).parseArgs("--quick", "--configs", "a, c", "--json", "out.json", "--no-gemm");
        assertThat(bench.quick).isTrue();
        assertThat(bench.configs).containsExactly(BenchConfig.byName("a"), BenchConfig.byName("c"));
        assertThat(bench.json).isEqualTo(Path.of("out.json"));
        assertThat(bench.noGemm).isTrue();

        ScalingSweep sweep = new ScalingSweep();
        new CommandLine(sweep).parseArgs();
        assertThat(sweep.quick).isFalse();
        assertThat(sweep.out).isEqualTo(Path.of("docs", "img"));
        new CommandLine(sweep).parseArgs("--quick", "--out", "/tmp/sweep");
        assertThat(sweep.quick).isTrue();
        assertThat(sweep.out).isEqualTo(Path.of("/tmp/sweep"));
    }

    @Test
    void helpIsPrinted() {
        for (Object harness : new Object[] {new SideBySide(), new ScalingSweep(), new FlinkStreamBench()}) {
            StringWriter out = new StringWriter();
            assertThat(new CommandLine(harness).setOut(new PrintWriter(out)).execute("--help")).isZero();
            assertThat(out.toString()).contains("Usage: lstm4j-bench", "--quick", "Examples:");
        }
    }

    @Test
    void flinkBenchOptions() {
        FlinkStreamBench bench = new FlinkStreamBench();
        new CommandLine(bench).parseArgs("--quick", "--keys", "10");
        assertThat(bench.quick).isTrue();
        assertThat(bench.keys).isEqualTo(10);
        assertThat(bench.events).isNull();
        StringWriter err = new StringWriter();
        int status = new CommandLine(new FlinkStreamBench()).setErr(new PrintWriter(err)).execute("--events", "5");
        assertThat(status).isEqualTo(2);
        assertThat(err.toString()).contains("expected --events >= 100 and --keys >= 1, got --events 5 --keys 1000");
    }

    @Test
    void aBadOptionIsAUsageError() {
        StringWriter err = new StringWriter();
        int status = new CommandLine(new SideBySide()).setErr(new PrintWriter(err)).execute("--configs", "z");
        assertThat(status).isEqualTo(2);
        assertThat(err.toString()).contains("expected a config letter a-f, got 'z'");
    }

    @Test
    void quietPeersWithoutAnOpenMpSpinCountIsAUsageError() {
        assumeThat(System.getenv("GOMP_SPINCOUNT")).as("this JVM's GOMP_SPINCOUNT").isNull();
        StringWriter err = new StringWriter();
        int status = new CommandLine(new SideBySide()).setErr(new PrintWriter(err)).execute("--quiet-peers");
        assertThat(status).isEqualTo(2);
        assertThat(err.toString()).contains("--quiet-peers expected GOMP_SPINCOUNT in the environment")
                .contains("got none");
    }

    @Test
    void jsonKeepsItsFieldsAndEscapesStrings() {
        BenchConfig config = BenchConfig.byName("e");
        SideBySide.Row row = new SideBySide.Row(config, 2.0, 3.0, 2.5, 3.58e-7, 0.906, 2.4e-7, 0.01);
        String json = SideBySide.json(List.of(row, row), 261.14, new SideBySide.RunInfo("2026-12-01T05:00Z",
                "JDK \"17\" \\ build", "AMD EPYC", "vector-512", "AVX2", false));
        JsonArray rows = JsonParser.parseString(json).getAsJsonArray();
        assertThat(rows).hasSize(2);
        JsonObject o = rows.get(0).getAsJsonObject();
        assertThat(o.keySet()).containsExactly("config", "shape", "lstm4j_ms", "libtorch_ms", "ratio", "ort_ms",
                "ort_ratio", "target_ratio", "gflops", "peak_gflops", "peak_pct", "libtorch_gflops", "max_abs_diff",
                "max_abs_reference", "ort_max_abs_diff", "others_cpu_pct", "kernels", "jdk", "cpu", "onednn_max_cpu_isa",
                "peers_spin", "date");
        assertThat(o.get("ort_ms").getAsDouble()).isEqualTo(2.5);
        assertThat(o.get("ort_ratio").getAsDouble()).isEqualTo(1.25);
        assertThat(o.get("jdk").getAsString()).isEqualTo("JDK \"17\" \\ build");
        assertThat(o.get("cpu").getAsString()).isEqualTo("AMD EPYC");
        assertThat(o.get("onednn_max_cpu_isa").getAsString()).isEqualTo("AVX2");
        assertThat(o.get("peers_spin").getAsBoolean()).isFalse();
        assertThat(o.get("shape").getAsString()).isEqualTo(config.shape());
        assertThat(json).contains("\"shape\": \"" + config.shape() + "\""); // readable: no \\u003d for =
        assertThat(o.get("ratio").getAsDouble()).isEqualTo(1.5);
        assertThat(o.get("max_abs_diff").getAsDouble()).isEqualTo(3.58e-7);
        assertThat(o.get("peak_gflops").getAsDouble()).isEqualTo(261.1);
        assertThat(o.get("gflops").getAsDouble()).isEqualTo(Measure.significant(config.flops() / 2e6, 4).doubleValue());
    }

    @Test
    void aNonFiniteNumberIsNull() {
        SideBySide.Row row = new SideBySide.Row(BenchConfig.byName("a"), 0.0, 3.0, 1.0, 0, 1, 0, 0);
        JsonObject o = JsonParser.parseString(SideBySide.json(List.of(row), 100, RUN)).getAsJsonArray()
                .get(0).getAsJsonObject();
        assertThat(o.get("ratio").isJsonNull()).isTrue();
    }

    @Test
    void trainingHasNoOnnxRuntimeNumbers() {
        SideBySide.Row row = new SideBySide.Row(BenchConfig.byName("f"), 2.0, 3.0, Double.NaN, 1e-7, 1, Double.NaN, 0);
        JsonObject o = JsonParser.parseString(SideBySide.json(List.of(row), 100, RUN)).getAsJsonArray()
                .get(0).getAsJsonObject();
        assertThat(o.get("ort_ms").isJsonNull()).isTrue();
        assertThat(o.get("ort_ratio").isJsonNull()).isTrue();
        assertThat(o.get("ort_max_abs_diff").isJsonNull()).isTrue();
        assertThat(o.get("ratio").getAsDouble()).isEqualTo(1.5);
    }
}
