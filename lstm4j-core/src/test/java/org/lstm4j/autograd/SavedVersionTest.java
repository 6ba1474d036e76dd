package org.lstm4j.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.Linear;
import org.lstm4j.nn.PackedVariable;
import org.lstm4j.nn.PackedSequence;
import org.lstm4j.nn.loss.MSELoss;
import org.lstm4j.nn.utils.Rnn;
import org.lstm4j.optim.Adam;
import org.lstm4j.tensor.Tensor;

/**
 * A value the backward pass needs, changed in place after the forward pass, would give silently
 * wrong gradients; the backward refuses, with PyTorch's message.
 */
class SavedVersionTest {

    private static final String MODIFIED = "one of the variables needed for gradient computation has been modified"
            + " by an inplace operation: ";

    private static LSTM lstm() {
        return LSTM.builder(4, 6).numLayers(2).seed(3).build();
    }

    @Test
    void anLstmWeightSetBetweenForwardAndBackward() {
        LSTM lstm = lstm();
        Variable loss = lstm.forward(Variable.of(Tensor.randn(1, 5, 2, 4)), null, null).output().sum();
        lstm.stateDict().get("weight_hh_l1").set(1f, 0, 0);
        assertThatThrownBy(loss::backward).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith(MODIFIED + "[torch.FloatTensor [24, 6]] is at version 1; expected version 0"
                        + " instead.");
    }

    @Test
    void anOptimizerStepBetweenForwardAndBackward() {
        LSTM lstm = lstm();
        Variable loss = lstm.forward(Variable.of(Tensor.randn(1, 5, 2, 4)), null, null).hN().sum();
        Adam adam = new Adam(lstm.parameters(), 1e-3);
        lstm.forward(Variable.of(Tensor.randn(2, 5, 2, 4)), null, null).hN().sum().backward();
        adam.step();
        assertThatThrownBy(loss::backward).hasMessageStartingWith(MODIFIED);
    }

    @Test
    void anLstmInputChangedBetweenForwardAndBackward() {
        Tensor x = Tensor.randn(1, 5, 2, 4);
        Variable loss = lstm().forward(Variable.of(x), null, null).output().sum();
        x.data()[0] = 7f;
        assertThatThrownBy(loss::backward).hasMessageStartingWith(MODIFIED + "[torch.FloatTensor [5, 2, 4]]");
    }

    @Test
    void aPackedLstmWeightChangedBetweenForwardAndBackward() {
        LSTM lstm = lstm();
        PackedSequence packed = Rnn.packPaddedSequence(Tensor.randn(1, 5, 2, 4), new int[] {5, 3}, false, true);
        Variable loss = lstm.forward(PackedVariable.of(packed), null, null).hN().sum();
        lstm.stateDict().get("bias_ih_l0").data()[0] = 1f;
        assertThatThrownBy(loss::backward).hasMessageStartingWith(MODIFIED + "[torch.FloatTensor [24]]");
    }

    @Test
    void aLinearWeightChangedBetweenForwardAndBackward() {
        Linear linear = new Linear(3, 2, true, 1);
        Variable loss = linear.forward(Variable.requiringGrad(Tensor.randn(1, 4, 3))).sum();
        linear.stateDict().get("weight").set(0f, 1, 1);
        assertThatThrownBy(loss::backward).hasMessageStartingWith(MODIFIED + "[torch.FloatTensor [2, 3]]");
    }

    @Test
    void aFactorOfAProductChangedBetweenForwardAndBackward() {
        Tensor a = Tensor.randn(1, 3);
        Variable loss = Variable.requiringGrad(Tensor.randn(2, 3)).mul(Variable.of(a)).sum();
        a.set(2f, 0);
        assertThatThrownBy(loss::backward).hasMessageStartingWith(MODIFIED);
    }

    @Test
    void aLossTargetChangedBetweenForwardAndBackward() {
        Tensor target = Tensor.randn(1, 4);
        Variable loss = new MSELoss().forward(Variable.requiringGrad(Tensor.randn(2, 4)), target);
        target.set(0f, 0);
        assertThatThrownBy(loss::backward).hasMessageStartingWith(MODIFIED);
    }

    /** Reading a value again (a second forward over the same input and weights) is not a change. */
    @Test
    void aSecondForwardOverTheSameValuesDoesNotInvalidateTheFirst() {
        LSTM lstm = lstm();
        Tensor x = Tensor.randn(1, 5, 2, 4);
        Variable first = lstm.forward(Variable.of(x), null, null).output().sum();
        lstm.forward(Variable.of(x), null, null).output().sum().backward();
        assertThatCode(first::backward).doesNotThrowAnyException();
        assertThat(lstm.parameters().get(0).grad()).isNotNull();
    }

    /** Changes made before the forward pass are fine: the versions are taken when the op is recorded. */
    @Test
    void changesBeforeTheForwardPassAreFine() {
        LSTM lstm = lstm();
        lstm.stateDict().get("weight_ih_l0").set(1f, 0, 0);
        Variable loss = lstm.forward(Variable.of(Tensor.randn(1, 5, 2, 4)), null, null).output().sum();
        assertThatCode(loss::backward).doesNotThrowAnyException();
    }
}
