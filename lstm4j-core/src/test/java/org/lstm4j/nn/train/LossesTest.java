package org.lstm4j.nn.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.lstm4j.autograd.Variable;
import org.lstm4j.nn.loss.BCEWithLogitsLoss;
import org.lstm4j.nn.loss.CrossEntropyLoss;
import org.lstm4j.nn.loss.MSELoss;
import org.lstm4j.nn.loss.Reduction;
import org.lstm4j.tensor.Tensor;

/**
 * Loss gradients against finite differences for every reduction; values against libtorch are
 * in lstm4j-parity ({@code LossParityTest}). Here: reductions relate as PyTorch documents them.
 */
class LossesTest {

    private static final double TOLERANCE = 2e-3;

    private static void check(String name, Tensor x, Function<Variable, Variable> loss) {
        Variable xv = Variable.requiringGrad(x);
        Variable l = loss.apply(xv);
        Tensor r = Tensor.randn(17, l.shape());
        l.mul(Variable.of(r)).sum().backward();
        double[] numeric = FiniteDifferences.gradient(x.data(),
                () -> FiniteDifferences.dot(loss.apply(Variable.of(x)).value().data(), r.data()));
        FiniteDifferences.check(name, xv.grad().data(), numeric, TOLERANCE);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Tensor target = Tensor.randn(2, 3, 4);
        Tensor labels = Tensor.uniform(3, 0f, 1f, 3, 4);
        for (Reduction reduction : Reduction.values()) {
            check("MSE " + reduction, Tensor.randn(1, 3, 4), v -> new MSELoss(reduction).forward(v, target));
            check("BCE " + reduction, Tensor.randn(4, 3, 4).reshape(3, 4),
                    v -> new BCEWithLogitsLoss(reduction).forward(v, labels));
            check("CE (N,C) " + reduction, Tensor.randn(5, 4, 6),
                    v -> new CrossEntropyLoss(reduction, -100).forward(v, new int[] {1, 5, 0, 3}));
            check("CE (N,C,L) ignore " + reduction, Tensor.randn(6, 2, 5, 3),
                    v -> new CrossEntropyLoss(reduction, 4).forward(v, new int[] {4, 0, 2, 1, 4, 3}));
            check("CE (C) " + reduction, Tensor.randn(7, 5),
                    v -> new CrossEntropyLoss(reduction, -100).forward(v, new int[] {2}));
        }
    }

    @Test
    void meanIsTheSumOverCountedElements() {
        Tensor logits = Tensor.randn(8, 2, 5, 3); // (N=2, C=5, L=3)
        int[] targets = {4, -100, 2, 1, -100, 0};
        float sum = new CrossEntropyLoss(Reduction.SUM, -100).forward(Variable.of(logits), targets).item();
        float mean = new CrossEntropyLoss().forward(Variable.of(logits), targets).item();
        Tensor none = new CrossEntropyLoss(Reduction.NONE, -100).forward(Variable.of(logits), targets).value();
        assertThat(none.shape()).containsExactly(2, 3);
        assertThat(none.get(0, 1)).isEqualTo(0f);
        assertThat(mean).isCloseTo(sum / 4, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(Float.isNaN(new CrossEntropyLoss().forward(Variable.of(logits),
                new int[] {-100, -100, -100, -100, -100, -100}).item())).isTrue();
        // (N, C, L) equals the flattened (N·L, C) form
        Tensor flat = logits.permute(0, 2, 1).reshape(6, 5);
        assertThat(new CrossEntropyLoss().forward(Variable.of(flat), targets).item())
                .isCloseTo(mean, org.assertj.core.data.Offset.offset(1e-6f));
    }

    @Test
    void bceWithLogitsIsStableForLargeLogits() {
        Tensor logits = Tensor.of(new float[] {1000f, -1000f, 1000f, -1000f}, 4);
        Tensor labels = Tensor.of(new float[] {1f, 0f, 0f, 1f}, 4);
        Tensor loss = new BCEWithLogitsLoss(Reduction.NONE).forward(Variable.of(logits), labels).value();
        assertThat(loss.data()).containsExactly(0f, 0f, 1000f, 1000f);
    }

    @Test
    void badTargetsAreRejectedWithExpectedVersusGot() {
        assertThatThrownBy(() -> new CrossEntropyLoss().forward(Variable.of(Tensor.zeros(2, 3)), new int[] {0, 3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Target 3 is out of bounds");
        assertThatThrownBy(() -> new CrossEntropyLoss().forward(Variable.of(Tensor.zeros(2, 3)), new int[] {0}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Expected 2 targets");
        assertThatThrownBy(() -> new MSELoss().forward(Variable.of(Tensor.zeros(2, 3)), Tensor.zeros(3, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("target size ([3, 2])");
    }
}
