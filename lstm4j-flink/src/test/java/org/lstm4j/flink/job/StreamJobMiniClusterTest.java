package org.lstm4j.flink.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.lstm4j.flink.Event;
import org.lstm4j.flink.Fixtures;
import org.lstm4j.flink.ModelRef;
import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Precision;

/**
 * The whole job on a MiniCluster (3 slots): with a failure injected after a completed checkpoint,
 * and through stop-with-savepoint and resubmission at another parallelism. In both, the committed
 * output must equal the uninterrupted single-JVM run for every key, each (key, seq) exactly once,
 * and every bad line must be in the committed rejections exactly once.
 */
class StreamJobMiniClusterTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(configuration()).setNumberTaskManagers(1).setNumberSlotsPerTaskManager(3).build());

    private static Configuration configuration() {
        Configuration conf = new Configuration();
        conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.ofMebiBytes(128));
        return conf;
    }

    @TempDir
    Path dir;

    /** A small model, {@code keys × steps} interleaved events as CSV, with bad lines mixed in. */
    private record Input(LSTM lstm, ModelRef model, Path csv, List<Event> good, int badLines) {
    }

    private Input input(int keys, int steps) throws IOException {
        LSTM lstm = Fixtures.smallLstm(21);
        ModelRef model = Fixtures.writeModel(dir, "model", lstm);
        List<Event> good = Fixtures.interleaved(keys, steps, 5, 22);
        List<String> lines = new ArrayList<>();
        lines.add("key,seq,x0,x1,x2,x3,x4");
        for (Event e : good) {
            StringBuilder line = new StringBuilder(e.key()).append(',').append(e.seq());
            for (float v : e.features()) {
                line.append(',').append(v);
            }
            lines.add(line.toString());
        }
        List<String> bad = List.of(
                lines.get(5),                      // a duplicate of an earlier line
                "key-0,3,1,2,3,4",                 // one feature short
                "key-1,4,1,2,three,4,5",           // not a number
                "key-2,-1,1,2,3,4,5",              // a negative seq
                "");                               // an empty line
        for (int i = 0; i < bad.size(); i++) {
            lines.add(40 + 37 * i, bad.get(i));
        }
        Path csv = dir.resolve("events.csv");
        Files.write(csv, lines, StandardCharsets.UTF_8);
        return new Input(lstm, model, csv, good, bad.size());
    }

    private StreamOptions options(Input in, int parallelism, double eventsPerSecond, long failAfterEvents) {
        return new StreamOptions(in.model().location(), "lstm.", in.csv().toUri().toString(),
                dir.resolve("out").toUri().toString(), parallelism, 100, "hashmap", 16, Duration.ofMillis(20),
                Duration.ZERO, eventsPerSecond, failAfterEvents, Precision.FP32);
    }

    /** The committed output, parsed; fails on a (key, seq) seen twice. */
    private Map<String, float[]> committedOutputs() throws IOException {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String line : CommittedOutput.lines(dir.resolve("out/output"))) {
            String[] f = line.split(",");
            float[] y = new float[f.length - 2];
            for (int i = 0; i < y.length; i++) {
                y[i] = Float.parseFloat(f[i + 2]);
            }
            assertThat(out.put(f[0] + "/" + f[1], y)).as("(key, seq) %s/%s twice", f[0], f[1]).isNull();
        }
        return out;
    }

    @Test
    void anInjectedFailureAfterACheckpointLeavesEachOutputExactlyOnce(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        Input in = input(12, 30);
        StreamOptions options = options(in, 2, 0, 150);
        JobID id = cluster.submitJob(EmbeddedRun.jobGraph(options, null)).get().getJobID();
        EmbeddedRun.Summary summary = EmbeddedRun.await(cluster, id, options, in.good().size() + in.badLines(), null);

        assertThat(summary.restarts()).isEqualTo(1);
        assertThat(summary.checkpoints()).isGreaterThanOrEqualTo(1);
        Fixtures.assertSameOutputs(Fixtures.reference(in.lstm(), in.good()), committedOutputs());
        List<String> rejected = CommittedOutput.lines(dir.resolve("out/rejected"));
        assertThat(rejected).hasSize(in.badLines()).anySatisfy(r -> assertThat(r).contains("a duplicate or a replay"))
                .anySatisfy(r -> assertThat(r).contains("expected 5 features (the model's input_size), got 4"))
                .anySatisfy(r -> assertThat(r).contains("x2 is not a number: \"\"three\"\"\""))
                .anySatisfy(r -> assertThat(r).contains("seq must be an integer >= 0, got \"\"-1\"\""))
                .anySatisfy(r -> assertThat(r).contains("expected key,seq,x0,... with a key"));
        assertThat(summary.line()).isEqualTo("events " + (in.good().size() + in.badLines()) + ", outputs "
                + in.good().size() + ", rejected " + in.badLines() + ", checkpoints " + summary.checkpoints()
                + ", restarts 1");
    }

    @Test
    void stopWithSavepointAndResubmitAtParallelismThreeThenOneGivesTheSameOutputs(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        Input in = input(10, 50);
        String savepoints = dir.resolve("savepoints").toUri().toString();
        String savepoint = null;
        int[] parallelisms = {2, 3, 1};
        for (int run = 0; run < parallelisms.length; run++) {
            boolean last = run == parallelisms.length - 1;
            StreamOptions options = options(in, parallelisms[run], last ? 0 : 50, 0);
            JobID id = cluster.submitJob(EmbeddedRun.jobGraph(options, savepoint)).get().getJobID();
            if (last) {
                EmbeddedRun.await(cluster, id, options, 0, null);
            } else {
                waitForCheckpoints(cluster, id, 1);
                savepoint = cluster.stopWithSavepoint(id, savepoints, false, SavepointFormatType.CANONICAL).get();
                assertThat(cluster.requestJobResult(id).get().getJobStatus()).contains(JobStatus.FINISHED);
                int committed = committedOutputs().size();
                assertThat(committed).as("run %d stopped mid-stream", run).isBetween(1, in.good().size() - 1);
            }
        }
        Fixtures.assertSameOutputs(Fixtures.reference(in.lstm(), in.good()), committedOutputs());
        assertThat(CommittedOutput.lines(dir.resolve("out/rejected"))).hasSize(in.badLines());
    }

    private static void waitForCheckpoints(MiniCluster cluster, JobID id, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            var stats = cluster.getExecutionGraph(id).get().getCheckpointStatsSnapshot();
            if (stats != null && stats.getCounts().getNumberOfCompletedCheckpoints() >= count) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no " + count + " checkpoints within 60 s");
    }
}
