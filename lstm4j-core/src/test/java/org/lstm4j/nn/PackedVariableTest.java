package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.lstm4j.autograd.Variable;
import org.lstm4j.tensor.Tensor;

/**
 * Packing and unpacking on the tape. The LSTM's gradients through packed batches are checked
 * against finite differences ({@code RecurrentGradCheckTest}) and libtorch ({@code RecurrentGradientParityTest}).
 */
class PackedVariableTest {

    @Test
    void packLaysOutRowsStepByStepLongestFirstAndPadInvertsIt() {
        Tensor padded = Tensor.randn(1, 4, 3, 2); // (L=4, N=3, 2)
        int[] lengths = {2, 4, 1};
        PackedVariable packed = PackedVariable.pack(Variable.of(padded), lengths, false, false);
        assertThat(packed.batchSizes()).containsExactly(3, 2, 1, 1);
        assertThat(packed.sortedIndices()).containsExactly(1, 0, 2);
        assertThat(packed.unsortedIndices()).containsExactly(1, 0, 2);
        assertThat(packed.lengths()).containsExactly(lengths);
        Tensor data = packed.data().value();
        assertThat(data.shape()).containsExactly(7, 2);
        assertThat(data.select(0, 0)).isEqualTo(padded.select(0, 0).select(0, 1)); // t=0, longest (n=1) first
        assertThat(data.select(0, 3)).isEqualTo(padded.select(0, 1).select(0, 1)); // t=1, n=1
        assertThat(data.select(0, 4)).isEqualTo(padded.select(0, 1).select(0, 0)); // t=1, n=0

        Tensor back = packed.pad(false, -1f, null).value();
        assertThat(back.shape()).containsExactly(4, 3, 2);
        for (int t = 0; t < 4; t++) {
            for (int n = 0; n < 3; n++) {
                Tensor expected = t < lengths[n] ? padded.select(0, t).select(0, n) : Tensor.full(-1f, 2);
                assertThat(back.select(0, t).select(0, n)).isEqualTo(expected);
            }
        }
        Tensor batchFirst = PackedVariable.pack(Variable.of(padded.transpose(0, 1)), lengths, true, false)
                .pad(true, 0f, 6).value();
        assertThat(batchFirst.shape()).containsExactly(3, 6, 2);
        assertThat(batchFirst.narrow(1, 0, 4).transpose(0, 1)).isEqualTo(packed.pad(false, 0f, null).value());
    }

    @Test
    void gradientsReachOnlyTheValidPositions() {
        Tensor padded = Tensor.randn(2, 3, 2, 4);
        Variable x = Variable.requiringGrad(padded);
        PackedVariable packed = PackedVariable.pack(x, new int[] {3, 1}, false, true);
        assertThat(packed.sortedIndices()).isNull();
        packed.pad(false, 0f, null).mul(2f).sum().backward();
        for (int t = 0; t < 3; t++) {
            assertThat(x.grad().select(0, t).select(0, 0)).isEqualTo(Tensor.full(2f, 4));
            assertThat(x.grad().select(0, t).select(0, 1)).isEqualTo(Tensor.full(t < 1 ? 2f : 0f, 4));
        }
    }

    @Test
    void packedLstmOnTheTapeMatchesThePackedInferencePath() {
        LSTM lstm = LSTM.builder(4, 3).numLayers(2).bidirectional(true).seed(3).build();
        Tensor padded = Tensor.randn(4, 5, 3, 4);
        int[] lengths = {3, 5, 2};
        PackedVariable packed = PackedVariable.pack(Variable.of(padded), lengths, false, false);
        LSTM.PackedVariableOutput taped = lstm.forward(packed, null, null);
        LSTM.PackedOutput plain = lstm.forward(packed.toPackedSequence(), null, null);
        assertThat(taped.output().data().value()).isEqualTo(plain.output().data());
        assertThat(taped.hN().value()).isEqualTo(plain.hN());
        assertThat(taped.output().sortedIndices()).containsExactly(plain.output().sortedIndices());
    }

    @Test
    void badLengthsAreRejectedAsPyTorchRejectsThem() {
        Variable padded = Variable.of(Tensor.zeros(3, 2, 1));
        assertThatThrownBy(() -> PackedVariable.pack(padded, new int[] {1, 3}, false, true))
                .hasMessageContaining("must be sorted in decreasing order");
        assertThatThrownBy(() -> PackedVariable.pack(padded, new int[] {0, 1}, false, false))
                .hasMessageContaining("greater than 0");
        assertThatThrownBy(() -> PackedVariable.pack(padded, new int[] {1}, false, false))
                .hasMessageContaining("Expected `len(lengths)` to be equal to batch_size, but got 1 (batch_size=2)");
        assertThatThrownBy(() -> PackedVariable.pack(padded, new int[] {4, 1}, false, false))
                .hasMessageContaining("Expected every length to be at most the padded sequence length 3");
        PackedVariable ok = PackedVariable.pack(padded, new int[] {3, 1}, false, true);
        assertThatThrownBy(() -> ok.pad(false, 0f, 2)).hasMessageContaining("total_length=2");
    }
}
