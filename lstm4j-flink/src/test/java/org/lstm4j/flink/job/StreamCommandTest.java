package org.lstm4j.flink.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lstm4j.flink.Event;
import org.lstm4j.flink.Fixtures;
import org.lstm4j.flink.ModelRef;
import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Precision;

/** {@code bin/lstm4j stream}'s command: a whole embedded run, and one-line errors for bad input. */
class StreamCommandTest {
    @TempDir
    Path dir;

    private record Result(int status, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = StreamCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(status, out.toString(), err.toString());
    }

    private Path events(List<Event> events, int features) throws Exception {
        List<String> lines = new ArrayList<>();
        StringBuilder header = new StringBuilder("key,seq");
        for (int i = 0; i < features; i++) {
            header.append(",x").append(i);
        }
        lines.add(header.toString());
        for (Event e : events) {
            StringBuilder line = new StringBuilder(e.key()).append(',').append(e.seq());
            for (float v : e.features()) {
                line.append(',').append(v);
            }
            lines.add(line.toString());
        }
        Path csv = dir.resolve("events.csv");
        Files.write(csv, lines, StandardCharsets.UTF_8);
        return csv;
    }

    @Test
    void aWholeRunEndsWithTheSummaryLineAndWritesEachOutputOnce() throws Exception {
        LSTM lstm = Fixtures.smallLstm(31);
        ModelRef model = Fixtures.writeModel(dir, "model", lstm);
        List<Event> input = Fixtures.interleaved(4, 6, 5, 32);
        Path out = dir.resolve("out");
        Result r = run("--weights", Path.of(java.net.URI.create(model.location())).toString(), "--events",
                events(input, 5).toString(), "--out", out.toString(), "--checkpoint-ms", "100");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.errLines().get(r.errLines().size() - 1)).matches(
                "events 24, outputs 24, rejected 0, checkpoints [1-9][0-9]*, restarts 0");
        java.util.Map<String, float[]> outputs = new java.util.LinkedHashMap<>();
        for (String line : CommittedOutput.lines(out.resolve("output"))) {
            String[] f = line.split(",");
            float[] y = new float[f.length - 2];
            for (int i = 0; i < y.length; i++) {
                y[i] = Float.parseFloat(f[i + 2]);
            }
            assertThat(outputs.put(f[0] + "/" + f[1], y)).isNull();
        }
        Fixtures.assertSameOutputs(Fixtures.reference(lstm, input), outputs);
    }

    /** --weight-precision reaches the job's model reference (and so the operators' model); bad values are usage errors. */
    @Test
    void weightPrecisionIsPartOfTheJobsModelAndABadValueIsAOneLineUsageError() throws Exception {
        String weights = Path.of(java.net.URI.create(Fixtures.writeModel(dir, "model", Fixtures.smallLstm(35)).location()))
                .toString();
        Path csv = events(List.of(new Event("a", 0, new float[5])), 5);
        for (Precision precision : Precision.values()) {
            StreamOptions options = StreamCommand.parse("--weights", weights, "--events", csv.toString(), "--out",
                    dir.resolve("out").toString(), "--weight-precision", precision.cliName());
            assertThat(options.weightPrecision()).isEqualTo(precision);
            assertThat(StreamJob.model(options).precision()).isEqualTo(precision);
        }
        assertThat(StreamCommand.parse("--weights", weights, "--events", csv.toString(), "--out", "o").weightPrecision())
                .isEqualTo(Precision.FP32);

        Result bad = run("--weights", weights, "--events", csv.toString(), "--out", "o", "--weight-precision", "fp16");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.errLines()).containsExactly("lstm4j stream: invalid value for option '--weight-precision':"
                + " expected a weight precision fp32, bf16 or int8, got 'fp16' (try bin/lstm4j stream --help)");
    }

    @Test
    void badInputIsOneLineOnStderr() throws Exception {
        LSTM lstm = Fixtures.smallLstm(33);
        String weights = Path.of(java.net.URI.create(Fixtures.writeModel(dir, "model", lstm).location())).toString();
        Path sixFeatures = events(List.of(new Event("a", 0, new float[6])), 6);
        String out = dir.resolve("out").toString();

        Result missing = run("--weights", dir.resolve("nope.pt").toString(), "--events", sixFeatures.toString(), "--out", out);
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.errLines()).containsExactly("lstm4j: no such file: " + dir.resolve("nope.pt"));

        Result features = run("--weights", weights, "--events", sixFeatures.toString(), "--out", out);
        assertThat(features.status()).isEqualTo(1);
        assertThat(features.errLines()).last().asString().startsWith("lstm4j: ")
                .endsWith("events.csv has 6 features per event (x0..x5) but the model's input_size is 5");
        assertThat(features.err()).doesNotContain("\tat ");

        Result backend = run("--weights", weights, "--events", sixFeatures.toString(), "--out", out,
                "--state-backend", "memory");
        assertThat(backend.status()).isEqualTo(1);
        assertThat(backend.errLines()).containsExactly("lstm4j: --state-backend must be hashmap or rocksdb, got memory");

        Files.writeString(dir.resolve("noheader.csv"), "a,0,1,2,3,4,5\n");
        Result header = run("--weights", weights, "--events", dir.resolve("noheader.csv").toString(), "--out", out);
        assertThat(header.errLines()).last().asString().contains("expected a header key,seq,x0,...,x{I-1}, got \"a,0,1");
    }
}
