package org.lstm4j.parity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Tensor;

/**
 * The documented relations between output and h_n, asserted on lstm4j and on libtorch alike, so
 * the docs describe what PyTorch does and lstm4j does the same:
 * <ul>
 *   <li>unidirectional: output[-1] == h_n[-1] (the last layer's final h)</li>
 *   <li>bidirectional: output[-1][..., :H_out] == h_n[-2] (forward ends at t = L-1) and
 *       output[0][..., H_out:] == h_n[-1] (backward ends at t = 0)</li>
 *   <li>batch_first transposes input and output only; h_n and c_n keep (D·num_layers, N, ·)</li>
 * </ul>
 * The relations are exact copies inside each implementation, so they are asserted bit-exact.
 */
class LSTMIdentityParityTest {

    @RegisterExtension
    static final LibTorch torch = new LibTorch(); // opened here, closed after all tests of this class

    /** (layers, bidirectional, projSize, seed) shapes the identities must hold for. */
    private static final List<int[]> SHAPES = List.of(
            new int[] {1, 0, 0, 1}, new int[] {3, 0, 0, 2}, new int[] {2, 0, 3, 3},
            new int[] {1, 1, 0, 4}, new int[] {3, 1, 0, 5}, new int[] {2, 1, 2, 6});

    private static LSTM build(int[] shape, boolean batchFirst) {
        return LSTM.builder(5, 6).numLayers(shape[0]).bidirectional(shape[1] == 1).projSize(shape[2])
                .batchFirst(batchFirst).seed(shape[3]).build();
    }

    private static String name(int[] shape) {
        return "layers=" + shape[0] + (shape[1] == 1 ? " bidir" : "") + (shape[2] > 0 ? " proj=" + shape[2] : "");
    }

    @TestFactory
    Stream<DynamicTest> lastOutputStepsAreTheFinalHiddenStates() {
        return SHAPES.stream().flatMap(shape -> Stream.of(false, true).map(batchFirst -> DynamicTest.dynamicTest(
                name(shape) + (batchFirst ? " batchFirst" : ""), () -> {
                    LSTM lstm = build(shape, batchFirst);
                    Tensor x = Tensor.randn(shape[3] + 100, batchFirst ? new int[] {4, 7, 5} : new int[] {7, 4, 5});
                    assertOutputMatchesHN(lstm, lstm.forward(x));
                    assertOutputMatchesHN(lstm, torch.lstm(lstm.config(), lstm.stateDict(), x, null, null, false));
                })));
    }

    @TestFactory
    Stream<DynamicTest> batchFirstDoesNotChangeTheStateLayout() {
        return SHAPES.stream().map(shape -> DynamicTest.dynamicTest(name(shape), () -> {
            LSTM timeMajor = build(shape, false);
            LSTM batchFirst = build(shape, true);
            Tensor x = Tensor.randn(shape[3] + 200, 7, 4, 5); // (L, N, H_in)
            int rows = timeMajor.config().numDirections() * timeMajor.config().numLayers();
            Tensor h0 = Tensor.randn(shape[3] + 300, rows, 4, timeMajor.config().outputSize());
            Tensor c0 = Tensor.randn(shape[3] + 400, rows, 4, timeMajor.config().hiddenSize());
            Tensor xBatchFirst = x.transpose(0, 1);

            LSTM.Output a = timeMajor.forward(x, h0, c0);
            LSTM.Output b = batchFirst.forward(xBatchFirst, h0, c0);
            assertThat(b.hN().shape()).containsExactly(rows, 4, timeMajor.config().outputSize());
            assertThat(b.hN()).isEqualTo(a.hN());
            assertThat(b.cN()).isEqualTo(a.cN());
            assertThat(b.output()).isEqualTo(a.output().transpose(0, 1));

            LSTM.Output ta = torch.lstm(timeMajor.config(), timeMajor.stateDict(), x, h0, c0, false);
            LSTM.Output tb = torch.lstm(batchFirst.config(), batchFirst.stateDict(), xBatchFirst, h0, c0, false);
            assertThat(tb.hN().shape()).containsExactly(rows, 4, timeMajor.config().outputSize());
            assertThat(tb.hN()).isEqualTo(ta.hN());
            assertThat(tb.cN()).isEqualTo(ta.cN());
            assertThat(tb.output()).isEqualTo(ta.output().transpose(0, 1));
        }));
    }

    private static void assertOutputMatchesHN(LSTM lstm, LSTM.Output out) {
        LSTM.Config config = lstm.config();
        int p = config.outputSize();
        // Work time-major: (L, N, D·H_out).
        Tensor output = config.batchFirst() ? out.output().transpose(0, 1) : out.output();
        Tensor last = output.select(0, -1);
        Tensor first = output.select(0, 0);
        if (!config.bidirectional()) {
            assertThat(last).isEqualTo(out.hN().select(0, -1));
            return;
        }
        assertThat(last.narrow(1, 0, p)).isEqualTo(out.hN().select(0, -2));
        assertThat(first.narrow(1, p, p)).isEqualTo(out.hN().select(0, -1));
        // And the traps the docs warn about really are traps for random weights:
        assertThat(last.narrow(1, p, p)).isNotEqualTo(out.hN().select(0, -1));
    }
}
