package org.lstm4j.flink.job;

import java.time.Duration;
import java.util.Objects;
import org.lstm4j.tensor.Precision;

/**
 * Everything a streaming run is told, validated here once. Locations are Flink paths
 * ({@code file:///...}, {@code s3://...}); the command line turns local paths into such URIs.
 *
 * @param weights         the model file
 * @param prefix          the LSTM's key prefix in it, empty for the one LSTM there
 * @param events          the events CSV ({@code key,seq,x0,...})
 * @param out             where the committed output ({@code out/output}) and the rejections
 *                        ({@code out/rejected}) go
 * @param parallelism     subtasks of the LSTM operator and the sinks
 * @param checkpointMs    checkpoint interval; output is committed at checkpoints
 * @param stateBackend    {@code hashmap} or {@code rocksdb} (incremental checkpoints)
 * @param batchSize       events per bundle of the LSTM operator
 * @param bundleTimeout   longest an event waits in a bundle
 * @param idleStateTtl    drop a key idle this long; zero keeps every key
 * @param eventsPerSecond read at most this many events a second (a demo pace); 0 for no limit
 * @param failAfterEvents 0, or inject one failure after that many events past the first checkpoint
 * @param weightPrecision how the model's weights are stored for inference (the model's, and a
 *                        {@code #model} line's unless it names one)
 */
public record StreamOptions(String weights, String prefix, String events, String out, int parallelism,
                            long checkpointMs, String stateBackend, int batchSize, Duration bundleTimeout,
                            Duration idleStateTtl, double eventsPerSecond, long failAfterEvents,
                            Precision weightPrecision) {
    public StreamOptions {
        Objects.requireNonNull(weights, "weights");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(weightPrecision, "weightPrecision");
        Objects.requireNonNull(events, "events");
        Objects.requireNonNull(out, "out");
        if (parallelism < 1 || parallelism > 128) {
            throw new IllegalArgumentException("--parallelism must be 1 to 128 (the job's max parallelism), got "
                    + parallelism);
        }
        if (checkpointMs < 10) {
            throw new IllegalArgumentException("--checkpoint-ms must be at least 10, got " + checkpointMs);
        }
        if (!stateBackend.equals("hashmap") && !stateBackend.equals("rocksdb")) {
            throw new IllegalArgumentException("--state-backend must be hashmap or rocksdb, got " + stateBackend);
        }
        if (batchSize < 1 || batchSize > 65536) {
            throw new IllegalArgumentException("--batch-size must be 1 to 65536, got " + batchSize);
        }
        if (bundleTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("the bundle timeout must be at least 1 ms, got " + bundleTimeout);
        }
        if (idleStateTtl.isNegative()) {
            throw new IllegalArgumentException("the idle state TTL must be >= 0, got " + idleStateTtl);
        }
        if (!(eventsPerSecond >= 0)) {
            throw new IllegalArgumentException("--events-per-second must be >= 0, got " + eventsPerSecond);
        }
        if (failAfterEvents < 0) {
            throw new IllegalArgumentException("--fail-after-events must be >= 0, got " + failAfterEvents);
        }
    }

    /** The job's max parallelism (key groups): rescaling goes up to this. */
    public static final int MAX_PARALLELISM = 128;

    /** These options with another parallelism (a resubmission after a savepoint). */
    public StreamOptions withParallelism(int value) {
        return new StreamOptions(weights, prefix, events, out, value, checkpointMs, stateBackend, batchSize,
                bundleTimeout, idleStateTtl, eventsPerSecond, failAfterEvents, weightPrecision);
    }
}
