package org.lstm4j.nn.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.lstm4j.nn.PackedVariable;
import org.lstm4j.autograd.Variable;
import org.lstm4j.nn.GRU;
import org.lstm4j.nn.HiddenStateRNN;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.PackedSequence;
import org.lstm4j.nn.Parameter;
import org.lstm4j.nn.RNN;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.tensor.Tensor;

/**
 * The whole backward of LSTM, GRU and RNN (tanh, relu) against central finite differences of
 * lstm4j's own forward, for every option: each parameter element, each input element, h0 (and an
 * LSTM's c0). The loss L = Σ output·R + Σ hN·R2 (+ Σ cN·R3) with random R sends gradient down
 * every path. Tiny sizes keep the 2·(#elements) forward passes fast. Dropout configurations
 * reseed the dropout stream before every forward pass, so all passes see the same masks. (relu's
 * kink at 0 would spoil a difference quotient whose ±eps straddles it; the seeds are fixed.)
 * Direction REVERSE (ONNX's direction="reverse") runs through the same passes and is checked too.
 */
class RecurrentGradCheckTest {

    /**
     * float32 central differences with eps = 1e-2 are good to a few 1e-4 (truncation ~eps²·|L'''|,
     * rounding ~1e-7·|L|/eps); a wrong term in the backward is off by the size of the gradient.
     */
    private static final double TOLERANCE = 2e-3;

    record Case(String name, RNNBase.Builder<?> builder, int steps, int batch, boolean givenStates, int[] lengths,
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
                        new int[] {1, 3, 3}, false),
                new Case("GRU one layer, h0", GRU.builder(3, 4).seed(21), 4, 2, true, null, false),
                new Case("GRU zero initial state", GRU.builder(3, 4).seed(22), 3, 2, false, null, false),
                new Case("GRU 2 layers bidi", GRU.builder(2, 3).numLayers(2).bidirectional(true).seed(23), 3, 2, true,
                        null, false),
                new Case("GRU no bias, batch first", GRU.builder(3, 4).bias(false).batchFirst(true).seed(24), 3, 2,
                        true, null, false),
                new Case("GRU unbatched", GRU.builder(3, 4).numLayers(2).seed(25), 4, 1, true, null, true),
                new Case("GRU dropout", GRU.builder(2, 4).numLayers(3).dropout(0.4).bidirectional(true).seed(26), 3,
                        2, true, null, false),
                new Case("GRU packed unsorted", GRU.builder(2, 3).numLayers(2).bidirectional(true).seed(27), 4, 3,
                        true, new int[] {2, 4, 1}, false),
                new Case("RNN tanh 2 layers bidi", RNN.builder(3, 4).numLayers(2).bidirectional(true).seed(31), 4, 2,
                        true, null, false),
                new Case("RNN tanh packed, no bias", RNN.builder(2, 3).bias(false).seed(32), 4, 3, false,
                        new int[] {4, 1, 3}, false),
                new Case("RNN relu", RNN.builder(3, 4).nonlinearity("relu").seed(33), 4, 2, true, null, false),
                new Case("RNN relu 2 layers bidi dropout", RNN.builder(2, 4).nonlinearity("relu").numLayers(2)
                        .bidirectional(true).dropout(0.3).seed(36), 3, 2, true, null, false),
                new Case("RNN relu unbatched, batch first", RNN.builder(3, 3).nonlinearity("relu").batchFirst(true)
                        .seed(35), 4, 1, true, null, true),
                new Case("REVERSE 2 layers proj", LSTM.builder(2, 4).numLayers(2).projSize(3)
                        .direction(RNNBase.Direction.REVERSE).seed(41), 4, 2, true, null, false),
                new Case("REVERSE packed unsorted", LSTM.builder(2, 3).numLayers(2).direction(RNNBase.Direction.REVERSE)
                        .seed(42), 4, 3, true, new int[] {2, 4, 1}, false),
                new Case("GRU REVERSE batch first, no bias", GRU.builder(3, 4).bias(false).batchFirst(true)
                        .direction(RNNBase.Direction.REVERSE).seed(43), 3, 2, true, null, false),
                new Case("RNN tanh REVERSE 2 layers packed", RNN.builder(2, 4).numLayers(2)
                        .direction(RNNBase.Direction.REVERSE).seed(44), 4, 3, false, new int[] {1, 4, 3}, false),
                new Case("RNN relu REVERSE", RNN.builder(3, 4).nonlinearity("relu").direction(RNNBase.Direction.REVERSE)
                        .seed(33), 4, 2, true, null, false)
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardMatchesFiniteDifferences(Case c) {
        RNNBase module = c.builder().build();
        RNNBase.Config config = module.config();
        boolean cellState = config.mode().hasCellState();
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
        Tensor c0 = c.givenStates() && cellState ? Tensor.randn(102, cShape) : null;
        Probe probe = new Probe(module, x, h0, c0, c.lengths());

        module.zeroGrad();
        Variable xv = Variable.requiringGrad(x);
        Variable h0v = h0 == null ? null : Variable.requiringGrad(h0);
        Variable c0v = c0 == null ? null : Variable.requiringGrad(c0);
        probe.analyticLoss(xv, h0v, c0v).backward();

        System.out.println(c.name() + ":");
        for (Map.Entry<String, Parameter> e : module.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            assertThat(p.grad()).as(e.getKey() + " grad").isNotNull();
            // The probe perturbs the value in place and then restores it; each change is marked so
            // the module lays out its weight panels again.
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
        }
        if (c0 != null) {
            FiniteDifferences.check("c0", c0v.grad().data(), FiniteDifferences.gradient(c0.data(), probe), TOLERANCE);
        }
    }

    /**
     * The loss through the plain Tensor forward (for finite differences) and through the tape;
     * cN and its weights R3 only for an LSTM.
     */
    private static final class Probe implements DoubleSupplier {
        private static final long DROPOUT_SEED = 77;
        final RNNBase module;
        final Tensor x;
        final Tensor h0;
        final Tensor c0;
        final int[] lengths;
        Tensor r1;
        Tensor r2;
        Tensor r3;

        Probe(RNNBase module, Tensor x, Tensor h0, Tensor c0, int[] lengths) {
            this.module = module;
            this.x = x;
            this.h0 = h0;
            this.c0 = c0;
            this.lengths = lengths;
            Tensor[] out = forward();
            r1 = Tensor.randn(201, out[0].shape());
            r2 = Tensor.randn(202, out[1].shape());
            r3 = out[2] == null ? null : Tensor.randn(203, out[2].shape());
        }

        PackedSequence packed() {
            return PackedVariable.pack(Variable.of(x), lengths, false, false).toPackedSequence();
        }

        /** output (or the packed output's data), hN, cN (null without a cell state), dropout reseeded. */
        private Tensor[] forward() {
            module.manualSeed(DROPOUT_SEED);
            if (module instanceof LSTM lstm) {
                if (lengths == null) {
                    LSTM.Output out = lstm.forward(x, h0, c0);
                    return new Tensor[] {out.output(), out.hN(), out.cN()};
                }
                LSTM.PackedOutput out = lstm.forward(packed(), h0, c0);
                return new Tensor[] {out.output().data(), out.hN(), out.cN()};
            }
            HiddenStateRNN rnn = (HiddenStateRNN) module;
            if (lengths == null) {
                HiddenStateRNN.Output out = rnn.forward(x, h0);
                return new Tensor[] {out.output(), out.hN(), null};
            }
            HiddenStateRNN.PackedOutput out = rnn.forward(packed(), h0);
            return new Tensor[] {out.output().data(), out.hN(), null};
        }

        @Override
        public double getAsDouble() {
            Tensor[] out = forward();
            return FiniteDifferences.dot(out[0].data(), r1.data()) + FiniteDifferences.dot(out[1].data(), r2.data())
                    + (out[2] == null ? 0 : FiniteDifferences.dot(out[2].data(), r3.data()));
        }

        Variable analyticLoss(Variable xv, Variable h0v, Variable c0v) {
            module.manualSeed(DROPOUT_SEED);
            Variable[] out;
            PackedVariable packed = lengths == null ? null : PackedVariable.pack(xv, lengths, false, false);
            if (module instanceof LSTM lstm) {
                if (packed == null) {
                    LSTM.VariableOutput o = lstm.forward(xv, h0v, c0v);
                    out = new Variable[] {o.output(), o.hN(), o.cN()};
                } else {
                    LSTM.PackedVariableOutput o = lstm.forward(packed, h0v, c0v);
                    out = new Variable[] {o.output().data(), o.hN(), o.cN()};
                }
            } else if (packed == null) {
                HiddenStateRNN.VariableOutput o = ((HiddenStateRNN) module).forward(xv, h0v);
                out = new Variable[] {o.output(), o.hN(), null};
            } else {
                HiddenStateRNN.PackedVariableOutput o = ((HiddenStateRNN) module).forward(packed, h0v);
                out = new Variable[] {o.output().data(), o.hN(), null};
            }
            Variable loss = out[0].mul(Variable.of(r1)).sum().add(out[1].mul(Variable.of(r2)).sum());
            return out[2] == null ? loss : loss.add(out[2].mul(Variable.of(r3)).sum());
        }
    }
}
