package org.lstm4j.parity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.lstm4j.nn.HiddenStateRNN;
import org.lstm4j.nn.PackedSequence;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.nn.RNNBase.Mode;
import org.lstm4j.nn.utils.Rnn;
import org.lstm4j.tensor.Tensor;

/**
 * lstm4j's {@code GRU} and {@code RNN} (tanh and relu) against libtorch's {@code torch::gru},
 * {@code torch::rnn_tanh} and {@code torch::rnn_relu}: 64 seeded configurations per mode covering
 * every constructor option (layers 1-3, bidirectional, batch_first, bias=False, eval-mode
 * dropout), omitted or given h0, unbatched input, packed variable-length batches and sizes from 1
 * to a few hundred hidden units (where the hidden-unit split across threads kicks in). Weights are
 * lstm4j's own initialisation, handed to libtorch through {@code stateDict()}.
 *
 * <p>Packed batches: DJL does not expose the packed overloads, so each sequence runs alone in
 * libtorch over its true length (what packing means) and its rows and h_n columns are compared.
 * Every unpacked case also checks the identities bit for bit, on lstm4j's results and on
 * libtorch's: output[-1] == h_n[-1] unidirectional; bidirectional, the forward half of
 * output[-1] == h_n[-2] and the backward half of output[0] == h_n[-1].
 */
class GRUAndRNNForwardParityTest {

    static final float TOLERANCE = 1e-5f;
    private static final int CONFIGS_PER_MODE = 64;
    private static final Mode[] MODES = {Mode.GRU, Mode.RNN_TANH, Mode.RNN_RELU};

    @RegisterExtension
    static final LibTorch torch = new LibTorch();
    private static final List<String> table = new ArrayList<>();
    private static final float[] worst = new float[MODES.length];
    private static final String[] worstName = {"none", "none", "none"};

    /** One generated case; lengths is null unless packed. */
    record Case(int index, RNNBase.Config config, int steps, int batch, boolean givenState, boolean unbatched,
                int[] lengths, long seed) {

        String name() {
            RNNBase.Config c = config;
            return String.format("%s #%02d L=%d N=%s H_in=%d H=%d layers=%d%s%s%s%s%s%s%s", c.mode(), index, steps,
                    unbatched ? "-" : String.valueOf(batch), c.inputSize(), c.hiddenSize(), c.numLayers(),
                    c.bidirectional() ? " bidir" : "", c.batchFirst() ? " batchFirst" : "",
                    c.bias() ? "" : " bias=false",
                    c.dropout() > 0 ? String.format(" dropout=%.2f(eval)", c.dropout()) : "",
                    givenState ? " h0" : "", unbatched ? " unbatched" : "",
                    lengths != null ? " packed" + Arrays.toString(lengths) : "");
        }
    }

    @AfterAll
    static void report() {
        System.out.println("GRU / RNN forward parity vs libtorch: output / hN maxdiff");
        table.forEach(System.out::println);
        for (int m = 0; m < MODES.length; m++) {
            System.out.printf("%s: worst maxdiff %.3e in %s (tolerance %.0e)%n", MODES[m], worst[m], worstName[m],
                    TOLERANCE);
        }
    }

    /**
     * Per mode, the cycles of {@code LSTMForwardParityTest}: numLayers 1-3 × bidirectional ×
     * batchFirst × packed for every 24 indices; the second cycle drops the biases, the third adds
     * eval-mode dropout; one unpacked case in five is unbatched, one case in seven uses size 1
     * everywhere, one in eight is wide (96-320 hidden units).
     */
    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (Mode mode : MODES) {
            SplittableRandom random = new SplittableRandom(20261201L + mode.ordinal());
            for (int i = 0; i < CONFIGS_PER_MODE; i++) {
                int layers = 1 + i % 3;
                boolean bidirectional = (i / 3) % 2 == 1;
                boolean batchFirst = (i / 6) % 2 == 1;
                boolean packed = (i / 12) % 2 == 1;
                int cycle = (i / 24) % 3;
                boolean bias = cycle != 1;
                double dropout = cycle == 2 && layers > 1 ? 0.05 * (5 + random.nextInt(11)) : 0.0;
                boolean tiny = i % 7 == 0;
                boolean wide = i % 8 == 5;
                int inputSize = tiny ? 1 : size(random, 64);
                int hidden = tiny ? 1 : wide ? 96 + random.nextInt(225) : size(random, 64);
                int steps = tiny ? 1 : size(random, wide ? 12 : 50);
                int batch = tiny ? 1 : wide ? 1 + random.nextInt(3) : size(random, 16);
                boolean unbatched = !packed && i % 5 == 0;
                boolean givenState = random.nextBoolean();
                int[] lengths = null;
                if (packed) {
                    int n = batch;
                    int l = steps;
                    lengths = IntStream.range(0, n).map(k -> 1 + random.nextInt(l)).toArray();
                    lengths[random.nextInt(n)] = steps;
                }
                RNNBase.Config config = RNNBase.Config.of(mode, inputSize, hidden, layers, bias, batchFirst, dropout,
                        bidirectional, 0);
                cases.add(new Case(i, config, steps, batch, givenState, unbatched, lengths, random.nextLong()));
            }
        }
        return cases;
    }

    /** 1 with probability 0.15 (the edge size), else uniform in [1, max]. */
    private static int size(SplittableRandom random, int max) {
        return random.nextDouble() < 0.15 ? 1 : 1 + random.nextInt(max);
    }

    @Test
    void everyOptionIsCoveredSeveralTimesPerMode() {
        List<Case> all = cases();
        for (Mode mode : MODES) {
            List<Case> cases = all.stream().filter(c -> c.config().mode() == mode).toList();
            assertThat(cases).hasSizeGreaterThanOrEqualTo(60);
            assertThat(cases.stream().filter(c -> c.config().numLayers() == 3).count()).isGreaterThanOrEqualTo(5);
            assertThat(cases.stream().filter(c -> c.config().bidirectional()).count()).isGreaterThanOrEqualTo(5);
            assertThat(cases.stream().filter(c -> c.config().batchFirst()).count()).isGreaterThanOrEqualTo(5);
            assertThat(cases.stream().filter(c -> !c.config().bias()).count()).isGreaterThanOrEqualTo(5);
            assertThat(cases.stream().filter(c -> c.config().dropout() > 0).count()).isGreaterThanOrEqualTo(5);
            assertThat(cases.stream().filter(c -> c.lengths() != null).count()).isGreaterThanOrEqualTo(5);
            assertThat(cases.stream().filter(c -> c.lengths() != null && c.config().bidirectional()).count())
                    .isGreaterThanOrEqualTo(3);
            assertThat(cases.stream().filter(Case::givenState).count()).isGreaterThanOrEqualTo(5);
            assertThat(cases.stream().filter(c -> !c.givenState()).count()).isGreaterThanOrEqualTo(5);
            assertThat(cases.stream().filter(Case::unbatched).count()).isGreaterThanOrEqualTo(5);
            assertThat(cases.stream().filter(c -> c.steps() == 1).count()).isGreaterThanOrEqualTo(5);
            assertThat(cases.stream().filter(c -> c.config().hiddenSize() == 1).count()).isGreaterThanOrEqualTo(3);
            assertThat(cases.stream().filter(c -> c.config().hiddenSize() >= 96).count()).isGreaterThanOrEqualTo(5);
        }
    }

    @TestFactory
    Stream<DynamicTest> forwardMatchesLibTorch() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    private static void check(Case c) {
        RNNBase.Config config = c.config();
        HiddenStateRNN module = (HiddenStateRNN) RNNBase.create(config, c.seed());
        module.eval();
        int rows = config.numDirections() * config.numLayers();
        int hOut = config.outputSize();
        boolean batchFirst = config.batchFirst() && !c.unbatched();
        int[] inputShape = c.unbatched() ? new int[] {c.steps(), config.inputSize()}
                : batchFirst ? new int[] {c.batch(), c.steps(), config.inputSize()}
                : new int[] {c.steps(), c.batch(), config.inputSize()};
        Tensor input = Tensor.randn(c.seed() + 1, inputShape);
        Tensor h0 = !c.givenState() ? null
                : Tensor.randn(c.seed() + 2, c.unbatched() ? new int[] {rows, hOut} : new int[] {rows, c.batch(), hOut});
        float dOut;
        float dH;
        if (c.lengths() == null) {
            HiddenStateRNN.Output actual = module.forward(input, h0);
            HiddenStateRNN.Output expected = torch.hiddenStateRnn(config, module.stateDict(), input, h0, false);
            assertThat(actual.output().shape()).isEqualTo(expected.output().shape());
            assertThat(actual.hN().shape()).isEqualTo(expected.hN().shape());
            dOut = actual.output().maxAbsDiff(expected.output());
            dH = actual.hN().maxAbsDiff(expected.hN());
            checkIdentities(actual, config, batchFirst, "lstm4j");
            checkIdentities(expected, config, batchFirst, "libtorch");
        } else {
            PackedSequence packed = Rnn.packPaddedSequence(input, c.lengths(), batchFirst, false);
            HiddenStateRNN.PackedOutput actual = module.forward(packed, h0);
            Tensor padded = Rnn.padPackedSequence(actual.output(), false, 0f, c.steps()).padded(); // (L, N, D·H)
            RNNBase.Config single = config.withBatchFirst(false);
            dOut = 0;
            dH = 0;
            for (int b = 0; b < c.batch(); b++) {
                int len = c.lengths()[b];
                Tensor x = Tensor.zeros(len, 1, config.inputSize());
                for (int t = 0; t < len; t++) {
                    Tensor row = batchFirst ? input.select(0, b).select(0, t) : input.select(0, t).select(0, b);
                    System.arraycopy(row.data(), 0, x.data(), t * config.inputSize(), config.inputSize());
                }
                Tensor h0b = h0 == null ? null : column(h0, b);
                HiddenStateRNN.Output expected = torch.hiddenStateRnn(single, module.stateDict(), x, h0b, false);
                for (int t = 0; t < len; t++) {
                    dOut = Math.max(dOut, padded.select(0, t).select(0, b).maxAbsDiff(expected.output().select(0, t)
                            .select(0, 0)));
                }
                dH = Math.max(dH, column(actual.hN(), b).maxAbsDiff(expected.hN()));
            }
        }
        record(String.format("%-100s maxdiff output %.3e  hN %.3e", c.name(), dOut, dH), Math.max(dOut, dH), c);
        assertThat(dOut).as("output maxdiff").isLessThanOrEqualTo(TOLERANCE);
        assertThat(dH).as("hN maxdiff").isLessThanOrEqualTo(TOLERANCE);
    }

    /** Sequence b of a (rows, N, H) state as (rows, 1, H). */
    private static Tensor column(Tensor state, int b) {
        int rows = state.size(0);
        int width = state.size(2);
        Tensor out = Tensor.zeros(rows, 1, width);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(state.select(0, r).select(0, b).data(), 0, out.data(), r * width, width);
        }
        return out;
    }

    /** The output/h_n identities, bit for bit. */
    private static void checkIdentities(HiddenStateRNN.Output out, RNNBase.Config config, boolean batchFirst,
                                        String who) {
        int timeDim = batchFirst ? 1 : 0;
        int h = config.outputSize();
        Tensor last = out.output().select(timeDim, -1);
        if (!config.bidirectional()) {
            assertThat(last).as(who + ": output[-1] == h_n[-1]").isEqualTo(out.hN().select(0, -1));
            return;
        }
        Tensor first = out.output().select(timeDim, 0);
        assertThat(last.narrow(-1, 0, h)).as(who + ": output[-1][..., :H] == h_n[-2]")
                .isEqualTo(out.hN().select(0, -2));
        assertThat(first.narrow(-1, h, h)).as(who + ": output[0][..., H:] == h_n[-1]")
                .isEqualTo(out.hN().select(0, -1));
    }

    private static synchronized void record(String line, float maxdiff, Case c) {
        table.add(line);
        int m = Arrays.asList(MODES).indexOf(c.config().mode());
        // NaN compares false with everything: make it the worst case explicitly.
        if (Float.isNaN(maxdiff) || maxdiff > worst[m]) {
            worst[m] = maxdiff;
            worstName[m] = c.name();
        }
    }
}
