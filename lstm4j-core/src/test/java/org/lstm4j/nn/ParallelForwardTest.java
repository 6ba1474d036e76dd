package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.lstm4j.kernels.Parallel;
import org.lstm4j.tensor.Tensor;

/**
 * Forward passes big enough to be split across {@link Parallel}'s worker threads: each sequence
 * of the batch gets exactly (bit for bit) what it gets alone (a batch of one never leaves the
 * calling thread), so results do not depend on the thread count; and many threads calling one
 * shared LSTM each get the single-threaded result. GRU and RNN (whose gate counts 3 and 1 lay out
 * panels differently) run the same splits.
 */
class ParallelForwardTest {

    /** Pinned by lstm4j-core/pom.xml (-Dlstm4j.threads=2), so the work is split even on a 1-CPU runner. */
    @BeforeAll
    static void workIsSplitAcrossThreads() {
        assertThat(Parallel.threads()).as("threads per call (-D%s)", Parallel.THREADS_PROPERTY).isGreaterThanOrEqualTo(2);
    }

    private static final int STEPS = 40;
    private static final int BATCH = 17; // an odd batch: unequal parts
    private static final int INPUT = 24;
    private static final int HIDDEN = 48;

    private static LSTM lstm(String kind) {
        LSTM.Builder builder = LSTM.builder(INPUT, HIDDEN).numLayers(2).seed(11);
        switch (kind) {
            case "proj" -> builder.projSize(20);
            case "bidirectional" -> builder.bidirectional(true);
            default -> { }
        }
        LSTM lstm = builder.build();
        lstm.eval();
        return lstm;
    }

    /** Sequence b of a time-major (L, N, W) tensor as (L, 1, W). */
    private static Tensor sequence(Tensor timeMajor, int b) {
        return timeMajor.narrow(1, b, 1).copy();
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "proj", "bidirectional"})
    void eachSequenceOfASplitBatchEqualsItsOwnForwardBitForBit(String kind) {
        LSTM lstm = lstm(kind);
        Tensor input = Tensor.randn(3, STEPS, BATCH, INPUT);
        Tensor h0 = Tensor.randn(4, lstm.config().numDirections() * 2, BATCH, lstm.config().outputSize());
        Tensor c0 = Tensor.randn(5, lstm.config().numDirections() * 2, BATCH, HIDDEN);
        LSTM.Output all = lstm.forward(input, h0, c0);
        System.out.println(kind + ": " + Parallel.threads() + " threads");
        for (int b = 0; b < BATCH; b++) {
            LSTM.Output one = lstm.forward(sequence(input, b), sequence(h0, b), sequence(c0, b));
            assertThat(one.output()).as("output of sequence " + b).isEqualTo(sequence(all.output(), b));
            assertThat(one.hN()).as("hN of sequence " + b).isEqualTo(sequence(all.hN(), b));
            assertThat(one.cN()).as("cN of sequence " + b).isEqualTo(sequence(all.cN(), b));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "bidirectional"})
    void fourThreadsCallingOneSharedLstmEachGetTheSingleThreadedResult(String kind) throws Exception {
        LSTM lstm = lstm(kind);
        int callers = 4;
        List<Tensor> inputs = new ArrayList<>();
        List<LSTM.Output> expected = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            inputs.add(Tensor.randn(100 + i, STEPS, BATCH, INPUT));
            expected.add(lstm.forward(inputs.get(i)));
        }
        onThreads(callers, caller -> {
            int calls = 0;
            for (int r = 0; r < 15; r++) {
                LSTM.Output out = lstm.forward(inputs.get(caller));
                assertThat(out.output()).isEqualTo(expected.get(caller).output());
                assertThat(out.hN()).isEqualTo(expected.get(caller).hN());
                assertThat(out.cN()).isEqualTo(expected.get(caller).cN());
                calls++;
            }
            assertThat(calls).isEqualTo(15);
        });
    }

    /** Runs {@code body.accept(caller)} for callers 0..callers-1 on as many threads at once; rethrows a failure. */
    private static void onThreads(int callers, IntConsumer body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                int caller = i;
                results.add(pool.submit(() -> body.accept(caller)));
            }
            for (Future<?> result : results) {
                result.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A batch of one with a wide hidden layer splits hidden units across threads (forward and
     * session steps alike); in a batch of 8 the same sequence runs unsplit, sequences spread over
     * threads instead. All three must agree bit for bit. 200 is not a multiple of the vector
     * width: the last slice holds a partial panel.
     */
    @ParameterizedTest
    @ValueSource(ints = {256, 200})
    void aHiddenUnitSplitForwardEqualsSteppingAndTheUnsplitBatchBitForBit(int hidden) {
        LSTM lstm = LSTM.builder(INPUT, hidden).numLayers(2).seed(13).build();
        lstm.eval();
        int steps = 20;
        int batch = 8;
        Tensor inputs = Tensor.randn(6, steps, batch, INPUT);
        Tensor input = sequence(inputs, 3);
        LSTM.StatefulOutput full = lstm.forward(input, lstm.zeroState(1));
        LSTM.Output unsplit = lstm.forward(inputs);
        assertThat(full.output()).isEqualTo(sequence(unsplit.output(), 3));
        assertThat(full.state().h()).isEqualTo(sequence(unsplit.hN(), 3));
        assertThat(full.state().c()).isEqualTo(sequence(unsplit.cN(), 3));
        InferenceSession session = lstm.newSession(1);
        LSTMState state = lstm.zeroState(1);
        for (int t = 0; t < steps; t++) {
            Tensor y = session.step(input.narrow(0, t, 1).reshape(1, INPUT), state);
            assertThat(y).as("step " + t).isEqualTo(full.output().narrow(0, t, 1).reshape(1, hidden));
        }
        assertThat(state).isEqualTo(full.state());
    }

    /**
     * Sessions on four threads stepping one wide LSTM: at most one step at a time splits hidden
     * units across threads, the others run alone; every thread gets its single-threaded result.
     */
    @org.junit.jupiter.api.Test
    void sessionsOnFourThreadsSteppingAWideLstmEachGetTheirOwnResult() throws Exception {
        int hidden = 256;
        int steps = 200;
        LSTM lstm = LSTM.builder(INPUT, hidden).seed(19).build();
        lstm.eval();
        int callers = 4;
        List<Tensor> inputs = new ArrayList<>();
        List<Tensor> expected = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            inputs.add(Tensor.randn(200 + i, steps, 1, INPUT));
            expected.add(lstm.forward(inputs.get(i)).output());
        }
        onThreads(callers, caller -> {
            InferenceSession session = lstm.newSession(1);
            LSTMState state = lstm.zeroState(1);
            for (int t = 0; t < steps; t++) {
                Tensor y = session.step(inputs.get(caller).narrow(0, t, 1).reshape(1, INPUT), state);
                assertThat(y).as("caller %d step %d", caller, t)
                        .isEqualTo(expected.get(caller).narrow(0, t, 1).reshape(1, hidden));
            }
        });
    }

    /**
     * 16 sequences through an 8 MiB layer (I = H = 512) split hidden units across threads rather
     * than sequences ({@link RecurrentForwardPass#splitsHiddenUnits}); more than 32 sequences per
     * thread, or a 2 MiB layer, split sequences. Each sequence of the split batch equals its own
     * forward bit for bit, and a session stepping all 16 equals the forward.
     */
    @org.junit.jupiter.api.Test
    void aBatchThroughLargeWeightsSplitsHiddenUnitsAndEachSequenceEqualsItsOwnForward() {
        int wide = 512;
        int batch = 16;
        int steps = 3;
        LSTM lstm = LSTM.builder(wide, wide).seed(23).build();
        lstm.eval();
        org.lstm4j.math.LayerPanels panels = lstm.panels()[0][0];
        assertThat(RecurrentForwardPass.splitsHiddenUnits(lstm.config(), panels, batch)).isTrue();
        assertThat(RecurrentForwardPass.splitsHiddenUnits(lstm.config(), panels, 32 * Parallel.threads() + 1)).isFalse();
        LSTM smaller = LSTM.builder(256, 256).build();
        assertThat(RecurrentForwardPass.splitsHiddenUnits(smaller.config(), smaller.panels()[0][0], batch)).isFalse();

        Tensor input = Tensor.randn(31, steps, batch, wide);
        LSTM.Output all = lstm.forward(input);
        for (int b = 0; b < batch; b++) {
            LSTM.Output one = lstm.forward(sequence(input, b));
            assertThat(one.output()).as("output of sequence " + b).isEqualTo(sequence(all.output(), b));
            assertThat(one.cN()).as("cN of sequence " + b).isEqualTo(sequence(all.cN(), b));
        }
        InferenceSession session = lstm.newSession(batch);
        LSTMState state = lstm.zeroState(batch);
        for (int t = 0; t < steps; t++) {
            Tensor y = session.step(input.narrow(0, t, 1).reshape(batch, wide), state);
            assertThat(y).as("step " + t).isEqualTo(all.output().narrow(0, t, 1).reshape(batch, wide));
        }
        assertThat(state.h()).isEqualTo(all.hN());
    }

    /**
     * A session stepping 16 streams of a 256-unit LSTM splits the streams across threads
     * ({@link RecurrentForwardPass#sequenceParts}); every step equals the forward over the whole
     * sequence bit for bit, and so do 16 one-stream states stepped together by stepStreams.
     */
    @org.junit.jupiter.api.Test
    void aSessionSteppingManyStreamsSplitsThemAcrossThreadsAndEqualsTheForward() {
        int hidden = 256;
        int streams = 16;
        int steps = 12;
        LSTM lstm = LSTM.builder(INPUT, hidden).numLayers(2).seed(29).build();
        lstm.eval();
        assertThat(RecurrentForwardPass.splitsHiddenUnits(lstm.config(), lstm.panels()[0][0], streams)).isFalse();
        assertThat(RecurrentForwardPass.sequenceParts(lstm.config(), streams, streams)).isGreaterThan(1);
        Tensor input = Tensor.randn(37, steps, streams, INPUT);
        LSTM.Output all = lstm.forward(input);
        InferenceSession session = lstm.newSession(streams);
        LSTMState state = lstm.zeroState(streams);
        InferenceSession oneByOne = lstm.newSession(streams);
        LSTMState[] states = new LSTMState[streams];
        java.util.Arrays.setAll(states, i -> lstm.zeroState(1));
        for (int t = 0; t < steps; t++) {
            Tensor x = input.narrow(0, t, 1).reshape(streams, INPUT);
            Tensor expected = all.output().narrow(0, t, 1).reshape(streams, hidden);
            assertThat(session.step(x, state)).as("step " + t).isEqualTo(expected);
            assertThat(oneByOne.stepStreams(x, states)).as("stepStreams " + t).isEqualTo(expected);
        }
        assertThat(state.h()).isEqualTo(all.hN());
        assertThat(state.c()).isEqualTo(all.cN());
    }

    /** The hidden-unit split on a packed batch: sequences drop out while the others go on. */
    @org.junit.jupiter.api.Test
    void aHiddenUnitSplitPackedForwardEqualsSteppingEachSequence() {
        int hidden = 256;
        LSTM lstm = LSTM.builder(INPUT, hidden).numLayers(2).seed(17).build();
        lstm.eval();
        int[] lengths = {20, 13, 6};
        List<Tensor> sequences = new ArrayList<>();
        for (int b = 0; b < lengths.length; b++) {
            sequences.add(Tensor.randn(20 + b, lengths[b], INPUT));
        }
        LSTM.PackedOutput out = lstm.forward(org.lstm4j.nn.utils.Rnn.packSequence(sequences, true), null, null);
        Tensor padded = org.lstm4j.nn.utils.Rnn.padPackedSequence(out.output(), false, 0f, null).padded();
        for (int b = 0; b < lengths.length; b++) {
            InferenceSession session = lstm.newSession(1);
            LSTMState state = lstm.zeroState(1);
            for (int t = 0; t < lengths[b]; t++) {
                Tensor y = session.step(sequences.get(b).narrow(0, t, 1), state);
                assertThat(y).as("sequence %d step %d", b, t).isEqualTo(padded.narrow(0, t, 1).narrow(1, b, 1)
                        .reshape(1, hidden));
            }
            assertThat(state.h()).as("hN of sequence " + b).isEqualTo(sequence(out.hN(), b));
            assertThat(state.c()).as("cN of sequence " + b).isEqualTo(sequence(out.cN(), b));
        }
    }
    /** A GRU or RNN (mode GRU, RNN_TANH or RNN_RELU) in evaluation mode. */
    private static HiddenStateRNN hiddenStateRnn(String mode, int hidden, int layers, boolean bidirectional, long seed) {
        RNNBase.Config config = RNNBase.Config.of(RNNBase.Mode.valueOf(mode), INPUT, hidden, layers, true, false, 0.0,
                bidirectional, 0);
        HiddenStateRNN rnn = (HiddenStateRNN) RNNBase.create(config, seed);
        rnn.eval();
        return rnn;
    }

    @ParameterizedTest
    @CsvSource({"GRU, false", "GRU, true", "RNN_TANH, true", "RNN_RELU, false"})
    void eachSequenceOfASplitGruOrRnnBatchEqualsItsOwnForwardBitForBit(String mode, boolean bidirectional) {
        HiddenStateRNN rnn = hiddenStateRnn(mode, HIDDEN, 2, bidirectional, 11);
        Tensor input = Tensor.randn(3, STEPS, BATCH, INPUT);
        Tensor h0 = Tensor.randn(4, rnn.config().numDirections() * 2, BATCH, HIDDEN);
        HiddenStateRNN.Output all = rnn.forward(input, h0);
        for (int b = 0; b < BATCH; b++) {
            HiddenStateRNN.Output one = rnn.forward(sequence(input, b), sequence(h0, b));
            assertThat(one.output()).as("output of sequence " + b).isEqualTo(sequence(all.output(), b));
            assertThat(one.hN()).as("hN of sequence " + b).isEqualTo(sequence(all.hN(), b));
        }
    }

    /**
     * As {@link #aHiddenUnitSplitForwardEqualsSteppingAndTheUnsplitBatchBitForBit} for a GRU (a
     * slice is three panels: four blocks of hidden units of r, z and n) and an RNN (a slice is one
     * panel of four blocks).
     */
    @ParameterizedTest
    @CsvSource({"GRU, 256", "GRU, 200", "RNN_TANH, 256", "RNN_RELU, 200"})
    void aHiddenUnitSplitGruOrRnnForwardEqualsSteppingAndTheUnsplitBatchBitForBit(String mode, int hidden) {
        HiddenStateRNN rnn = hiddenStateRnn(mode, hidden, 2, false, 13);
        int steps = 20;
        int batch = 8;
        Tensor inputs = Tensor.randn(6, steps, batch, INPUT);
        Tensor input = sequence(inputs, 3);
        HiddenStateRNN.StatefulOutput full = rnn.forward(input, rnn.zeroState(1));
        HiddenStateRNN.Output unsplit = rnn.forward(inputs);
        assertThat(full.output()).isEqualTo(sequence(unsplit.output(), 3));
        assertThat(full.state().h()).isEqualTo(sequence(unsplit.hN(), 3));
        InferenceSession session = rnn.newSession(1);
        HiddenState state = rnn.zeroState(1);
        for (int t = 0; t < steps; t++) {
            Tensor y = session.step(input.narrow(0, t, 1).reshape(1, INPUT), state);
            assertThat(y).as("step " + t).isEqualTo(full.output().narrow(0, t, 1).reshape(1, hidden));
        }
        assertThat(state).isEqualTo(full.state());
    }

    /** The hidden-unit split on a packed GRU or RNN batch: sequences drop out while the others go on. */
    @ParameterizedTest
    @ValueSource(strings = {"GRU", "RNN_RELU"})
    void aHiddenUnitSplitPackedGruOrRnnForwardEqualsSteppingEachSequence(String mode) {
        int hidden = 256;
        HiddenStateRNN rnn = hiddenStateRnn(mode, hidden, 2, false, 17);
        int[] lengths = {20, 13, 6};
        List<Tensor> sequences = new ArrayList<>();
        for (int b = 0; b < lengths.length; b++) {
            sequences.add(Tensor.randn(20 + b, lengths[b], INPUT));
        }
        HiddenStateRNN.PackedOutput out = rnn.forward(org.lstm4j.nn.utils.Rnn.packSequence(sequences, true), null);
        Tensor padded = org.lstm4j.nn.utils.Rnn.padPackedSequence(out.output(), false, 0f, null).padded();
        for (int b = 0; b < lengths.length; b++) {
            InferenceSession session = rnn.newSession(1);
            HiddenState state = rnn.zeroState(1);
            for (int t = 0; t < lengths[b]; t++) {
                Tensor y = session.step(sequences.get(b).narrow(0, t, 1), state);
                assertThat(y).as("sequence %d step %d", b, t).isEqualTo(padded.narrow(0, t, 1).narrow(1, b, 1)
                        .reshape(1, hidden));
            }
            assertThat(state.h()).as("hN of sequence " + b).isEqualTo(sequence(out.hN(), b));
        }
    }
}
