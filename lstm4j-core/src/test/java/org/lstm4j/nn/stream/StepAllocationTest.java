package org.lstm4j.nn.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lstm4j.nn.InferenceSession;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.LSTMState;
import org.lstm4j.tensor.Tensor;

/**
 * A warm streaming step allocates nothing: bytes allocated by the calling thread and by lstm4j's
 * worker threads (the hidden-unit split runs parts there) around many {@code step} and
 * {@code stepStreams} calls, read from the JVM's per-thread allocation counters.
 */
class StepAllocationTest {

    private static final int WARM_UP = 5_000;
    private static final int MEASURED = 1_000;
    /** Reading the counters allocates its result array; no step may allocate. */
    private static final long SLACK_BYTES = 1024;

    private static com.sun.management.ThreadMXBean threads;

    @BeforeAll
    static void allocationCountersAreAvailable() {
        threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertThat(threads.isThreadAllocatedMemorySupported()).isTrue();
        threads.setThreadAllocatedMemoryEnabled(true);
    }

    /** Bytes allocated so far by the threads {@code ids}. */
    private static long allocatedBytes(long[] ids) {
        long sum = 0;
        for (long bytes : threads.getThreadAllocatedBytes(ids)) {
            sum += bytes;
        }
        return sum;
    }

    /** Bytes allocated by this thread and every lstm4j worker during {@link #MEASURED} warm steps. */
    private static long bytesAllocatedBy(Runnable step) {
        for (int i = 0; i < WARM_UP; i++) {
            step.run();
        }
        long[] ids = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t == Thread.currentThread() || t.getName().equals("lstm4j-worker"))
                .mapToLong(Thread::getId).toArray();
        long before = allocatedBytes(ids);
        for (int i = 0; i < MEASURED; i++) {
            step.run();
        }
        return allocatedBytes(ids) - before;
    }

    @Test
    void stepOfOneStream() {
        LSTM lstm = LSTM.builder(16, 64).numLayers(2).seed(7).build();
        lstm.eval();
        InferenceSession session = lstm.newSession(1);
        LSTMState state = lstm.zeroState(1);
        Tensor x = Tensor.randn(1, 1, 16);
        assertThat(bytesAllocatedBy(() -> session.step(x, state))).isLessThanOrEqualTo(SLACK_BYTES);
    }

    /** Wide enough that one stream's step splits its hidden units across the worker threads. */
    @Test
    void stepOfOneStreamOfAWideModel() {
        LSTM lstm = LSTM.builder(128, 256).numLayers(2).seed(7).build();
        lstm.eval();
        InferenceSession session = lstm.newSession(1);
        LSTMState state = lstm.zeroState(1);
        Tensor x = Tensor.randn(1, 1, 128);
        assertThat(bytesAllocatedBy(() -> session.step(x, state))).isLessThanOrEqualTo(SLACK_BYTES);
    }

    @Test
    void stepStreamsOfSixteenStreams() {
        LSTM lstm = LSTM.builder(16, 64).numLayers(2).projSize(32).seed(7).build();
        lstm.eval();
        InferenceSession session = lstm.newSession(16);
        LSTMState[] states = new LSTMState[16];
        Arrays.setAll(states, i -> lstm.zeroState(1));
        Tensor x = Tensor.randn(1, 16, 16);
        assertThat(bytesAllocatedBy(() -> session.stepStreams(x, states))).isLessThanOrEqualTo(SLACK_BYTES);
    }
}
