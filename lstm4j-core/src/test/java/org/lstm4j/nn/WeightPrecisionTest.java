package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.lstm4j.autograd.Autograd;
import org.lstm4j.autograd.Variable;
import org.lstm4j.tensor.Precision;
import org.lstm4j.tensor.Tensor;

/**
 * {@link RNNBase#withWeightPrecision}: what the inference-only copy computes (bf16: exactly the
 * float32 module holding the rounded weights; int8: that to float rounding), that batching,
 * chunking, stepping and splits across threads keep their bits within a precision (as
 * {@code StreamingTest} and {@code ParallelForwardTest} check for float32), and what it refuses.
 */
class WeightPrecisionTest {

    /** A random unidirectional configuration of any mode, a sequence, a chunking and a reduced precision. */
    record Case(RNNBase.Mode mode, Precision precision, int layers, int inputSize, int hidden, int projSize,
                boolean bias, int batch, int length, List<Integer> chunks, long seed) {
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<Tuple.Tuple6<RNNBase.Mode, Precision, Integer, Integer, Integer, Boolean>> shape = Combinators.combine(
                Arbitraries.of(RNNBase.Mode.values()), Arbitraries.of(Precision.BF16, Precision.INT8),
                Arbitraries.integers().between(1, 3), Arbitraries.integers().between(1, 40),
                Arbitraries.integers().between(2, 70), Arbitraries.of(true, false)).as(Tuple::of);
        return Combinators.combine(shape, Arbitraries.integers().between(0, 5), Arbitraries.integers().between(1, 5),
                        Arbitraries.integers().between(1, 20), Arbitraries.integers().between(1, 7).list().ofMinSize(1)
                                .ofMaxSize(10), Arbitraries.longs())
                .as((s, proj, batch, length, chunks, seed) -> new Case(s.get1(), s.get2(), s.get3(), s.get4(),
                        s.get5(), s.get1() == RNNBase.Mode.LSTM && proj < s.get5() ? proj : 0, s.get6(), batch,
                        length, chunks, seed));
    }

    private static RNNBase module(RNNBase.Mode mode, int inputSize, int hidden, int layers, boolean bias,
                                  boolean bidirectional, int projSize, long seed) {
        RNNBase module = RNNBase.create(RNNBase.Config.of(mode, inputSize, hidden, layers, bias, false, 0.0,
                bidirectional, projSize), seed);
        module.eval();
        return module;
    }

    /**
     * Within one precision a sequence gives the same bits alone or in a batch, in one call or in
     * chunks of any length, or stepped through a session; and bf16 gives exactly the bits of the
     * float32 module holding the bf16 weights (the same chains over the same values).
     */
    @Property(tries = 50)
    void batchingChunkingAndSteppingKeepTheBits(@ForAll("cases") Case c) {
        RNNBase fp32 = module(c.mode(), c.inputSize(), c.hidden(), c.layers(), c.bias(), false, c.projSize(), c.seed());
        RNNBase reduced = fp32.withWeightPrecision(c.precision());
        Tensor x = Tensor.randn(c.seed() + 1, c.length(), c.batch(), c.inputSize());
        RecurrentState start = randomState(reduced, c.batch(), c.seed() + 2);
        RNNBase.StatefulResult full = reduced.runFrom(x, start);

        for (int b = 0; b < c.batch(); b++) {
            RNNBase.StatefulResult alone = reduced.runFrom(x.narrow(1, b, 1), streamOf(start, b));
            assertThat(alone.output()).as("sequence %d alone", b).isEqualTo(full.output().narrow(1, b, 1));
        }
        RecurrentState state = start;
        int t = 0;
        for (int i = 0; t < c.length(); i++) {
            int n = Math.min(c.chunks().get(i % c.chunks().size()), c.length() - t);
            RNNBase.StatefulResult out = reduced.runFrom(x.narrow(0, t, n), state);
            assertThat(out.output()).as("chunk at %d", t).isEqualTo(full.output().narrow(0, t, n));
            state = out.state();
            t += n;
        }
        assertThat(state).isEqualTo(full.state());
        InferenceSession session = reduced.newSession(c.batch());
        RecurrentState live = start.copy();
        for (int s = 0; s < c.length(); s++) {
            assertThat(session.step(x.select(0, s), live)).as("step %d", s).isEqualTo(full.output().select(0, s));
        }
        assertThat(live).isEqualTo(full.state());

        RNNBase holdingTheStoredWeights = RNNBase.create(reduced.config(), 0L); // (a state dict knows no nonlinearity)
        holdingTheStoredWeights.loadStateDict(reduced.dequantizedStateDict(), true);
        holdingTheStoredWeights.eval();
        Tensor reference = holdingTheStoredWeights.runFrom(x, start).output();
        if (c.precision() == Precision.BF16) {
            assertThat(full.output()).isEqualTo(reference);
        } else {
            assertThat(full.output().maxAbsDiff(reference)).isLessThanOrEqualTo(1e-5f);
        }
    }

    /**
     * A wide layer with one sequence splits hidden units across threads; in a batch of 8 the same
     * sequence runs unsplit: the same bits in every precision, forward and session steps alike.
     */
    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BF16", "INT8"})
    void aHiddenUnitSplitEqualsTheUnsplitBatchAndSteppingBitForBit(Precision precision) {
        for (RNNBase.Mode mode : RNNBase.Mode.values()) {
            int hidden = mode == RNNBase.Mode.LSTM ? 200 : 400; // 4·H²·N ≥ 2^17: split by hidden units
            RNNBase module = module(mode, 24, hidden, 2, true, false, 0, 17).withWeightPrecision(precision);
            Tensor inputs = Tensor.randn(8, 12, 8, 24);
            Tensor one = inputs.narrow(1, 3, 1);
            RNNBase.StatefulResult split = module.runFrom(one, RecurrentState.zeros(module.config(), 1));
            RNNBase.StatefulResult batch = module.runFrom(inputs, RecurrentState.zeros(module.config(), 8));
            assertThat(split.output()).as("%s %s", mode, precision).isEqualTo(batch.output().narrow(1, 3, 1));
            InferenceSession session = module.newSession(1);
            RecurrentState state = RecurrentState.zeros(module.config(), 1);
            for (int t = 0; t < 12; t++) {
                assertThat(session.step(one.select(0, t), state)).as("%s step %d", mode, t)
                        .isEqualTo(split.output().select(0, t));
            }
        }
    }

    /** Bidirectional and packed input run on the reduced weights too: the same numbers as the float32 module holding them. */
    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BF16", "INT8"})
    void bidirectionalAndPackedInputUseTheStoredWeights(Precision precision) {
        LSTM lstm = LSTM.builder(6, 20).numLayers(2).bidirectional(true).projSize(7).seed(4).build();
        lstm.eval();
        LSTM reduced = lstm.withWeightPrecision(precision);
        LSTM reference = LSTM.fromStateDict(reduced.dequantizedStateDict());
        reference.eval();
        Tensor x = Tensor.randn(9, 7, 3, 6);
        float tolerance = precision == Precision.BF16 ? 0f : 1e-5f;
        assertThat(reduced.forward(x).output().maxAbsDiff(reference.forward(x).output())).isLessThanOrEqualTo(tolerance);
        List<Tensor> sequences = List.of(Tensor.randn(1, 5, 6), Tensor.randn(2, 2, 6), Tensor.randn(3, 3, 6));
        PackedSequence packed = org.lstm4j.nn.utils.Rnn.packSequence(sequences, false);
        LSTM.PackedOutput got = reduced.forward(packed, null, null);
        LSTM.PackedOutput want = reference.forward(packed, null, null);
        assertThat(got.output().data().maxAbsDiff(want.output().data())).isLessThanOrEqualTo(tolerance);
        assertThat(got.hN().maxAbsDiff(want.hN())).isLessThanOrEqualTo(tolerance);
        assertThat(reference.forward(x).output().maxAbsDiff(lstm.forward(x).output()))
                .as("and the reduced weights do change the result").isGreaterThan(0f);
    }

    @Test
    void theCopySharesNothingThatChanges() {
        GRU gru = GRU.builder(5, 9).seed(3).build();
        gru.eval();
        GRU reduced = gru.withWeightPrecision(Precision.INT8);
        Tensor x = Tensor.randn(2, 4, 1, 5);
        Tensor before = reduced.forward(x).output();
        for (Parameter p : gru.parameters()) {
            p.data().data()[0] = 9f;
            p.markChanged();
        }
        assertThat(gru.forward(x).output()).as("the original changed").isNotEqualTo(before);
        assertThat(reduced.forward(x).output()).isEqualTo(before);
        assertThat(reduced.parameters()).as("no parameters, as PyTorch's quantized modules").isEmpty();
        assertThat(reduced.stateDict()).isEmpty();
        assertThat(reduced.dequantizedStateDict().keySet()).containsExactlyElementsOf(gru.stateDict().keySet());
        assertThat(reduced.weightPrecision()).isEqualTo(Precision.INT8);
        assertThat(reduced.isInferenceOnly()).isTrue();
        assertThat(gru.isInferenceOnly()).isFalse();
        assertThat(gru.weightPrecision()).isEqualTo(Precision.FP32);
        GRU batchFirst = reduced.withBatchFirst(true);
        assertThat(batchFirst.forward(x.transpose(0, 1)).output().transpose(0, 1)).isEqualTo(before);
    }

    @Test
    void trainingAndGradientsAreRefused() {
        LSTM lstm = LSTM.builder(3, 4).seed(1).build();
        LSTM reduced = lstm.withWeightPrecision(Precision.BF16);
        assertThat(reduced.isTraining()).isFalse();
        assertThatThrownBy(reduced::train).isInstanceOf(IllegalStateException.class)
                .hasMessage("this LSTM is inference-only (bf16 weights from withWeightPrecision); train() is refused:"
                        + " train the float32 module");
        assertThat(reduced.isTraining()).isFalse();

        class Wrapper extends Module {
            final LSTM inner = registerModule("lstm", reduced);
        }
        Wrapper wrapper = new Wrapper();
        wrapper.eval();
        assertThatThrownBy(wrapper::train).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("train() is refused");
        assertThat(wrapper.isTraining()).as("nothing changes").isFalse();

        Variable needsGrad = Variable.requiringGrad(Tensor.randn(3, 2, 1, 3));
        assertThatThrownBy(() -> reduced.forward(needsGrad, null, null)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no gradient flows through it");
        Variable constant = Variable.of(Tensor.randn(3, 2, 1, 3));
        assertThat(reduced.forward(constant, null, null).output().value())
                .isEqualTo(reduced.forward(constant.value()).output());
        assertThat(Autograd.noGrad(() -> reduced.forward(needsGrad, null, null).output().requiresGrad())).isFalse();
    }

    @Test
    void fingerprintsTellPrecisionsApart() {
        RNN rnn = RNN.builder(4, 8).seed(2).build();
        String fp32 = hex(rnn.fingerprint());
        assertThat(hex(rnn.withWeightPrecision(Precision.FP32).fingerprint())).as("same numbers").isEqualTo(fp32);
        String bf16 = hex(rnn.withWeightPrecision(Precision.BF16).fingerprint());
        String int8 = hex(rnn.withWeightPrecision(Precision.INT8).fingerprint());
        assertThat(List.of(bf16, int8)).doesNotContain(fp32);
        assertThat(bf16).isNotEqualTo(int8);
        assertThat(hex(rnn.withWeightPrecision(Precision.INT8).fingerprint())).isEqualTo(int8);
    }

    @Test
    void reEncodingAReducedModuleStartsFromTheWeightsItComputesWith() {
        LSTM lstm = LSTM.builder(8, 16).numLayers(2).seed(6).build();
        LSTM bf16 = lstm.withWeightPrecision(Precision.BF16);
        assertThat(bf16.withWeightPrecision(Precision.BF16).dequantizedStateDict())
                .isEqualTo(bf16.dequantizedStateDict());
        LSTM int8 = lstm.withWeightPrecision(Precision.INT8);
        LSTM fp32Copy = int8.withWeightPrecision(Precision.FP32);
        assertThat(fp32Copy.dequantizedStateDict()).isEqualTo(int8.dequantizedStateDict());
        assertThat(fp32Copy.isInferenceOnly()).isTrue();
    }

    /** Bytes per parameter: 8 for a trainable module (parameters and their panels), about 4, 2, 1 for the copies. */
    @Test
    void bytesPerParameterFollowThePrecision() {
        LSTM lstm = LSTM.builder(128, 256).numLayers(2).seed(1).build();
        long parameters = lstm.parameterCount();
        assertThat(parameters).isEqualTo(4L * 256 * (128 + 256) + 4L * 256 * (256 + 256) + 2 * 2 * 4L * 256);
        Map<Precision, Double> perParameter = new java.util.EnumMap<>(Precision.class);
        for (Precision p : Precision.values()) {
            perParameter.put(p, (double) lstm.withWeightPrecision(p).weightBytes() / parameters);
        }
        System.out.printf("bytes per parameter: trainable %.3f, %s%n", (double) lstm.weightBytes() / parameters,
                perParameter);
        assertThat((double) lstm.weightBytes() / parameters).isBetween(7.9, 8.1);
        assertThat(perParameter.get(Precision.FP32)).isBetween(4.0, 4.1);
        assertThat(perParameter.get(Precision.BF16)).isBetween(2.0, 2.1);
        assertThat(perParameter.get(Precision.INT8)).isBetween(1.0, 1.1);
    }

    @Test
    void int8RefusesNonFiniteWeights() {
        LSTM lstm = LSTM.builder(2, 3).seed(1).build();
        lstm.parameters().get(1).data().set(Float.POSITIVE_INFINITY, 2, 1);
        assertThatThrownBy(() -> lstm.withWeightPrecision(Precision.INT8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("int8 weights must be finite");
    }

    private static RecurrentState randomState(RNNBase module, int batch, long seed) {
        RNNBase.Config config = module.config();
        Tensor h = Tensor.randn(seed, config.numLayers(), batch, config.outputSize());
        return module.mode().hasCellState()
                ? new LSTMState(h, Tensor.randn(seed + 1, config.numLayers(), batch, config.hiddenSize()))
                : new HiddenState(h);
    }

    /** Stream b of {@code state} alone, as a state of one stream (a copy). */
    private static RecurrentState streamOf(RecurrentState state, int b) {
        List<Tensor> parts = new java.util.ArrayList<>();
        for (Tensor t : state.tensors()) {
            parts.add(t.narrow(1, b, 1).copy());
        }
        return RecurrentState.of(parts);
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
