package org.lstm4j.nn.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;
import org.lstm4j.nn.GRU;
import org.lstm4j.nn.HiddenState;
import org.lstm4j.nn.HiddenStateRNN;
import org.lstm4j.nn.InferenceSession;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.LSTMState;
import org.lstm4j.nn.RNN;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.nn.RecurrentState;
import org.lstm4j.tensor.Tensor;

/**
 * Stream mode for GRU and RNN (tanh, relu), whose state is h alone: chunking invariance (a jqwik
 * property, as {@code StreamingTest} for LSTM), micro-batching, the state codec shared with LSTM
 * ({@link RecurrentState#tensors()} / {@link RecurrentState#of}), refusals.
 */
class HiddenStateStreamingTest {

    /** A random unidirectional GRU/RNN config, sequence and chunking. */
    record Case(RNNBase.Mode mode, int layers, int inputSize, int hidden, boolean bias, boolean batchFirst, int batch,
                int length, List<Integer> chunks, long seed) {
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<Tuple.Tuple6<RNNBase.Mode, Integer, Integer, Integer, Boolean, Boolean>> shape = Combinators.combine(
                Arbitraries.of(RNNBase.Mode.GRU, RNNBase.Mode.RNN_TANH, RNNBase.Mode.RNN_RELU),
                Arbitraries.integers().between(1, 3), Arbitraries.integers().between(1, 12),
                Arbitraries.integers().between(2, 20), Arbitraries.of(true, false), Arbitraries.of(true, false))
                .as(Tuple::of);
        return Combinators.combine(shape, Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, 30),
                Arbitraries.integers().between(1, 9).list().ofMinSize(1).ofMaxSize(30), Arbitraries.longs())
                .as((s, batch, length, chunks, seed) -> new Case(s.get1(), s.get2(), s.get3(), s.get4(), s.get5(),
                        s.get6(), batch, length, chunks, seed));
    }

    private static HiddenStateRNN module(Case c) {
        RNNBase.Config config = RNNBase.Config.of(c.mode(), c.inputSize(), c.hidden(), c.layers(), c.bias(),
                c.batchFirst(), 0.0, false, 0);
        HiddenStateRNN module = (HiddenStateRNN) RNNBase.create(config, c.seed());
        module.eval();
        return module;
    }

    /** Time steps [from, from + n) of a time-major (L, N, H_in) tensor, in the module's input layout. */
    private static Tensor chunk(Tensor timeMajor, int from, int n, boolean batchFirst) {
        Tensor part = timeMajor.narrow(0, from, n);
        return batchFirst ? part.transpose(0, 1) : part;
    }

    @Property(tries = 60)
    void anyChunkingGivesTheFullSequenceResultBitForBit(@ForAll("cases") Case c) {
        HiddenStateRNN module = module(c);
        Tensor x = Tensor.randn(c.seed() + 1, c.length(), c.batch(), c.inputSize()); // time-major
        HiddenState start = new HiddenState(Tensor.randn(c.seed() + 2, c.layers(), c.batch(), c.hidden()));
        HiddenStateRNN.Output full = module.forward(chunk(x, 0, c.length(), c.batchFirst()), start.h());
        Tensor fullTimeMajor = c.batchFirst() ? full.output().transpose(0, 1) : full.output();

        // Chunks of the given sizes through forward(input, state).
        HiddenState state = start;
        int t = 0;
        for (int i = 0; t < c.length(); i++) {
            int n = Math.min(c.chunks().get(i % c.chunks().size()), c.length() - t);
            HiddenStateRNN.StatefulOutput out = module.forward(chunk(x, t, n, c.batchFirst()), state);
            Tensor got = c.batchFirst() ? out.output().transpose(0, 1) : out.output();
            assertThat(got).isEqualTo(fullTimeMajor.narrow(0, t, n));
            state = out.state();
            t += n;
        }
        assertThat(state.h()).isEqualTo(full.hN());

        // One step at a time through a session, state updated in place.
        InferenceSession session = module.newSession(c.batch());
        HiddenState live = start.copy();
        for (int s = 0; s < c.length(); s++) {
            Tensor y = session.step(x.select(0, s), live);
            assertThat(y).isEqualTo(fullTimeMajor.select(0, s));
        }
        assertThat(live.h()).isEqualTo(full.hN());
    }

    @Test
    void unbatchedStepsMatchTheUnbatchedForward() {
        RNN rnn = RNN.builder(3, 5).numLayers(2).nonlinearity("relu").seed(3).build();
        rnn.eval();
        Tensor x = Tensor.randn(4, 6, 3);
        HiddenStateRNN.Output full = rnn.forward(x);
        HiddenState state = rnn.zeroState(1);
        for (int t = 0; t < 6; t++) {
            HiddenStateRNN.StepOutput out = rnn.step(x.select(0, t), state);
            assertThat(out.output()).isEqualTo(full.output().select(0, t));
            assertThat(state).as("step leaves its argument alone").isNotEqualTo(out.state());
            state = out.state();
        }
        assertThat(state.h().reshape(2, 5)).isEqualTo(full.hN());
    }

    @Test
    void streamsSteppedAsOneBatchEqualSeparateSteps() {
        GRU gru = GRU.builder(6, 12).numLayers(2).seed(2).build();
        gru.eval();
        int streams = 16;
        HiddenState[] batched = new HiddenState[streams];
        HiddenState[] separate = new HiddenState[streams];
        for (int i = 0; i < streams; i++) {
            batched[i] = new HiddenState(Tensor.randn(i, 2, 1, 12));
            separate[i] = batched[i].copy();
        }
        InferenceSession batchSession = gru.newSession(streams);
        InferenceSession oneSession = gru.newSession(1);
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

    /** One codec for the family: a state written as its tensors and rebuilt continues exactly. */
    @Test
    void everyStateRoundTripsThroughItsTensors() {
        GRU gru = GRU.builder(4, 6).seed(5).build();
        LSTM lstm = LSTM.builder(4, 6).projSize(3).seed(5).build();
        gru.eval();
        lstm.eval();
        Tensor x = Tensor.randn(9, 1, 4);
        for (RNNBase module : List.of(gru, lstm)) {
            RecurrentState state = RecurrentState.zeros(module.config(), 1);
            InferenceSession session = module.newSession(1);
            session.step(x, state);
            RecurrentState restored = RecurrentState.of(state.copy().tensors());
            assertThat(restored).isEqualTo(state).isInstanceOf(module instanceof LSTM ? LSTMState.class
                    : HiddenState.class);
            Tensor expected = session.step(x, state).copy();
            assertThat(session.step(x, restored)).isEqualTo(expected);
            assertThat(restored).isEqualTo(state);
        }
        assertThatThrownBy(() -> RecurrentState.of(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Expected 1 tensor (h) or 2 tensors (h, c) for a recurrent state, got 0");
    }

    @Test
    void stepModeRefusesWhatItCannotDo() {
        GRU bidirectional = GRU.builder(3, 4).bidirectional(true).seed(0).build();
        assertThatThrownBy(() -> bidirectional.newSession(1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("step mode needs a unidirectional GRU");
        assertThatThrownBy(() -> bidirectional.forward(Tensor.zeros(2, 1, 3), HiddenState.zeros(bidirectional.config(),
                1))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs a unidirectional GRU");

        RNN dropout = RNN.builder(3, 4).numLayers(2).dropout(0.5).seed(0).build();
        assertThatThrownBy(() -> dropout.step(Tensor.zeros(1, 3), dropout.zeroState(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("stream mode is for inference: this RNN is in training mode with dropout=0.5; call eval()"
                        + " first");

        GRU gru = GRU.builder(3, 4).numLayers(2).seed(0).build();
        InferenceSession session = gru.newSession(2);
        assertThatThrownBy(() -> session.step(Tensor.zeros(2, 3), gru.zeroState(1)))
                .hasMessage("Expected state h (2, 2, 4), got h [2, 1, 4]");
        LSTM lstm = LSTM.builder(3, 4).numLayers(2).seed(0).build();
        assertThatThrownBy(() -> session.step(Tensor.zeros(1, 3), lstm.zeroState(1)))
                .hasMessage("Expected a HiddenState (h only) for a GRU, got an LSTMState (h, c)");
        assertThatThrownBy(() -> lstm.newSession(1).step(Tensor.zeros(1, 3), gru.zeroState(1)))
                .hasMessage("Expected an LSTMState (h, c) for an LSTM, got a HiddenState (h only)");
        assertThatThrownBy(() -> HiddenState.zeros(lstm.config(), 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("use LSTMState.zeros");
    }
}
