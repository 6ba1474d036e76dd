package org.lstm4j.parity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.PackedSequence;
import org.lstm4j.nn.utils.Rnn;
import org.lstm4j.tensor.Tensor;

/**
 * {@code LSTM.forward(PackedSequence, h0, c0)} against libtorch run on each sequence alone: a
 * packed batch must give every sequence exactly what it gets as a batch of one with its true
 * length and its own slice of h0/c0 — per-step output, h_n and c_n, for the forward and the
 * backward direction. This is the definition of packing (DJL does not expose libtorch's packed
 * LSTM, so libtorch's unpacked op on the unpadded sequence is the reference).
 */
class PackedParityTest {

    private static final long SEED = 4_2024L;
    private static final int CONFIGS = 48;

    @RegisterExtension
    static final LibTorch torch = new LibTorch(); // opened here, closed after all tests of this class
    private static final List<String> table = new ArrayList<>();
    private static float worst;
    private static String worstName = "none";

    /** One generated case; {@code viaList} builds the batch with packSequence instead of packPaddedSequence. */
    record Case(int index, LSTM.Config config, int[] lengths, int steps, boolean enforceSorted, boolean paddedBatchFirst,
                boolean viaList, boolean givenState, boolean train, long seed) {

        String name() {
            return String.format("#%02d lengths=%s T=%d H_in=%d H=%d layers=%d%s%s%s%s%s%s%s%s", index,
                    Arrays.toString(lengths), steps, config.inputSize(), config.hiddenSize(), config.numLayers(),
                    config.bidirectional() ? " bidir" : "", config.projSize() > 0 ? " proj=" + config.projSize() : "",
                    config.bias() ? "" : " bias=false",
                    config.dropout() > 0 ? String.format(" dropout=%.2f(%s)", config.dropout(), train ? "train" : "eval")
                            : "",
                    enforceSorted ? " sorted" : " unsorted",
                    viaList ? " packSequence" : paddedBatchFirst ? " batchFirst" : "",
                    givenState ? " h0c0" : "", train ? " layer0-only" : "");
        }
    }

    @AfterAll
    static void report() {
        System.out.println("Packed LSTM parity vs libtorch per sequence: output / hN / cN maxdiff");
        table.forEach(System.out::println);
        System.out.printf("worst maxdiff %.3e in %s (tolerance %.0e)%n", worst, worstName,
                LSTMForwardParityTest.TOLERANCE);
    }

    /**
     * Layers, bidirectional and projections cycle through all 12 combinations every 12 cases;
     * bias, h0 and sortedness alternate on other periods; cases 36+ add dropout, in evaluation
     * mode except every third. In training mode the masks are random, so only what dropout cannot
     * reach is compared: layer 0's rows of h_n and c_n (dropout acts between layers).
     */
    static List<Case> cases() {
        SplittableRandom random = new SplittableRandom(SEED);
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < CONFIGS; i++) {
            int layers = 1 + i % 3;
            boolean bidirectional = (i / 3) % 2 == 1;
            boolean projected = (i / 6) % 2 == 1;
            boolean bias = i % 5 != 3;
            boolean givenState = i % 4 < 2;
            boolean enforceSorted = i % 3 == 1;
            boolean dropout = i >= 36 && layers > 1;
            boolean train = dropout && i % 3 == 2;
            int inputSize = 1 + random.nextInt(32);
            int hidden = Math.max(projected ? 2 : 1, 1 + random.nextInt(32));
            int projSize = projected ? 1 + random.nextInt(hidden - 1) : 0;
            int batch = 1 + random.nextInt(8);
            int steps = 1 + random.nextInt(30);
            int[] lengths = lengths(random, i, batch, steps);
            if (enforceSorted) {
                lengths = Arrays.stream(lengths).boxed().sorted((a, b) -> b - a).mapToInt(Integer::intValue).toArray();
            }
            LSTM.Config config = new LSTM.Config(inputSize, hidden, layers, bias, false,
                    dropout ? 0.05 * (4 + random.nextInt(12)) : 0.0, bidirectional, projSize);
            cases.add(new Case(i, config, lengths, steps, enforceSorted, i % 4 == 1 || i % 4 == 2, i % 7 == 3,
                    givenState, train, random.nextLong()));
        }
        return cases;
    }

    /** Random lengths in [1, steps]; every 5th case all equal, every 6th has a 1, some reach steps. */
    private static int[] lengths(SplittableRandom random, int i, int batch, int steps) {
        int[] lengths = new int[batch];
        int common = 1 + random.nextInt(steps);
        for (int b = 0; b < batch; b++) {
            lengths[b] = i % 5 == 0 ? common : 1 + random.nextInt(steps);
        }
        if (i % 6 == 0) {
            lengths[random.nextInt(batch)] = 1;
        }
        if (i % 4 == 3) {
            lengths[random.nextInt(batch)] = steps;
        }
        return lengths;
    }

    @Test
    void everyOptionIsCoveredSeveralTimes() {
        List<Case> cases = cases();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(40);
        assertThat(cases.stream().filter(c -> c.config().numLayers() == 3).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> c.config().bidirectional()).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> c.config().projSize() > 0).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> !c.config().bias()).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> c.config().dropout() > 0 && !c.train()).count()).isGreaterThanOrEqualTo(3);
        assertThat(cases.stream().filter(Case::train).count()).isGreaterThanOrEqualTo(2);
        assertThat(cases.stream().filter(Case::givenState).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(Case::enforceSorted).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> !c.enforceSorted()).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(Case::viaList).count()).isGreaterThanOrEqualTo(3);
        assertThat(cases.stream().filter(c -> !c.viaList() && c.paddedBatchFirst()).count()).isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> Arrays.stream(c.lengths()).anyMatch(l -> l == 1)).count())
                .isGreaterThanOrEqualTo(5);
        assertThat(cases.stream().filter(c -> c.lengths().length > 1
                && Arrays.stream(c.lengths()).distinct().count() == 1).count()).isGreaterThanOrEqualTo(3);
        assertThat(cases.stream().filter(c -> c.lengths().length > 2
                && Arrays.stream(c.lengths()).distinct().count() > 2).count()).isGreaterThanOrEqualTo(10);
    }

    @TestFactory
    Stream<DynamicTest> packedMatchesEachSequenceAloneInLibTorch() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    private static void check(Case c) {
        LSTM.Config config = c.config();
        LSTM lstm = LSTM.builder(config.inputSize(), config.hiddenSize()).numLayers(config.numLayers())
                .bias(config.bias()).dropout(config.dropout()).bidirectional(config.bidirectional())
                .projSize(config.projSize()).seed(c.seed()).build();
        if (!c.train()) {
            lstm.eval();
        }
        int batch = c.lengths().length;
        int rows = config.numDirections() * config.numLayers();
        // Sequence b is (lengths[b], H_in); the padded batch carries garbage (not zeros) past each
        // length, so any read beyond a sequence's end shows up in the comparison.
        List<Tensor> sequences = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            sequences.add(Tensor.randn(c.seed() + 10 + b, c.lengths()[b], config.inputSize()));
        }
        PackedSequence packed = c.viaList() ? Rnn.packSequence(sequences, c.enforceSorted())
                : Rnn.packPaddedSequence(padWithGarbage(sequences, c.steps(), c.paddedBatchFirst(), c.seed()),
                c.lengths(), c.paddedBatchFirst(), c.enforceSorted());
        Tensor h0 = c.givenState() ? Tensor.randn(c.seed() + 1, rows, batch, config.outputSize()) : null;
        Tensor c0 = c.givenState() ? Tensor.randn(c.seed() + 2, rows, batch, config.hiddenSize()) : null;

        LSTM.PackedOutput out = lstm.forward(packed, h0, c0);
        int width = config.numDirections() * config.outputSize();
        assertThat(out.output().data().shape()).containsExactly(Arrays.stream(c.lengths()).sum(), width);
        assertThat(out.output().batchSizes()).isEqualTo(packed.batchSizes());
        assertThat(out.output().sortedIndices()).isEqualTo(packed.sortedIndices());
        assertThat(out.hN().shape()).containsExactly(rows, batch, config.outputSize());
        assertThat(out.cN().shape()).containsExactly(rows, batch, config.hiddenSize());
        Rnn.PaddedSequence unpacked = Rnn.padPackedSequence(out.output(), false, 0f, c.steps());
        assertThat(unpacked.lengths()).isEqualTo(c.lengths());
        if (c.train()) {
            checkLayerZero(c, lstm, out, sequences, h0, c0);
            return;
        }

        float dOut = 0f;
        float dH = 0f;
        float dC = 0f;
        for (int b = 0; b < batch; b++) {
            Tensor h0b = h0 == null ? null : h0.select(1, b);
            Tensor c0b = c0 == null ? null : c0.select(1, b);
            LSTM.Output alone = torch.lstm(config, lstm.stateDict(), sequences.get(b), h0b, c0b, false);
            Tensor ours = unpacked.padded().select(1, b);                  // (T, D·H_out)
            int length = c.lengths()[b];
            dOut = Math.max(dOut, ours.narrow(0, 0, length).maxAbsDiff(alone.output()));
            dH = Math.max(dH, out.hN().select(1, b).maxAbsDiff(alone.hN()));
            dC = Math.max(dC, out.cN().select(1, b).maxAbsDiff(alone.cN()));
            assertThat(ours.narrow(0, length, c.steps() - length)).isEqualTo(Tensor.zeros(c.steps() - length, width));
        }
        record(String.format("%-110s maxdiff output %.3e  hN %.3e  cN %.3e", c.name(), dOut, dH, dC),
                Math.max(dOut, Math.max(dH, dC)), c.name());
        assertThat(dOut).as("output maxdiff").isLessThanOrEqualTo(LSTMForwardParityTest.TOLERANCE);
        assertThat(dH).as("hN maxdiff").isLessThanOrEqualTo(LSTMForwardParityTest.TOLERANCE);
        assertThat(dC).as("cN maxdiff").isLessThanOrEqualTo(LSTMForwardParityTest.TOLERANCE);
    }

    /**
     * Training mode: layer 0 sees no dropout (it acts on what layer 0 passes up), so layer 0's
     * rows of h_n and c_n must equal a one-layer libtorch LSTM with layer 0's weights run on each
     * sequence alone.
     */
    private static void checkLayerZero(Case c, LSTM lstm, LSTM.PackedOutput out, List<Tensor> sequences, Tensor h0,
                                       Tensor c0) {
        LSTM.Config config = c.config();
        int d = config.numDirections();
        LSTM.Config layerZero = new LSTM.Config(config.inputSize(), config.hiddenSize(), 1, config.bias(), false, 0.0,
                config.bidirectional(), config.projSize());
        Map<String, Tensor> weights = new LinkedHashMap<>();
        lstm.stateDict().forEach((name, t) -> {
            if (name.endsWith("_l0") || name.endsWith("_l0_reverse")) {
                weights.put(name, t);
            }
        });
        float dH = 0f;
        float dC = 0f;
        for (int b = 0; b < sequences.size(); b++) {
            Tensor h0b = h0 == null ? null : h0.narrow(0, 0, d).select(1, b);
            Tensor c0b = c0 == null ? null : c0.narrow(0, 0, d).select(1, b);
            LSTM.Output alone = torch.lstm(layerZero, weights, sequences.get(b), h0b, c0b, false);
            dH = Math.max(dH, out.hN().narrow(0, 0, d).select(1, b).maxAbsDiff(alone.hN()));
            dC = Math.max(dC, out.cN().narrow(0, 0, d).select(1, b).maxAbsDiff(alone.cN()));
        }
        record(String.format("%-110s maxdiff layer-0 hN %.3e  cN %.3e", c.name(), dH, dC), Math.max(dH, dC), c.name());
        assertThat(dH).as("layer 0 hN maxdiff").isLessThanOrEqualTo(LSTMForwardParityTest.TOLERANCE);
        assertThat(dC).as("layer 0 cN maxdiff").isLessThanOrEqualTo(LSTMForwardParityTest.TOLERANCE);
    }

    /** (T, N, H_in) or (N, T, H_in) holding the sequences, and large random values past each end. */
    private static Tensor padWithGarbage(List<Tensor> sequences, int steps, boolean batchFirst, long seed) {
        int batch = sequences.size();
        int inputSize = sequences.get(0).size(1);
        Tensor padded = Tensor.uniform(seed + 3, -100f, 100f, batchFirst ? new int[] {batch, steps, inputSize}
                : new int[] {steps, batch, inputSize});
        for (int b = 0; b < batch; b++) {
            Tensor s = sequences.get(b);
            for (int t = 0; t < s.size(0); t++) {
                for (int j = 0; j < inputSize; j++) {
                    float v = s.get(t, j);
                    if (batchFirst) {
                        padded.set(v, b, t, j);
                    } else {
                        padded.set(v, t, b, j);
                    }
                }
            }
        }
        return padded;
    }

    private static synchronized void record(String line, float maxdiff, String name) {
        table.add(line);
        if (Float.isNaN(maxdiff) || maxdiff > worst) {
            worst = maxdiff;
            worstName = name;
        }
    }
}
