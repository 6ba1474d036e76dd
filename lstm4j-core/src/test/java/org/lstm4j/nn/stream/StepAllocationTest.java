package org.lstm4j.nn.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.lstm4j.nn.AllocatedBytes;
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

    /** Calls per measured round. */
    private static final int ROUND = 500;
    /**
     * Rounds to wait for the JIT: the code is interpreted or compiled by C1 at first, and the
     * Vector API allocates until C2 has compiled it (how long that takes depends on the load).
     */
    private static final int MAX_ROUNDS = 60;
    /** Reading the counters allocates its result array; no step may allocate. */
    private static final long SLACK_BYTES = 1024;

    private static long fewestBytesPerRound(Runnable step) {
        return AllocatedBytes.fewestPerWindow(step, ROUND, MAX_ROUNDS, SLACK_BYTES);
    }

    /** A warm step of {@code streams} streams through an eval-mode 2-layer LSTM(input, hidden) allocates nothing. */
    private static void assertStepAllocatesNothing(int input, int hidden, int streams) {
        LSTM lstm = LSTM.builder(input, hidden).numLayers(2).seed(7).build();
        lstm.eval();
        InferenceSession session = lstm.newSession(streams);
        LSTMState state = lstm.zeroState(streams);
        Tensor x = Tensor.randn(1, streams, input);
        assertThat(fewestBytesPerRound(() -> session.step(x, state))).isLessThanOrEqualTo(SLACK_BYTES);
    }

    @Test
    void stepOfOneStream() {
        assertStepAllocatesNothing(16, 64, 1);
    }

    /** Wide enough that one stream's step splits its hidden units across the worker threads. */
    @Test
    void stepOfOneStreamOfAWideModel() {
        assertStepAllocatesNothing(128, 256, 1);
    }

    /** Enough streams of a wide enough model that a step splits the streams across the worker threads. */
    @Test
    void stepOfSixteenStreamsSplitAcrossThreads() {
        assertStepAllocatesNothing(128, 256, 16);
    }

    @Test
    void stepStreamsOfSixteenStreams() {
        LSTM lstm = LSTM.builder(16, 64).numLayers(2).projSize(32).seed(7).build();
        lstm.eval();
        InferenceSession session = lstm.newSession(16);
        LSTMState[] states = new LSTMState[16];
        Arrays.setAll(states, i -> lstm.zeroState(1));
        Tensor x = Tensor.randn(1, 16, 16);
        assertThat(fewestBytesPerRound(() -> session.stepStreams(x, states))).isLessThanOrEqualTo(SLACK_BYTES);
    }
}
