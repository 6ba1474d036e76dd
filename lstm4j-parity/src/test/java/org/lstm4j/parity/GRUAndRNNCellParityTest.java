package org.lstm4j.parity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.lstm4j.nn.GRUCell;
import org.lstm4j.nn.HiddenStateRNN;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.nn.RNNBase.Mode;
import org.lstm4j.nn.RNNCell;
import org.lstm4j.nn.RNNCellBase;
import org.lstm4j.tensor.Tensor;

/**
 * lstm4j's {@code GRUCell} and {@code RNNCell} (tanh, relu) against libtorch: each step is
 * libtorch's one-layer {@code torch::gru} / {@code torch::rnn_*} over a sequence of length 1 with
 * the cell's weights (what {@code torch.nn.GRUCell} computes), batched and unbatched, with and
 * without bias, h given or omitted, over several chained steps so errors would accumulate.
 */
class GRUAndRNNCellParityTest {

    private static final int CASES_PER_MODE = 16;
    private static final int STEPS = 5;
    private static final Mode[] MODES = {Mode.GRU, Mode.RNN_TANH, Mode.RNN_RELU};

    @RegisterExtension
    static final LibTorch torch = new LibTorch();
    private static final Map<Mode, Float> WORST = new LinkedHashMap<>();

    @AfterAll
    static void report() {
        System.out.println("GRUCell / RNNCell parity vs libtorch, worst maxdiff per mode: " + WORST);
    }

    @TestFactory
    Stream<DynamicTest> cellsMatchLibTorch() {
        return Stream.of(MODES).flatMap(mode -> {
            SplittableRandom random = new SplittableRandom(88L + mode.ordinal());
            return IntStream.range(0, CASES_PER_MODE).mapToObj(i -> {
                boolean tiny = i % 6 == 0;
                int inputSize = tiny ? 1 : 1 + random.nextInt(64);
                int hidden = tiny ? 1 : i % 5 == 3 ? 100 + random.nextInt(200) : 1 + random.nextInt(64);
                int batch = tiny ? 1 : 1 + random.nextInt(16);
                boolean unbatched = i % 4 == 1;
                boolean bias = i % 3 != 2;
                boolean givenState = i % 2 == 0;
                long seed = random.nextLong();
                String name = String.format("%s #%02d H_in=%d H=%d N=%s%s%s", mode, i, inputSize, hidden,
                        unbatched ? "-" : String.valueOf(batch), bias ? "" : " bias=false", givenState ? " h0" : "");
                return DynamicTest.dynamicTest(name,
                        () -> check(mode, inputSize, hidden, batch, unbatched, bias, givenState, seed));
            });
        });
    }

    private static void check(Mode mode, int inputSize, int hidden, int batch, boolean unbatched, boolean bias,
                              boolean givenState, long seed) {
        RNNCellBase cell = mode == Mode.GRU ? new GRUCell(inputSize, hidden, bias, seed)
                : new RNNCell(inputSize, hidden, bias, mode == Mode.RNN_RELU ? "relu" : "tanh", seed);
        // The same weights as a one-layer module: weight_ih -> weight_ih_l0, ...
        Map<String, Tensor> layerWeights = new LinkedHashMap<>();
        cell.stateDict().forEach((name, value) -> layerWeights.put(name + "_l0", value));
        RNNBase.Config layer = RNNBase.Config.of(mode, inputSize, hidden, 1, bias, false, 0.0, false, 0);
        int[] xShape = unbatched ? new int[] {inputSize} : new int[] {batch, inputSize};
        int[] stateShape = unbatched ? new int[] {hidden} : new int[] {batch, hidden};
        Tensor h = givenState ? Tensor.randn(seed + 1, stateShape) : null;
        Tensor ours = null;
        Tensor theirs = null;
        for (int step = 0; step < STEPS; step++) {
            Tensor x = Tensor.randn(seed + 10 + step, xShape);
            ours = step(cell, x, ours == null ? h : ours);
            Tensor hPrev = theirs == null ? h : theirs;
            Tensor sequence = unbatched ? x.reshape(1, inputSize) : x.reshape(1, batch, inputSize);
            Tensor h0 = hPrev == null ? null : unbatched ? hPrev.reshape(1, hidden) : hPrev.reshape(1, batch, hidden);
            HiddenStateRNN.Output out = torch.hiddenStateRnn(layer, layerWeights, sequence, h0, false);
            theirs = out.hN().reshape(stateShape);
            assertThat(ours.shape()).isEqualTo(stateShape);
            float dH = ours.maxAbsDiff(theirs);
            record(mode, dH);
            assertThat(dH).as("h maxdiff at step %d", step).isLessThanOrEqualTo(GRUAndRNNForwardParityTest.TOLERANCE);
        }
    }

    private static Tensor step(RNNCellBase cell, Tensor x, Tensor h) {
        return cell instanceof GRUCell gru ? gru.forward(x, h) : ((RNNCell) cell).forward(x, h);
    }

    private static synchronized void record(Mode mode, float maxdiff) {
        WORST.merge(mode, maxdiff, (a, b) -> Float.isNaN(b) || b > a ? b : a);
    }
}
