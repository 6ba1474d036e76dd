package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.lstm4j.autograd.Variable;
import org.lstm4j.tensor.Tensor;

/**
 * Batch size 0 gives empty results in every entry point, as PyTorch's do (the forward shapes are
 * checked against libtorch in lstm4j-parity's EmptyBatchParityTest).
 */
class EmptyBatchTest {

    private static LSTM lstm() {
        LSTM lstm = LSTM.builder(8, 16).numLayers(2).seed(5).build();
        lstm.eval();
        return lstm;
    }

    /** torch: x = zeros(5, 0, 8, requires_grad=True); out, (h, c) = lstm(x); backward gives x.grad (5, 0, 8), weight grads zeros. */
    @Test
    void backwardGivesEmptyInputGradientsAndZeroWeightGradients() {
        LSTM lstm = lstm();
        Variable x = Variable.requiringGrad(Tensor.zeros(5, 0, 8));
        LSTM.VariableOutput out = lstm.forward(x, null, null);
        out.output().sum().add(out.hN().sum()).backward();
        assertThat(x.grad().shape()).containsExactly(5, 0, 8);
        for (Parameter p : lstm.parameters()) {
            assertThat(p.grad()).isEqualTo(Tensor.zeros(p.shape()));
        }
    }

    @Test
    void cellGivesEmptyState() {
        LSTMCell.State s = new LSTMCell(8, 16, true, 1).forward(Tensor.zeros(0, 8), null, null);
        assertThat(s.h().shape()).containsExactly(0, 16);
        assertThat(s.c().shape()).containsExactly(0, 16);
    }

    @Test
    void streamingWithNoStreams() {
        LSTM lstm = lstm();
        LSTMState empty = lstm.zeroState(0);
        assertThat(empty.h().shape()).containsExactly(2, 0, 16);

        LSTM.StepOutput step = lstm.step(Tensor.zeros(0, 8), empty);
        assertThat(step.output().shape()).containsExactly(0, 16);

        InferenceSession session = lstm.newSession(4);
        assertThat(session.step(Tensor.zeros(0, 8), empty).shape()).containsExactly(0, 16);
        assertThat(session.stepStreams(Tensor.zeros(0, 8)).shape()).containsExactly(0, 16);
        assertThat(lstm.newSession(0).step(Tensor.zeros(0, 8), empty).shape()).containsExactly(0, 16);

        LSTM.StatefulOutput chunk = lstm.forward(Tensor.zeros(3, 0, 8), empty);
        assertThat(chunk.output().shape()).containsExactly(3, 0, 16);
        assertThat(chunk.state().c().shape()).containsExactly(2, 0, 16);
    }
}
