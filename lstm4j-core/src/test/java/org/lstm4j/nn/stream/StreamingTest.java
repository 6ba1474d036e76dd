package org.lstm4j.nn.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.lstm4j.nn.InferenceSession;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.LSTMState;
import org.lstm4j.tensor.Tensor;

/** Stream mode: chunking invariance, many threads on one model, micro-batching, refusals. */
class StreamingTest {

    /** A random unidirectional config, sequence and chunking. */
    record Case(int layers, int inputSize, int hidden, int proj, boolean bias, boolean batchFirst, int batch,
                int length, List<Integer> chunks, long seed) {
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<Tuple.Tuple6<Integer, Integer, Integer, Integer, Boolean, Boolean>> shape = Combinators.combine(
                Arbitraries.integers().between(1, 3), Arbitraries.integers().between(1, 12),
                Arbitraries.integers().between(2, 20), Arbitraries.integers().between(0, 1),
                Arbitraries.of(true, false), Arbitraries.of(true, false)).as(Tuple::of);
        return Combinators.combine(shape, Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, 30),
                Arbitraries.integers().between(1, 9).list().ofMinSize(1).ofMaxSize(30), Arbitraries.longs())
                .as((s, batch, length, chunks, seed) -> new Case(s.get1(), s.get2(), s.get3(),
                        s.get4() == 1 ? Math.max(1, s.get3() / 2) : 0, s.get5(), s.get6(), batch, length, chunks, seed));
    }

    private static LSTM lstm(Case c) {
        LSTM lstm = LSTM.builder(c.inputSize(), c.hidden()).numLayers(c.layers()).projSize(c.proj()).bias(c.bias())
                .batchFirst(c.batchFirst()).seed(c.seed()).build();
        lstm.eval();
        return lstm;
    }

    /** Time steps [from, from + n) of a time-major (L, N, H_in) tensor, in the LSTM's input layout. */
    private static Tensor chunk(Tensor timeMajor, int from, int n, boolean batchFirst) {
        Tensor part = timeMajor.narrow(0, from, n);
        return batchFirst ? part.transpose(0, 1) : part;
    }

    @Property(tries = 60)
    void anyChunkingGivesTheFullSequenceResultBitForBit(@ForAll("cases") Case c) {
        LSTM lstm = lstm(c);
        Tensor x = Tensor.randn(c.seed() + 1, c.length(), c.batch(), c.inputSize()); // time-major
        LSTMState start = new LSTMState(Tensor.randn(c.seed() + 2, c.layers(), c.batch(), lstm.config().outputSize()),
                Tensor.randn(c.seed() + 3, c.layers(), c.batch(), c.hidden()));
        LSTM.Output full = lstm.forward(chunk(x, 0, c.length(), c.batchFirst()), start.h(), start.c());
        Tensor fullTimeMajor = c.batchFirst() ? full.output().transpose(0, 1) : full.output();

        // Chunks of the given sizes through forward(input, state).
        LSTMState state = start;
        int t = 0;
        for (int i = 0; t < c.length(); i++) {
            int n = Math.min(c.chunks().get(i % c.chunks().size()), c.length() - t);
            LSTM.StatefulOutput out = lstm.forward(chunk(x, t, n, c.batchFirst()), state);
            Tensor got = c.batchFirst() ? out.output().transpose(0, 1) : out.output();
            assertThat(got).isEqualTo(fullTimeMajor.narrow(0, t, n));
            state = out.state();
            t += n;
        }
        assertThat(state.h()).isEqualTo(full.hN());
        assertThat(state.c()).isEqualTo(full.cN());

        // One step at a time through a session, state updated in place.
        InferenceSession session = lstm.newSession(c.batch());
        LSTMState live = start.copy();
        for (int s = 0; s < c.length(); s++) {
            Tensor y = session.step(x.select(0, s), live);
            assertThat(y).isEqualTo(fullTimeMajor.select(0, s));
        }
        assertThat(live.h()).isEqualTo(full.hN());
        assertThat(live.c()).isEqualTo(full.cN());
    }

    @Test
    void unbatchedStepsMatchTheUnbatchedForward() {
        LSTM lstm = LSTM.builder(3, 5).numLayers(2).projSize(2).seed(3).build();
        lstm.eval();
        Tensor x = Tensor.randn(4, 6, 3);
        LSTM.Output full = lstm.forward(x);
        LSTMState state = lstm.zeroState(1);
        for (int t = 0; t < 6; t++) {
            LSTM.StepOutput out = lstm.step(x.select(0, t), state);
            assertThat(out.output()).isEqualTo(full.output().select(0, t));
            assertThat(state).as("step leaves its argument alone").isNotEqualTo(out.state());
            state = out.state();
        }
        assertThat(state.h().reshape(2, 2)).isEqualTo(full.hN());
        LSTM.StatefulOutput chunked = lstm.forward(x.narrow(0, 2, 4), lstm.forward(x.narrow(0, 0, 2), lstm.zeroState(1)).state());
        assertThat(chunked.output()).isEqualTo(full.output().narrow(0, 2, 4));
    }

    @RepeatedTest(3)
    void eightThreadsShareOneModelAndEachGetsTheSingleThreadedResult() throws Exception {
        LSTM lstm = LSTM.builder(8, 16).numLayers(2).seed(11).build();
        lstm.eval();
        int threads = 8;
        int steps = 10_000;
        // Each thread's stream: x_t = row (t mod 64) of its own random table.
        Tensor[] tables = new Tensor[threads];
        for (int i = 0; i < threads; i++) {
            tables[i] = Tensor.randn(100 + i, 64, 1, 8);
        }
        List<LSTMState> expected = new ArrayList<>();
        List<Tensor> expectedLast = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Object[] r = runStream(lstm, tables[i], steps);
            expected.add((LSTMState) r[0]);
            expectedLast.add((Tensor) r[1]);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Object[]>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Tensor table = tables[i];
                futures.add(pool.submit(() -> runStream(lstm, table, steps)));
            }
            for (int i = 0; i < threads; i++) {
                Object[] r = futures.get(i).get();
                assertThat((LSTMState) r[0]).as("thread %d state", i).isEqualTo(expected.get(i));
                assertThat((Tensor) r[1]).as("thread %d last output", i).isEqualTo(expectedLast.get(i));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Steps one stream through its own session; returns the final state and a copy of the last output. */
    private static Object[] runStream(LSTM lstm, Tensor table, int steps) {
        InferenceSession session = lstm.newSession(1);
        LSTMState state = lstm.zeroState(1);
        Tensor y = null;
        for (int t = 0; t < steps; t++) {
            y = session.step(table.select(0, t % table.size(0)), state);
            if (!Float.isFinite(y.data()[0])) {
                throw new AssertionError("non-finite output at step " + t);
            }
        }
        return new Object[] {state, y.copy()};
    }

    @Test
    void sixtyFourStreamsSteppedAsOneBatchEqualSixtyFourSeparateSteps() {
        LSTM lstm = LSTM.builder(6, 12).numLayers(2).projSize(5).seed(2).build();
        lstm.eval();
        int streams = 64;
        LSTMState[] batched = new LSTMState[streams];
        LSTMState[] separate = new LSTMState[streams];
        for (int i = 0; i < streams; i++) {
            batched[i] = new LSTMState(Tensor.randn(i, 2, 1, 5), Tensor.randn(1000 + i, 2, 1, 12));
            separate[i] = batched[i].copy();
        }
        InferenceSession batchSession = lstm.newSession(streams);
        InferenceSession oneSession = lstm.newSession(1);
        for (int step = 0; step < 5; step++) {
            Tensor x = Tensor.randn(50 + step, streams, 6);
            Tensor y = batchSession.stepStreams(x, batched).copy();
            for (int i = 0; i < streams; i++) {
                Tensor yi = oneSession.step(x.narrow(0, i, 1), separate[i]);
                assertThat(y.narrow(0, i, 1)).as("stream %d step %d", i, step).isEqualTo(yi);
                assertThat(batched[i]).isEqualTo(separate[i]);
            }
        }
    }

    @Test
    void stepModeRefusesWhatItCannotDo() {
        LSTM bidirectional = LSTM.builder(3, 4).bidirectional(true).seed(0).build();
        assertThatThrownBy(() -> bidirectional.newSession(1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("step mode needs a unidirectional LSTM");
        assertThatThrownBy(() -> bidirectional.forward(Tensor.zeros(2, 1, 3), LSTMState.zeros(bidirectional.config(), 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs a unidirectional LSTM");

        LSTM dropout = LSTM.builder(3, 4).numLayers(2).dropout(0.5).seed(0).build();
        assertThatThrownBy(() -> dropout.step(Tensor.zeros(1, 3), dropout.zeroState(1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("call eval() first");

        LSTM lstm = LSTM.builder(3, 4).numLayers(2).seed(0).build();
        InferenceSession session = lstm.newSession(2);
        assertThatThrownBy(() -> session.step(Tensor.zeros(3, 3), lstm.zeroState(3)))
                .hasMessage("this session steps at most 2 streams, got 3");
        assertThatThrownBy(() -> session.step(Tensor.zeros(2, 3), lstm.zeroState(1)))
                .hasMessage("Expected state h (2, 2, 4) and c (2, 2, 4), got h [2, 1, 4] and c [2, 1, 4]");
        assertThatThrownBy(() -> session.step(Tensor.zeros(2, 5), lstm.zeroState(2)))
                .hasMessage("input.size(-1) must be equal to input_size. Expected 3, got 5");
    }
}
