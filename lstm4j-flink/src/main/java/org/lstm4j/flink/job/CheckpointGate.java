package org.lstm4j.flink.job;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiter;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;

/**
 * Holds a source back until the job's first checkpoint has completed, then lets everything
 * through. With {@code --fail-after-events} this guarantees that the injected failure comes after
 * a completed checkpoint even for an input that would otherwise be read before the first
 * checkpoint interval ends. A restarted source waits for the next checkpoint of its new attempt.
 */
final class CheckpointGate<S extends SourceSplit> implements RateLimiterStrategy<S> {
    private static final long serialVersionUID = 1L;

    @Override
    public RateLimiter<S> createRateLimiter(int parallelism) {
        CompletableFuture<Void> open = new CompletableFuture<>();
        return new RateLimiter<>() {
            @Override
            public CompletionStage<Void> acquire(int permits) {
                return open;
            }

            @Override
            public void notifyCheckpointComplete(long checkpointId) {
                open.complete(null);
            }
        };
    }
}
