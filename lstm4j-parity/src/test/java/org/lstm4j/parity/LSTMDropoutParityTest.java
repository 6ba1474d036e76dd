package org.lstm4j.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Tensor;

/**
 * Between-layer dropout, observed from outside.
 *
 * <p>Evaluation mode must be exactly dropout 0. For training mode, layer 1 of a two-layer LSTM
 * is replaced by a <em>pass-through</em> layer: W_hh = 0, input and output gates saturated open
 * (bias +1000, σ = 1 exactly), forget gate shut (bias -1000, σ = 0 exactly) and the g gate of
 * hidden unit j reading input column j alone (with projections W_hr = [I | 0]). Each output
 * element is then tanh(tanh(x)) of one element x of the (dropped) layer-0 output: exactly 0
 * where dropout zeroed x and non-zero elsewhere. So the mask can be read off the output, and
 * the whole output must equal a one-layer pass-through LSTM run on layer 0's output with that
 * mask applied and the survivors scaled by 1/(1-p). The test fails if dropout is skipped, hits
 * the wrong tensor (input, last layer), forgets or misapplies the 1/(1-p) scaling, or drops at
 * a rate other than p. libtorch goes through the same check, which pins down that lstm4j's
 * semantics are libtorch's (masks are random in both, so they are not compared element-wise).
 */
class LSTMDropoutParityTest {

    /** Gate pre-activation that saturates σ to exactly 1 (or 0 when negated) in float. */
    private static final float SATURATED = 1000f;
    /** An output element this small can only come from a zeroed input (see class docs). */
    private static final float DROPPED = 1e-12f;
    private static final int INPUT = 5;
    private static final int HIDDEN = 16;
    private static final int STEPS = 40;
    private static final int BATCH = 16;

    @RegisterExtension
    static final LibTorch torch = new LibTorch(); // opened here, closed after all tests of this class

    @Test
    void evalModeIsBitExactlyDropoutZero() {
        for (double p : new double[] {0.3, 1.0}) {
            LSTM withDropout = LSTM.builder(INPUT, HIDDEN).numLayers(3).bidirectional(true).dropout(p).seed(7).build();
            LSTM withoutDropout = LSTM.builder(INPUT, HIDDEN).numLayers(3).bidirectional(true).seed(8).build();
            withoutDropout.loadStateDict(withDropout.stateDict(), true);
            Tensor x = Tensor.randn(9, STEPS, BATCH, INPUT);

            LSTM.Output eval = withDropout.eval().forward(x);
            LSTM.Output reference = withoutDropout.forward(x); // training mode, but p = 0
            assertThat(eval.output()).isEqualTo(reference.output());
            assertThat(eval.hN()).isEqualTo(reference.hN());
            assertThat(eval.cN()).isEqualTo(reference.cN());
            assertThat(withoutDropout.eval().forward(x).output()).isEqualTo(reference.output());

            LSTM.Output libtorchEval = torch.lstm(withDropout.config(), withDropout.stateDict(), x, null, null, false);
            float tolerance = LSTMForwardParityTest.TOLERANCE;
            assertThat(eval.output().maxAbsDiff(libtorchEval.output())).isLessThanOrEqualTo(tolerance);
            assertThat(eval.hN().maxAbsDiff(libtorchEval.hN())).isLessThanOrEqualTo(tolerance);
        }
    }

    @Test
    void trainingModeDropoutIsReproducibleFromTheSeedAndFreshOnEveryCall() {
        LSTM a = LSTM.builder(INPUT, HIDDEN).numLayers(2).dropout(0.5).seed(11).build();
        LSTM b = LSTM.builder(INPUT, HIDDEN).numLayers(2).dropout(0.5).seed(11).build();
        Tensor x = Tensor.randn(12, STEPS, BATCH, INPUT);
        Tensor first = a.forward(x).output();
        assertThat(b.forward(x).output()).isEqualTo(first);
        assertThat(a.forward(x).output()).isNotEqualTo(first);
    }

    /** (bidirectional, projSize) variants; the pass-through layer handles both. */
    private static final List<int[]> VARIANTS = List.of(new int[] {0, 0}, new int[] {1, 0}, new int[] {1, 6});

    @TestFactory
    Stream<DynamicTest> trainingModeDropsBetweenLayersAndRescales() {
        return Stream.of(0.2, 0.5, 0.8).flatMap(p -> VARIANTS.stream().flatMap(v -> Stream.of(
                DynamicTest.dynamicTest(String.format("lstm4j p=%.1f%s", p, variantName(v)), () -> checkLstm4j(p, v)),
                DynamicTest.dynamicTest(String.format("libtorch p=%.1f%s", p, variantName(v)),
                        () -> checkLibTorch(p, v)))));
    }

    @Test
    void dropoutOneZeroesEverythingBetweenLayers() {
        for (int[] v : VARIANTS) {
            Setup s = new Setup(1.0, v);
            assertAllZero(s.twoLayers.forward(s.x).output());
            assertAllZero(torch.lstm(s.twoLayers.config(), s.twoLayers.stateDict(), s.x, null, null, true).output());
        }
    }

    /** The check itself must reject the ways dropout goes wrong, simulated here on lstm4j tensors. */
    @Test
    void theCheckRejectsWrongDropout() {
        double p = 0.5;
        Setup s = new Setup(p, VARIANTS.get(0));
        Tensor layer0 = s.layer0.forward(s.x).output();
        UnaryOperator<Tensor> layer1 = x -> s.layer1.forward(x).output();
        Tensor noDropout = layer1.apply(layer0);
        Tensor notRescaled = layer1.apply(drop(layer0, p, 1f, 1));
        Tensor droppedTwice = drop(layer1.apply(drop(layer0, p, 2f, 2)), p, 2f, 3);
        Tensor rightDropout = layer1.apply(drop(layer0, p, 2f, 4));

        check("correct", p, rightDropout, layer0, layer1);
        for (Tensor wrong : List.of(noDropout, notRescaled, droppedTwice)) {
            assertThatThrownBy(() -> check("wrong", p, wrong, layer0, layer1)).isInstanceOf(AssertionError.class);
        }
    }

    /** Zeroes each element with probability p, multiplies the others by {@code scale}. */
    private static Tensor drop(Tensor t, double p, float scale, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Tensor out = t.copy();
        float[] v = out.data();
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextDouble() < p ? 0f : v[i] * scale;
        }
        return out;
    }

    private static void checkLstm4j(double p, int[] variant) {
        Setup s = new Setup(p, variant);
        Tensor out = s.twoLayers.forward(s.x).output(); // training mode is the default
        Tensor layer0 = s.layer0.forward(s.x).output();
        check("lstm4j", p, out, layer0, x -> s.layer1.forward(x).output());
    }

    private static void checkLibTorch(double p, int[] variant) {
        Setup s = new Setup(p, variant);
        Tensor out = torch.lstm(s.twoLayers.config(), s.twoLayers.stateDict(), s.x, null, null, true).output();
        Tensor layer0 = torch.lstm(s.layer0.config(), s.layer0.stateDict(), s.x, null, null, false).output();
        check("libtorch", p, out, layer0,
                x -> torch.lstm(s.layer1.config(), s.layer1.stateDict(), x, null, null, false).output());
    }

    /**
     * Reads the mask off {@code out}, re-applies it to {@code layer0Output} with PyTorch's
     * inverted scaling, runs the pass-through layer on that and compares with {@code out}.
     */
    private static void check(String who, double p, Tensor out, Tensor layer0Output, UnaryOperator<Tensor> layer1) {
        float scale = (float) (1.0 / (1.0 - p));
        float[] o = out.data();
        float[] dropped = layer0Output.copy().data();
        int zeros = 0;
        for (int i = 0; i < o.length; i++) {
            if (Math.abs(o[i]) < DROPPED) {
                dropped[i] = 0f;
                zeros++;
            } else {
                dropped[i] *= scale;
            }
        }
        Tensor expected = layer1.apply(Tensor.of(dropped, layer0Output.shape()));
        float maxdiff = out.maxAbsDiff(expected);
        double rate = (double) zeros / o.length;
        double sigma = Math.sqrt(p * (1 - p) / o.length);
        System.out.printf("%-8s dropout p=%.1f over %d activations: zeroed %.4f (p ± 4σ = %.1f ± %.4f), "
                + "recomputed layer 1 maxdiff %.3e%n", who, p, o.length, rate, p, 4 * sigma, maxdiff);
        assertThat(rate).as("fraction of zeroed activations").isBetween(p - 4 * sigma, p + 4 * sigma);
        assertThat(maxdiff).as("layer 1 recomputed from the masked, 1/(1-p)-scaled layer 0 output")
                .isLessThanOrEqualTo(1e-6f);
    }

    private static void assertAllZero(Tensor t) {
        for (float v : t.data()) {
            assertThat(v).isEqualTo(0f);
        }
    }

    private static String variantName(int[] v) {
        return (v[0] == 1 ? " bidir" : "") + (v[1] > 0 ? " proj=" + v[1] : "");
    }

    /**
     * A two-layer LSTM with dropout p whose layer 1 is the pass-through layer, plus its layer 0
     * and its layer 1 as separate one-layer LSTMs (no dropout), and an input.
     */
    private static final class Setup {
        final LSTM twoLayers;
        final LSTM layer0;
        final LSTM layer1;
        final Tensor x;

        Setup(double p, int[] variant) {
            boolean bidirectional = variant[0] == 1;
            int projSize = variant[1];
            twoLayers = LSTM.builder(INPUT, HIDDEN).numLayers(2).dropout(p).bidirectional(bidirectional)
                    .projSize(projSize).seed(Double.doubleToLongBits(p) + projSize).build();
            LSTM.Config config = twoLayers.config();
            Map<String, Tensor> weights = new LinkedHashMap<>(twoLayers.stateDict());
            for (LSTM.ParameterSpec spec : config.parameterSpecs()) {
                if (spec.layer() == 1) {
                    weights.put(spec.name(), passThrough(spec, config));
                }
            }
            twoLayers.loadStateDict(weights, true);

            layer0 = LSTM.builder(INPUT, HIDDEN).bidirectional(bidirectional).projSize(projSize).seed(0).build();
            Map<String, Tensor> layer0Weights = new LinkedHashMap<>();
            layer0.stateDict().keySet().forEach(name -> layer0Weights.put(name, weights.get(name)));
            layer0.loadStateDict(layer0Weights, true);

            layer1 = LSTM.builder(config.layerInputSize(1), HIDDEN).bidirectional(bidirectional).projSize(projSize)
                    .seed(0).build();
            Map<String, Tensor> layer1Weights = new LinkedHashMap<>();
            for (LSTM.ParameterSpec spec : layer1.config().parameterSpecs()) {
                layer1Weights.put(spec.name(), passThrough(spec, layer1.config()));
            }
            layer1.loadStateDict(layer1Weights, true);
            x = Tensor.randn(Double.doubleToLongBits(p), STEPS, BATCH, INPUT);
        }

        /** One parameter of the pass-through layer (see the class docs); gate rows are i, f, g, o. */
        private static Tensor passThrough(LSTM.ParameterSpec spec, LSTM.Config config) {
            int h = config.hiddenSize();
            int p = config.outputSize();
            Tensor t = Tensor.zeros(spec.shape());
            switch (spec.kind()) {
                case WEIGHT_IH -> {
                    for (int j = 0; j < p; j++) {
                        t.set(1f, 2 * h + j, spec.direction() * p + j); // g_j reads this direction's column j
                    }
                }
                case BIAS_IH -> {
                    for (int j = 0; j < h; j++) {
                        t.set(SATURATED, j);          // i = 1
                        t.set(-SATURATED, h + j);     // f = 0
                        t.set(SATURATED, 3 * h + j);  // o = 1
                    }
                }
                case WEIGHT_HR -> {
                    for (int j = 0; j < p; j++) {
                        t.set(1f, j, j);
                    }
                }
                case WEIGHT_HH, BIAS_HH -> {
                    // zeros: no recurrence
                }
            }
            return t;
        }
    }
}
