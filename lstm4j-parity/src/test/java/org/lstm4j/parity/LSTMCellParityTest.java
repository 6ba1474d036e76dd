package org.lstm4j.parity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.lstm4j.nn.LSTMCell;
import org.lstm4j.tensor.Tensor;

/**
 * lstm4j's {@code LSTMCell} against the cell equations composed from libtorch ops
 * ({@link LibTorch#lstmCell}): batched and unbatched, with and without bias, state given or
 * omitted, over several chained steps so errors in c would accumulate.
 */
class LSTMCellParityTest {

    private static final long SEED = 77L;
    private static final int CASES = 24;
    private static final int STEPS = 5;

    @RegisterExtension
    static final LibTorch torch = new LibTorch(); // opened here, closed after all tests of this class
    private static float worst;

    @AfterAll
    static void close() {
        System.out.printf("LSTMCell parity vs libtorch ops: worst maxdiff %.3e%n", worst);
    }

    @TestFactory
    Stream<DynamicTest> cellMatchesLibTorch() {
        SplittableRandom random = new SplittableRandom(SEED);
        return IntStream.range(0, CASES).mapToObj(i -> {
            boolean tiny = i % 6 == 0;
            int inputSize = tiny ? 1 : 1 + random.nextInt(64);
            int hidden = tiny ? 1 : 1 + random.nextInt(64);
            int batch = tiny ? 1 : 1 + random.nextInt(16);
            boolean unbatched = i % 4 == 1;
            boolean bias = i % 3 != 2;
            boolean givenState = i % 2 == 0;
            long seed = random.nextLong();
            String name = String.format("#%02d H_in=%d H=%d N=%s%s%s", i, inputSize, hidden,
                    unbatched ? "-" : String.valueOf(batch), bias ? "" : " bias=false", givenState ? " h0c0" : "");
            return DynamicTest.dynamicTest(name,
                    () -> check(inputSize, hidden, batch, unbatched, bias, givenState, seed));
        });
    }

    private static void check(int inputSize, int hidden, int batch, boolean unbatched, boolean bias, boolean givenState,
                              long seed) {
        LSTMCell cell = new LSTMCell(inputSize, hidden, bias, seed);
        int[] xShape = unbatched ? new int[] {inputSize} : new int[] {batch, inputSize};
        int[] stateShape = unbatched ? new int[] {hidden} : new int[] {batch, hidden};
        Tensor h = givenState ? Tensor.randn(seed + 1, stateShape) : null;
        Tensor c = givenState ? Tensor.randn(seed + 2, stateShape) : null;
        LSTMCell.State ours = null;
        LSTMCell.State theirs = null;
        for (int step = 0; step < STEPS; step++) {
            Tensor x = Tensor.randn(seed + 10 + step, xShape);
            ours = cell.forward(x, ours == null ? h : ours.h(), ours == null ? c : ours.c());
            theirs = torch.lstmCell(cell.stateDict(), x, theirs == null ? h : theirs.h(),
                    theirs == null ? c : theirs.c());
            assertThat(ours.h().shape()).isEqualTo(stateShape);
            assertThat(theirs.h().shape()).isEqualTo(stateShape);
            float dH = ours.h().maxAbsDiff(theirs.h());
            float dC = ours.c().maxAbsDiff(theirs.c());
            record(Math.max(dH, dC));
            assertThat(dH).as("h maxdiff at step %d", step).isLessThanOrEqualTo(LSTMForwardParityTest.TOLERANCE);
            assertThat(dC).as("c maxdiff at step %d", step).isLessThanOrEqualTo(LSTMForwardParityTest.TOLERANCE);
        }
    }

    private static synchronized void record(float maxdiff) {
        if (Float.isNaN(maxdiff) || maxdiff > worst) {
            worst = maxdiff;
        }
    }
}
