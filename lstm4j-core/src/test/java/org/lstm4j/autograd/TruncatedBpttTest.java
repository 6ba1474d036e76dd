package org.lstm4j.autograd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.Parameter;
import org.lstm4j.tensor.Tensor;

/**
 * Truncated backpropagation through time: the state is carried across chunks with
 * {@code detach()}, so a chunk's loss sends gradient into that chunk only.
 */
class TruncatedBpttTest {

    @Test
    void detachedStatesStopGradientsAtTheChunkBoundary() {
        LSTM lstm = LSTM.builder(3, 4).numLayers(2).seed(1).build();
        Tensor stream = Tensor.randn(2, 12, 2, 3); // (L=12, N=2, H_in=3), two chunks of 6
        Tensor r = Tensor.randn(3, 6, 2, 4);

        // chunk 1, then chunk 2 from chunk 1's detached state: backward of chunk 2 only
        LSTM.VariableOutput first = lstm.forward(Variable.of(stream.narrow(0, 0, 6)), null, null);
        Variable h = first.hN().detach();
        Variable c = first.cN().detach();
        assertThat(h.requiresGrad()).isFalse();
        LSTM.VariableOutput second = lstm.forward(Variable.of(stream.narrow(0, 6, 6)), h, c);
        second.output().mul(Variable.of(r)).sum().backward();
        List<float[]> truncated = grads(lstm);

        // the same chunk run on its own from constant states gives the same gradients
        lstm.zeroGrad();
        Tensor hConst = lstm.forward(stream.narrow(0, 0, 6)).hN();
        Tensor cConst = lstm.forward(stream.narrow(0, 0, 6)).cN();
        lstm.forward(Variable.of(stream.narrow(0, 6, 6)), Variable.of(hConst), Variable.of(cConst)).output()
                .mul(Variable.of(r)).sum().backward();
        List<float[]> alone = grads(lstm);
        for (int i = 0; i < alone.size(); i++) {
            assertThat(truncated.get(i)).isEqualTo(alone.get(i));
        }

        // without detach the gradient also reaches chunk 1's computation, so it differs
        lstm.zeroGrad();
        LSTM.VariableOutput full1 = lstm.forward(Variable.of(stream.narrow(0, 0, 6)), null, null);
        lstm.forward(Variable.of(stream.narrow(0, 6, 6)), full1.hN(), full1.cN()).output()
                .mul(Variable.of(r)).sum().backward();
        assertThat(grads(lstm).get(0)).isNotEqualTo(alone.get(0));
    }

    private static List<float[]> grads(LSTM lstm) {
        return lstm.parameters().stream().map(Parameter::grad).map(t -> t.data().clone()).toList();
    }
}
