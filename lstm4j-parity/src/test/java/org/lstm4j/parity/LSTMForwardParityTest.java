package org.lstm4j.parity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Tensor;

/**
 * lstm4j's {@code LSTM.forward} against libtorch's {@code torch::lstm} over seeded random
 * configurations covering every constructor option, omitted or given h0/c0, and unbatched input.
 * Weights are lstm4j's own initialisation, handed to libtorch through {@code stateDict()}.
 * Prints one {@code maxdiff} line per configuration and the worst case at the end.
 */
class LSTMForwardParityTest {

    static final float TOLERANCE = 1e-5f;
    private static final long SEED = 20240611L;
    private static final int CONFIGS = 72;

    @RegisterExtension
    static final LibTorch torch = new LibTorch(); // opened here, closed after all tests of this class
    private static final List<String> table = new ArrayList<>();
    private static float worst;
    private static String worstName = "none";

    /** One generated case: the module configuration plus how forward is called. */
    record Case(int index, LSTM.Config config, int steps, int batch, boolean givenState, boolean unbatched,
                long seed) {

        String name() {
            return String.format("#%02d L=%d N=%s H_in=%d H=%d layers=%d%s%s%s%s%s%s%s", index, steps,
                    unbatched ? "-" : String.valueOf(batch), config.inputSize(), config.hiddenSize(),
                    config.numLayers(), config.bidirectional() ? " bidir" : "",
                    config.projSize() > 0 ? " proj=" + config.projSize() : "", config.batchFirst() ? " batchFirst" : "",
                    config.bias() ? "" : " bias=false",
                    config.dropout() > 0 ? String.format(" dropout=%.2f(eval)", config.dropout()) : "",
                    givenState ? " h0c0" : "", unbatched ? " unbatched" : "");
        }
    }

    @AfterAll
    static void report() {
        System.out.println("LSTM forward parity vs libtorch: output / hN / cN maxdiff");
        table.forEach(System.out::println);
        System.out.printf("worst maxdiff %.3e in %s (tolerance %.0e)%n", worst, worstName, TOLERANCE);
    }

    /**
     * The cases: a full cycle over numLayers 1-3 × bidirectional × batchFirst × projections for
     * every 24 indices; the second cycle drops the biases, the third adds eval-mode dropout; one
     * case in five is unbatched and one in seven uses size 1 everywhere.
     */
    static List<Case> cases() {
        SplittableRandom random = new SplittableRandom(SEED);
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < CONFIGS; i++) {
            int layers = 1 + i % 3;
            boolean bidirectional = (i / 3) % 2 == 1;
            boolean batchFirst = (i / 6) % 2 == 1;
            boolean projected = (i / 12) % 2 == 1;
            int cycle = i / 24;
            boolean bias = cycle != 1;
            double dropout = cycle == 2 && layers > 1 ? 0.05 * (5 + random.nextInt(11)) : 0.0;
            boolean tiny = i % 7 == 0;
            int inputSize = tiny ? 1 : size(random, 64);
            int hidden = tiny ? (projected ? 2 : 1) : Math.max(projected ? 2 : 1, size(random, 64));
            int projSize = !projected ? 0 : tiny ? 1 : 1 + random.nextInt(hidden - 1);
            int steps = tiny ? 1 : size(random, 50);
            int batch = tiny ? 1 : size(random, 16);
            boolean unbatched = i % 5 == 0;
            boolean givenState = random.nextBoolean();
            LSTM.Config config = new LSTM.Config(inputSize, hidden, layers, bias, batchFirst, dropout, bidirectional,
                    projSize);
            cases.add(new Case(i, config, steps, batch, givenState, unbatched, random.nextLong()));
        }
        return cases;
    }

    /** 1 with probability 0.15 (the edge size), else uniform in [1, max]. */
    private static int size(SplittableRandom random, int max) {
        return random.nextDouble() < 0.15 ? 1 : 1 + random.nextInt(max);
    }

    @Test
    void everyOptionIsCoveredSeveralTimes() {
        List<Case> cases = cases();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(60);
        assertThat(cases.stream().filter(c -> c.config().numLayers() == 3).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> c.config().bidirectional()).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> c.config().batchFirst()).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> c.config().projSize() > 0).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> !c.config().bias()).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> c.config().dropout() > 0).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(Case::givenState).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> !c.givenState()).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(Case::unbatched).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> c.unbatched() && c.config().batchFirst()).count())
                .isGreaterThanOrEqualTo(2);
        assertThat(cases.stream().filter(c -> c.steps() == 1).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> c.batch() == 1 && !c.unbatched()).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> c.config().inputSize() == 1).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> c.config().hiddenSize() == 1).count()).isGreaterThanOrEqualTo(3);
        assertThat(cases.stream().filter(c -> c.config().projSize() == 1).count()).isGreaterThanOrEqualTo(3);
        assertThat(cases.stream().filter(c -> c.steps() >= 40).count()).isGreaterThanOrEqualTo(3);
        assertThat(cases.stream().filter(c -> c.config().hiddenSize() >= 48).count()).isGreaterThanOrEqualTo(3);
    }

    @TestFactory
    Stream<DynamicTest> forwardMatchesLibTorch() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    private static void check(Case c) {
        LSTM.Config config = c.config();
        LSTM lstm = LSTM.builder(config.inputSize(), config.hiddenSize()).numLayers(config.numLayers())
                .bias(config.bias()).batchFirst(config.batchFirst()).dropout(config.dropout())
                .bidirectional(config.bidirectional()).projSize(config.projSize()).seed(c.seed()).build();
        lstm.eval();
        int rows = config.numDirections() * config.numLayers();
        int[] inputShape = c.unbatched() ? new int[] {c.steps(), config.inputSize()}
                : config.batchFirst() ? new int[] {c.batch(), c.steps(), config.inputSize()}
                : new int[] {c.steps(), c.batch(), config.inputSize()};
        Tensor input = Tensor.randn(c.seed() + 1, inputShape);
        Tensor h0 = null;
        Tensor c0 = null;
        if (c.givenState()) {
            h0 = Tensor.randn(c.seed() + 2, c.unbatched() ? new int[] {rows, config.outputSize()}
                    : new int[] {rows, c.batch(), config.outputSize()});
            c0 = Tensor.randn(c.seed() + 3, c.unbatched() ? new int[] {rows, config.hiddenSize()}
                    : new int[] {rows, c.batch(), config.hiddenSize()});
        }
        LSTM.Output actual = lstm.forward(input, h0, c0);
        LSTM.Output expected = torch.lstm(config, lstm.stateDict(), input, h0, c0, false);

        assertThat(actual.output().shape()).isEqualTo(expected.output().shape());
        assertThat(actual.hN().shape()).isEqualTo(expected.hN().shape());
        assertThat(actual.cN().shape()).isEqualTo(expected.cN().shape());
        float dOut = actual.output().maxAbsDiff(expected.output());
        float dH = actual.hN().maxAbsDiff(expected.hN());
        float dC = actual.cN().maxAbsDiff(expected.cN());
        record(String.format("%-90s maxdiff output %.3e  hN %.3e  cN %.3e", c.name(), dOut, dH, dC),
                Math.max(dOut, Math.max(dH, dC)), c.name());
        assertThat(dOut).as("output maxdiff").isLessThanOrEqualTo(TOLERANCE);
        assertThat(dH).as("hN maxdiff").isLessThanOrEqualTo(TOLERANCE);
        assertThat(dC).as("cN maxdiff").isLessThanOrEqualTo(TOLERANCE);
    }

    private static synchronized void record(String line, float maxdiff, String name) {
        table.add(line);
        // NaN compares false with everything: make it the worst case explicitly.
        if (Float.isNaN(maxdiff) || maxdiff > worst) {
            worst = maxdiff;
            worstName = name;
        }
    }
}
