package org.lstm4j.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.Linear;
import org.lstm4j.nn.Parameter;
import org.lstm4j.nn.train.FiniteDifferences;
import org.lstm4j.tensor.Tensor;

/** The tape itself and the small elementwise / shape ops, against finite differences. */
class VariableTest {

    private static final double TOLERANCE = 2e-3;

    /** Checks d(Σ f(x)·R)/dx from the tape against finite differences. */
    private static void checkOp(String name, int[] shape, Function<Variable, Variable> op) {
        Tensor x = Tensor.randn(name.hashCode(), shape);
        Variable xv = Variable.requiringGrad(x);
        Variable y = op.apply(xv);
        Tensor r = Tensor.randn(5, y.shape());
        y.mul(Variable.of(r)).sum().backward();
        double[] numeric = FiniteDifferences.gradient(x.data(),
                () -> FiniteDifferences.dot(op.apply(Variable.of(x)).value().data(), r.data()));
        FiniteDifferences.check(name, xv.grad().data(), numeric, TOLERANCE);
    }

    @Test
    void elementwiseAndShapeOpsMatchFiniteDifferences() {
        Tensor other = Tensor.randn(9, 2, 3, 4);
        checkOp("add", new int[] {2, 3, 4}, v -> v.add(Variable.of(other)));
        checkOp("add self", new int[] {2, 3, 4}, v -> v.add(v));
        checkOp("mul", new int[] {2, 3, 4}, v -> v.mul(Variable.of(other)));
        checkOp("mul self", new int[] {2, 3, 4}, v -> v.mul(v));
        checkOp("mul scalar", new int[] {2, 3, 4}, v -> v.mul(-1.5f));
        checkOp("sum", new int[] {2, 3, 4}, v -> v.mul(v).sum());
        checkOp("mean", new int[] {2, 3, 4}, v -> v.mul(v).mean());
        checkOp("select 0 -1", new int[] {2, 3, 4}, v -> v.select(0, -1));
        checkOp("select 1 1", new int[] {2, 3, 4}, v -> v.select(1, 1));
        checkOp("select 2 3", new int[] {2, 3, 4}, v -> v.select(2, 3));
        checkOp("reshape", new int[] {2, 3, 4}, v -> v.reshape(6, -1).mul(Variable.of(other.reshape(6, 4))));
        checkOp("transpose", new int[] {2, 3, 4}, v -> v.transpose(0, 2).mul(Variable.of(other.transpose(0, 2))));
    }

    @Test
    void leavesAccumulateAcrossBackwardPassesAndZeroGradResets() {
        Variable x = Variable.requiringGrad(Tensor.randn(1, 3));
        x.mul(2f).sum().backward();
        x.mul(2f).sum().backward();
        assertThat(x.grad()).isEqualTo(Tensor.full(4f, 3));
        x.zeroGrad();
        assertThat(x.grad()).isEqualTo(Tensor.zeros(3));
    }

    @Test
    void graphIsFreedByBackwardAndIntermediateGradsAreReleased() {
        Variable x = Variable.requiringGrad(Tensor.randn(1, 3));
        Variable y = x.mul(x);
        Variable loss = y.sum();
        loss.backward();
        assertThat(y.grad()).isNull();
        assertThat(y.isLeaf()).isFalse();
        assertThatThrownBy(loss::backward).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("backward through the graph a second time");
    }

    @Test
    void backwardNeedsAScalarOrAnExplicitGradientAndSomethingToDifferentiate() {
        Variable x = Variable.requiringGrad(Tensor.randn(1, 3));
        assertThatThrownBy(() -> x.mul(2f).backward()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("only for scalar outputs");
        assertThatThrownBy(() -> x.mul(2f).backward(Tensor.zeros(4))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Mismatch in shape");
        assertThatThrownBy(() -> Variable.of(Tensor.scalar(1f)).mul(3f).backward())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("does not require grad");
        x.mul(2f).backward(Tensor.full(1f, 3));
        assertThat(x.grad()).isEqualTo(Tensor.full(2f, 3));
    }

    @Test
    void constantsInConstantsOutRecordsNothing() {
        Variable y = Variable.of(Tensor.randn(1, 3)).mul(2f);
        assertThat(y.requiresGrad()).isFalse();
        assertThat(y.isLeaf()).isTrue();
    }

    @Test
    @SuppressWarnings("try") // the block form's resource is not referenced in the body, by design
    void noGradRecordsNothingAndAllocatesNoGradientBuffers() {
        LSTM lstm = LSTM.builder(3, 4).numLayers(2).seed(1).build();
        Linear fc = new Linear(4, 2, true, 2);
        Variable x = Variable.requiringGrad(Tensor.randn(3, 5, 2, 3));
        try (Autograd.NoGrad ignored = Autograd.noGrad()) {
            assertThat(Autograd.isGradEnabled()).isFalse();
            Variable out = fc.forward(lstm.forward(x, null, null).hN().select(0, -1));
            assertThat(out.requiresGrad()).isFalse();
            assertThat(out.isLeaf()).isTrue();
            Variable scaled = x.mul(2f);
            assertThat(scaled.requiresGrad()).isFalse();
            // same numbers as the inference path
            assertThat(out.value()).isEqualTo(fc.forward(lstm.forward(x.value()).hN().select(0, -1)));
        }
        assertThat(Autograd.isGradEnabled()).isTrue();
        Variable viaLambda = Autograd.noGrad(() -> fc.forward(lstm.forward(x, null, null).hN().select(0, -1)));
        assertThat(viaLambda.requiresGrad()).isFalse();
        assertThat(Autograd.isGradEnabled()).isTrue();
        for (Parameter p : lstm.parameters()) {
            assertThat(p.grad()).isNull();
        }
        assertThat(fc.weight().grad()).isNull();
        assertThat(x.grad()).isNull();
    }

    @Test
    void noGradBlocksNestAndCloseIsIdempotent() {
        Autograd.NoGrad outer = Autograd.noGrad();
        Autograd.NoGrad inner = Autograd.noGrad();
        inner.close();
        inner.close();
        assertThat(Autograd.isGradEnabled()).isFalse();
        outer.close();
        assertThat(Autograd.isGradEnabled()).isTrue();
    }

    @Test
    void tapeForwardMatchesTheInferencePathExactly() {
        LSTM lstm = LSTM.builder(3, 5).numLayers(2).bidirectional(true).projSize(2).seed(4).build();
        Tensor x = Tensor.randn(5, 6, 3, 3);
        LSTM.Output plain = lstm.forward(x);
        LSTM.VariableOutput taped = lstm.forward(Variable.of(x), null, null);
        assertThat(taped.output().requiresGrad()).isTrue();
        assertThat(taped.output().value()).isEqualTo(plain.output());
        assertThat(taped.hN().value()).isEqualTo(plain.hN());
        assertThat(taped.cN().value()).isEqualTo(plain.cN());
    }
}
