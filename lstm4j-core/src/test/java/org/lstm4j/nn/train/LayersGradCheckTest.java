package org.lstm4j.nn.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.lstm4j.autograd.Variable;
import org.lstm4j.nn.Dropout;
import org.lstm4j.nn.Embedding;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.Linear;
import org.lstm4j.nn.Module;
import org.lstm4j.tensor.Tensor;

/** Linear, Embedding and Dropout: backward against finite differences, and their PyTorch contracts. */
class LayersGradCheckTest {

    private static final double TOLERANCE = 2e-3;

    @Test
    void linearBackwardMatchesFiniteDifferences() {
        for (boolean bias : new boolean[] {true, false}) {
            Linear fc = new Linear(4, 3, bias, 1);
            Tensor x = Tensor.randn(2, 2, 5, 4); // any leading dims
            Tensor r = Tensor.randn(3, 2, 5, 3);
            Variable xv = Variable.requiringGrad(x);
            fc.forward(xv).mul(Variable.of(r)).sum().backward();
            DoubleSupplier loss = () -> FiniteDifferences.dot(fc.forward(x).data(), r.data());
            System.out.println("Linear bias=" + bias + ":");
            FiniteDifferences.check("weight", fc.weight().grad().data(),
                    FiniteDifferences.gradient(fc.weight().data().data(), loss), TOLERANCE);
            if (bias) {
                FiniteDifferences.check("bias", fc.bias().grad().data(),
                        FiniteDifferences.gradient(fc.bias().data().data(), loss), TOLERANCE);
            }
            FiniteDifferences.check("input", xv.grad().data(), FiniteDifferences.gradient(x.data(), loss), TOLERANCE);
        }
    }

    @Test
    void linearComputesXTimesWTransposedPlusB() {
        Linear fc = new Linear(3, 2, true, 5);
        Tensor x = Tensor.randn(6, 4, 3);
        Tensor y = fc.forward(x);
        for (int n = 0; n < 4; n++) {
            for (int o = 0; o < 2; o++) {
                double expected = fc.bias().data().get(o);
                for (int i = 0; i < 3; i++) {
                    expected += (double) x.get(n, i) * fc.weight().data().get(o, i);
                }
                assertThat((double) y.get(n, o)).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-6));
            }
        }
        assertThatThrownBy(() -> fc.forward(Tensor.zeros(2, 4))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 4]").hasMessageContaining("3");
    }

    @Test
    void embeddingGradientsAccumulatePerIndexAndSkipThePaddingRow() {
        Embedding embed = new Embedding(6, 3, 0, 1);
        assertThat(embed.weight().data().select(0, 0)).isEqualTo(Tensor.zeros(3));
        int[] ids = {2, 0, 2, 5, 1, 0};
        Tensor r = Tensor.randn(2, 2, 3, 3);
        embed.forward(ids, 2, 3).mul(Variable.of(r)).sum().backward();
        DoubleSupplier loss = () -> FiniteDifferences.dot(embed.forward(ids, 2, 3).value().data(), r.data());
        double[] numeric = FiniteDifferences.gradient(embed.weight().data().data(), loss);
        for (int j = 0; j < 3; j++) {
            numeric[j] = 0; // PyTorch: the padding row gets no gradient, though it is looked up
        }
        FiniteDifferences.check("embedding weight", embed.weight().grad().data(), numeric, TOLERANCE);
        assertThat(embed.weight().grad().select(0, 3)).isEqualTo(Tensor.zeros(3)); // never looked up
        assertThat(embed.forward(ids, 2, 3).shape()).containsExactly(2, 3, 3);
        assertThat(new Embedding(6, 3, -1, 1).paddingIdx()).hasValue(5);
        assertThat(new Embedding(6, 3, 1L).paddingIdx()).isEmpty();
        assertThatThrownBy(() -> embed.forward(new int[] {6})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("index out of range").hasMessageContaining("6");
        assertThatThrownBy(() -> embed.forward(new int[] {1, 2}, 3)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void dropoutGradientIsTheMaskAndEvalIsTheIdentity() {
        Dropout dropout = new Dropout(0.4, 3);
        Tensor x = Tensor.randn(1, 50, 40);
        Variable xv = Variable.requiringGrad(x);
        Variable y = dropout.forward(xv);
        y.sum().backward();
        float[] g = xv.grad().data();
        float[] out = y.value().data();
        int dropped = 0;
        for (int i = 0; i < g.length; i++) {
            if (g[i] == 0f) {
                dropped++;
                assertThat(out[i]).isEqualTo(0f);
            } else {
                assertThat(g[i]).isEqualTo((float) (1 / 0.6));
                assertThat(out[i]).isEqualTo(x.data()[i] * g[i]);
            }
        }
        assertThat(dropped / 2000.0).isBetween(0.35, 0.45);
        // the inference form draws the same mask from the same seed
        dropout.manualSeed(9);
        Tensor a = dropout.forward(x);
        dropout.manualSeed(9);
        assertThat(dropout.forward(Variable.of(x)).value()).isEqualTo(a);
        dropout.eval();
        assertThat(dropout.forward(x)).isSameAs(x);
        assertThat(dropout.forward(xv)).isSameAs(xv);
    }

    /** Nested names as PyTorch's state_dict() gives them for the same model. */
    static final class Tagger extends Module {
        final Embedding embedding = registerModule("embedding", new Embedding(10, 4, 0, 1));
        final LSTM lstm = registerModule("lstm", LSTM.builder(4, 5).numLayers(2).seed(2).build());
        final Dropout dropout = registerModule("dropout", new Dropout(0.1, 3));
        final Linear fc = registerModule("fc", new Linear(5, 3, true, 4));
    }

    @Test
    void nestedStateDictNamesAreAsInPyTorch() {
        Tagger model = new Tagger();
        assertThat(model.stateDict().keySet()).containsExactly("embedding.weight",
                "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
                "lstm.weight_ih_l1", "lstm.weight_hh_l1", "lstm.bias_ih_l1", "lstm.bias_hh_l1",
                "fc.weight", "fc.bias");
        model.eval();
        assertThat(List.of(model.lstm.isTraining(), model.dropout.isTraining(), model.fc.isTraining()))
                .containsOnly(false);
    }
}
