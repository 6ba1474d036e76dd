package org.lstm4j.nn.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.lstm4j.autograd.PackedVariable;
import org.lstm4j.autograd.Variable;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.PackedSequence;
import org.lstm4j.nn.Parameter;
import org.lstm4j.tensor.Tensor;

/**
 * The whole LSTM backward against central finite differences of lstm4j's own forward, for every
 * option: each parameter element, each input element, h0 and c0. The loss
 * L = Σ output·R + Σ hN·R2 + Σ cN·R3 with random R sends gradient down every path.
 * Tiny sizes keep the 2·(#elements) forward passes fast. Dropout configurations reseed the
 * dropout stream before every forward pass, so all passes see the same masks.
 */
class LSTMGradCheckTest {

    /**
     * float32 central differences with eps = 1e-2 are good to a few 1e-4 (truncation ~eps²·|L'''|,
     * rounding ~1e-7·|L|/eps); a wrong term in the backward is off by the size of the gradient.
     */
    private static final double TOLERANCE = 2e-3;

    record Case(String name, LSTM.Builder builder, int steps, int batch, boolean givenStates, int[] lengths,
                boolean unbatched) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case("one layer, h0/c0", LSTM.builder(3, 4).seed(1), 4, 2, true, null, false),
                new Case("zero initial states", LSTM.builder(3, 4).seed(2), 3, 2, false, null, false),
                new Case("two layers", LSTM.builder(2, 3).numLayers(2).seed(3), 4, 2, true, null, false),
                new Case("bidirectional", LSTM.builder(3, 3).bidirectional(true).seed(4), 4, 2, true, null, false),
                new Case("projection", LSTM.builder(3, 5).projSize(2).seed(5), 4, 2, true, null, false),
                new Case("2 layers bidi proj", LSTM.builder(2, 4).numLayers(2).bidirectional(true).projSize(3).seed(6),
                        3, 2, true, null, false),
                new Case("no bias", LSTM.builder(3, 4).numLayers(2).bias(false).seed(7), 3, 2, true, null, false),
                new Case("batch first", LSTM.builder(3, 4).batchFirst(true).bidirectional(true).seed(8), 3, 2, true,
                        null, false),
                new Case("unbatched", LSTM.builder(3, 4).numLayers(2).bidirectional(true).seed(9), 4, 1, true, null,
                        true),
                new Case("dropout", LSTM.builder(2, 4).numLayers(3).dropout(0.4).bidirectional(true).seed(10), 3, 2,
                        true, null, false),
                new Case("packed sorted", LSTM.builder(2, 3).numLayers(2).bidirectional(true).seed(11), 4, 3, true,
                        new int[] {4, 3, 1}, false),
                new Case("packed unsorted proj", LSTM.builder(2, 4).numLayers(2).bidirectional(true).projSize(2)
                        .seed(12), 4, 3, true, new int[] {2, 4, 1}, false),
                new Case("packed dropout", LSTM.builder(2, 3).numLayers(2).dropout(0.5).seed(13), 3, 3, true,
                        new int[] {1, 3, 3}, false)
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardMatchesFiniteDifferences(Case c) {
        LSTM lstm = c.builder().build();
        LSTM.Config config = lstm.config();
        int stateRows = config.numDirections() * config.numLayers();
        int[] xShape = c.unbatched() ? new int[] {c.steps(), config.inputSize()}
                : config.batchFirst() && c.lengths() == null ? new int[] {c.batch(), c.steps(), config.inputSize()}
                : new int[] {c.steps(), c.batch(), config.inputSize()};
        Tensor x = Tensor.randn(100, xShape);
        int[] hShape = c.unbatched() ? new int[] {stateRows, config.outputSize()}
                : new int[] {stateRows, c.batch(), config.outputSize()};
        int[] cShape = c.unbatched() ? new int[] {stateRows, config.hiddenSize()}
                : new int[] {stateRows, c.batch(), config.hiddenSize()};
        Tensor h0 = c.givenStates() ? Tensor.randn(101, hShape) : null;
        Tensor c0 = c.givenStates() ? Tensor.randn(102, cShape) : null;
        Probe probe = new Probe(lstm, x, h0, c0, c.lengths());

        lstm.zeroGrad();
        Variable xv = Variable.requiringGrad(x);
        Variable h0v = h0 == null ? null : Variable.requiringGrad(h0);
        Variable c0v = c0 == null ? null : Variable.requiringGrad(c0);
        probe.reseed();
        probe.analyticLoss(xv, h0v, c0v).backward();

        System.out.println(c.name() + ":");
        for (Map.Entry<String, Parameter> e : lstm.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            assertThat(p.grad()).as(e.getKey() + " grad").isNotNull();
            // The probe perturbs the value in place and then restores it; each change is marked so
            // the LSTM lays out its weight panels again.
            double[] numeric = FiniteDifferences.gradient(p.data().data(), () -> {
                p.markChanged();
                return probe.getAsDouble();
            });
            p.markChanged();
            FiniteDifferences.check(e.getKey(), p.grad().data(), numeric, TOLERANCE);
        }
        FiniteDifferences.check("input", xv.grad().data(), FiniteDifferences.gradient(x.data(), probe), TOLERANCE);
        if (h0 != null) {
            FiniteDifferences.check("h0", h0v.grad().data(), FiniteDifferences.gradient(h0.data(), probe), TOLERANCE);
            FiniteDifferences.check("c0", c0v.grad().data(), FiniteDifferences.gradient(c0.data(), probe), TOLERANCE);
        }
    }

    /** The loss through the plain Tensor forward (for finite differences) and through the tape. */
    private static final class Probe implements DoubleSupplier {
        private static final long DROPOUT_SEED = 77;
        final LSTM lstm;
        final Tensor x;
        final Tensor h0;
        final Tensor c0;
        final int[] lengths;
        Tensor r1;
        Tensor r2;
        Tensor r3;

        Probe(LSTM lstm, Tensor x, Tensor h0, Tensor c0, int[] lengths) {
            this.lstm = lstm;
            this.x = x;
            this.h0 = h0;
            this.c0 = c0;
            this.lengths = lengths;
            reseed();
            if (lengths == null) {
                LSTM.Output out = lstm.forward(x, h0, c0);
                init(out.output(), out.hN(), out.cN());
            } else {
                LSTM.PackedOutput out = lstm.forward(packed(), h0, c0);
                init(out.output().data(), out.hN(), out.cN());
            }
        }

        private void init(Tensor output, Tensor hN, Tensor cN) {
            r1 = Tensor.randn(201, output.shape());
            r2 = Tensor.randn(202, hN.shape());
            r3 = Tensor.randn(203, cN.shape());
        }

        void reseed() {
            lstm.manualSeed(DROPOUT_SEED);
        }

        PackedSequence packed() {
            return PackedVariable.pack(Variable.of(x), lengths, false, false).toPackedSequence();
        }

        @Override
        public double getAsDouble() {
            reseed();
            if (lengths == null) {
                LSTM.Output out = lstm.forward(x, h0, c0);
                return loss(out.output(), out.hN(), out.cN());
            }
            LSTM.PackedOutput out = lstm.forward(packed(), h0, c0);
            return loss(out.output().data(), out.hN(), out.cN());
        }

        private double loss(Tensor output, Tensor hN, Tensor cN) {
            return FiniteDifferences.dot(output.data(), r1.data()) + FiniteDifferences.dot(hN.data(), r2.data())
                    + FiniteDifferences.dot(cN.data(), r3.data());
        }

        Variable analyticLoss(Variable xv, Variable h0v, Variable c0v) {
            Variable output;
            Variable hN;
            Variable cN;
            if (lengths == null) {
                LSTM.VariableOutput out = lstm.forward(xv, h0v, c0v);
                output = out.output();
                hN = out.hN();
                cN = out.cN();
            } else {
                LSTM.PackedVariableOutput out = lstm.forward(PackedVariable.pack(xv, lengths, false, false), h0v, c0v);
                output = out.output().data();
                hN = out.hN();
                cN = out.cN();
            }
            return output.mul(Variable.of(r1)).sum().add(hN.mul(Variable.of(r2)).sum())
                    .add(cN.mul(Variable.of(r3)).sum());
        }
    }
}
