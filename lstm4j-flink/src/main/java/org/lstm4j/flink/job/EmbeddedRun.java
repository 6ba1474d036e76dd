package org.lstm4j.flink.job;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.accumulators.StringifiedAccumulatorResult;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.SerializedThrowable;
import org.lstm4j.flink.operators.LstmBundleOperator;

/**
 * {@link StreamJob} on a Flink MiniCluster inside this JVM: nothing to install. Reports progress
 * (events/s, checkpoints, restarts) while the job runs and a {@link Summary} of what was
 * committed at the end.
 */
public final class EmbeddedRun {
    private EmbeddedRun() {
    }

    /** What a run committed and what it took: the command line's last line. */
    public record Summary(long events, long outputs, long rejected, long checkpoints, long restarts) {
        public String line() {
            return "events " + events + ", outputs " + outputs + ", rejected " + rejected + ", checkpoints "
                    + checkpoints + ", restarts " + restarts;
        }
    }

    /** A MiniCluster with one TaskManager of {@code slots} slots, checkpoints under {@code checkpointDir}. */
    public static MiniCluster startCluster(int slots, Path checkpointDir) throws Exception {
        Configuration conf = new Configuration();
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, slots);
        conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.ofMebiBytes(256));
        // Accumulators (the progress line's event count) travel with heartbeats.
        conf.set(HeartbeatManagerOptions.HEARTBEAT_INTERVAL, Duration.ofSeconds(1));
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointDir.toUri().toString());
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
                .setNumTaskManagers(1).setNumSlotsPerTaskManager(slots).build());
        cluster.start();
        return cluster;
    }

    /** The job, restored from {@code savepoint} unless it is null; checks the files first (see {@link StreamJob#build}). */
    public static JobGraph jobGraph(StreamOptions options, String savepoint) throws IOException {
        StreamExecutionEnvironment env = new StreamExecutionEnvironment(new Configuration());
        StreamJob.build(env, options);
        JobGraph job = env.getStreamGraph().getJobGraph();
        if (savepoint != null) {
            job.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint));
        }
        return job;
    }

    /**
     * Waits for the job to end, printing a progress line to {@code progress} (if not null) about
     * once a second, and returns its checkpoint and restart counts with what it committed.
     *
     * @throws IllegalStateException with the root cause's message if the job failed
     */
    public static Summary await(MiniCluster cluster, JobID id, StreamOptions options, long events,
                                PrintWriter progress) throws Exception {
        CompletableFuture<JobResult> result = cluster.requestJobResult(id);
        long start = System.nanoTime();
        long lastEvents = 0;
        long lastTime = start;
        while (true) {
            try {
                result.get(1, TimeUnit.SECONDS);
                break;
            } catch (java.util.concurrent.TimeoutException stillRunning) {
                if (progress != null) {
                    AccessExecutionGraph graph = cluster.getExecutionGraph(id).get();
                    long now = System.nanoTime();
                    long in = eventsIn(graph);
                    double rate = Math.max(0, in - lastEvents) / ((now - lastTime) / 1e9);
                    progress.printf("  %5.1f s  events %d (%.0f/s)  checkpoints %d  restarts %d%n", (now - start) / 1e9,
                            in, rate, checkpoints(graph), restarts(graph));
                    lastEvents = in;
                    lastTime = now;
                }
            }
        }
        JobResult jobResult = result.get();
        if (!jobResult.isSuccess()) {
            Throwable error = jobResult.getSerializedThrowable().map(t -> (Throwable) t)
                    .orElse(new IllegalStateException("unknown failure"));
            throw new IllegalStateException("the job failed: " + rootMessage(error), error);
        }
        AccessExecutionGraph graph = cluster.getArchivedExecutionGraph(id).get();
        Path out = Path.of(java.net.URI.create(options.out()));
        return new Summary(events, CommittedOutput.lines(out.resolve("output")).size(),
                CommittedOutput.lines(out.resolve("rejected")).size(), checkpoints(graph), restarts(graph));
    }

    /** The whole command-line run: a cluster sized for the options, the job, the summary. */
    public static Summary run(StreamOptions options, PrintWriter progress) throws Exception {
        long events = CsvEvents.header(new org.apache.flink.core.fs.Path(options.events())).events();
        JobGraph job = jobGraph(options, null);
        Path checkpoints = Files.createTempDirectory("lstm4j-stream-checkpoints");
        try (MiniCluster cluster = startCluster(options.parallelism(), checkpoints)) {
            JobID id = cluster.submitJob(job).get().getJobID();
            return await(cluster, id, options, events, progress);
        } finally {
            deleteTree(checkpoints);
        }
    }

    private static long checkpoints(AccessExecutionGraph graph) {
        var stats = graph.getCheckpointStatsSnapshot();
        return stats == null ? 0 : stats.getCounts().getNumberOfCompletedCheckpoints();
    }

    /** Restarts of the job: every restart makes a new attempt of the failed region's tasks. */
    private static long restarts(AccessExecutionGraph graph) {
        int attempts = 0;
        for (AccessExecutionVertex vertex : graph.getAllExecutionVertices()) {
            attempts = Math.max(attempts, vertex.getCurrentExecutionAttempt().getAttemptNumber());
        }
        return attempts;
    }

    private static long eventsIn(AccessExecutionGraph graph) {
        for (StringifiedAccumulatorResult a : graph.getAccumulatorResultsStringified()) {
            if (a.getName().equals(LstmBundleOperator.EVENTS_ACCUMULATOR)) {
                try {
                    return Long.parseLong(a.getValue());
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 0;
    }

    /**
     * The innermost cause's message; prefixed with its class unless it is one of the exceptions
     * lstm4j uses to explain bad input (IllegalArgumentException, IllegalStateException, IOException).
     */
    static String rootMessage(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String type = root instanceof SerializedThrowable s ? s.getOriginalErrorClassName() : root.getClass().getName();
        String message = root.getMessage() == null ? "" : root.getMessage();
        boolean explains = type.equals(IllegalArgumentException.class.getName())
                || type.equals(IllegalStateException.class.getName()) || type.equals(IOException.class.getName());
        return explains && !message.isBlank() ? message : type.substring(type.lastIndexOf('.') + 1) + ": " + message;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
