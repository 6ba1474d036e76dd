package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lstm4j.autograd.Variable;
import org.lstm4j.io.Onnx;
import org.lstm4j.io.RecurrentStack;
import org.lstm4j.nn.RNNBase.Direction;
import org.lstm4j.tensor.Tensor;

/**
 * Direction REVERSE (ONNX's {@code direction="reverse"}) against a true reference that needs no
 * other framework: each layer running t = L-1 down to 0 is the FORWARD module with the same
 * weights (names without {@code _reverse}) run on the input flipped in time — per sequence, over
 * its own length, for packed input — with the output flipped back; h_n and c_n as they come.
 * Outputs, states and every gradient (parameters, input, h0, c0) are compared; ONNX Runtime's
 * numbers are checked in lstm4j-parity (OnnxRuntimeReverseNodeParityTest).
 */
class ReverseDirectionTest {
    /**
     * Relative to the tensor's largest value: the two runs do the same operations on the same
     * numbers, except the order of the sums over time in dW (float32 rounding, a few 1e-7).
     */
    private static final float TOLERANCE = 1e-6f;

    @TempDir
    Path dir;

    record Case(String name, RNNBase.Builder<?> builder, int steps, int batch, boolean givenStates, int[] lengths) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("LSTM 1 layer, h0/c0", LSTM.builder(3, 5).seed(1), 6, 2, true, null),
                new Case("LSTM 2 layers, zero state", LSTM.builder(4, 3).numLayers(2).seed(2), 5, 3, false, null),
                new Case("LSTM 2 layers proj, batch first", LSTM.builder(3, 6).numLayers(2).projSize(2)
                        .batchFirst(true).seed(3), 4, 2, true, null),
                new Case("LSTM 2 layers packed unsorted", LSTM.builder(3, 4).numLayers(2).seed(4), 5, 3, true,
                        new int[] {3, 5, 1}),
                new Case("LSTM large, threads split", LSTM.builder(32, 96).numLayers(2).seed(5), 9, 12, true,
                        new int[] {9, 2, 7, 9, 1, 4, 8, 9, 3, 6, 5, 9}),
                new Case("GRU 2 layers no bias", GRU.builder(3, 4).numLayers(2).bias(false).seed(6), 5, 2, true, null),
                new Case("GRU packed sorted", GRU.builder(2, 5).seed(7), 4, 3, true, new int[] {4, 3, 1}),
                new Case("RNN tanh 2 layers", RNN.builder(3, 4).numLayers(2).seed(8), 5, 2, true, null),
                new Case("RNN relu packed, batch first", RNN.builder(3, 4).nonlinearity("relu").batchFirst(true)
                        .seed(9), 4, 3, false, new int[] {2, 4, 3}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void aReverseModuleIsTheForwardModuleOnTimeFlippedInput(Case c) {
        RNNBase reverse = c.builder().direction(Direction.REVERSE).build();
        RNNBase.Config rc = reverse.config();
        assertThat(rc.direction()).isEqualTo(Direction.REVERSE);
        RNNBase forward = RNNBase.create(RNNBase.Config.of(rc.mode(), rc.inputSize(), rc.hiddenSize(), rc.numLayers(),
                rc.bias(), rc.batchFirst(), 0.0, Direction.FORWARD, rc.projSize()), 0L);
        Map<String, Tensor> renamed = new LinkedHashMap<>();
        reverse.stateDict().forEach((name, t) -> {
            assertThat(name).endsWith("_reverse");
            renamed.put(name.replace("_reverse", ""), t);
        });
        forward.loadStateDict(renamed, true);

        boolean batchFirst = rc.batchFirst() && c.lengths() == null; // packed input is time-major
        boolean cellState = rc.mode().hasCellState();
        int[] lengths = c.lengths() != null ? c.lengths() : filled(c.batch(), c.steps());
        Tensor x = Tensor.randn(100, batchFirst ? new int[] {c.batch(), c.steps(), rc.inputSize()}
                : new int[] {c.steps(), c.batch(), rc.inputSize()});
        int rows = rc.numLayers();
        Tensor h0 = c.givenStates() ? Tensor.randn(101, rows, c.batch(), rc.outputSize()) : null;
        Tensor c0 = c.givenStates() && cellState ? Tensor.randn(102, rows, c.batch(), rc.hiddenSize()) : null;
        Tensor r1 = Tensor.randn(103, c.steps(), c.batch(), rc.outputSize()); // time-major, as the output is compared
        Tensor r2 = Tensor.randn(104, rows, c.batch(), rc.outputSize());
        Tensor r3 = Tensor.randn(105, rows, c.batch(), rc.hiddenSize());

        Run reversed = Run.of(reverse, x, h0, c0, c.lengths(), batchFirst, r1, r2, r3);
        Run flipped = Run.of(forward, flipTime(x, lengths, batchFirst), h0, c0, c.lengths(), batchFirst,
                flipTime(r1, lengths, false), r2, r3);

        float worst = 0;
        worst = Math.max(worst, compare("output", reversed.output, flipTime(flipped.output, lengths, false)));
        worst = Math.max(worst, compare("h_n", reversed.hN, flipped.hN));
        if (cellState) {
            worst = Math.max(worst, compare("c_n", reversed.cN, flipped.cN));
        }
        for (Map.Entry<String, Parameter> e : reverse.namedParameters().entrySet()) {
            Tensor expected = forward.namedParameters().get(e.getKey().replace("_reverse", "")).grad();
            worst = Math.max(worst, compare("grad " + e.getKey(), e.getValue().grad(), expected));
        }
        worst = Math.max(worst, compare("grad input", reversed.dx, flipTime(flipped.dx, lengths, batchFirst)));
        if (h0 != null) {
            worst = Math.max(worst, compare("grad h0", reversed.dh0, flipped.dh0));
        }
        if (c0 != null) {
            worst = Math.max(worst, compare("grad c0", reversed.dc0, flipped.dc0));
        }
        System.out.printf("%-32s maxdiff REVERSE vs FORWARD on flipped time (relative, outputs and gradients) %.2e%n",
                c.name(), worst);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void theFirstOutputStepIsTheLastLayersFinalState(Case c) {
        RNNBase module = c.builder().direction(Direction.REVERSE).build();
        RNNBase.Config config = module.config();
        Tensor x = Tensor.randn(7, c.steps(), c.batch(), config.inputSize());
        Tensor output;
        Tensor hN;
        if (c.lengths() != null) {
            RNNBase.PackedResult r = module.runPacked(org.lstm4j.nn.utils.Rnn.packPaddedSequence(x, c.lengths(), false,
                    false), null, null, null);
            output = org.lstm4j.nn.utils.Rnn.padPackedSequence(r.output(), false, 0f, null).padded();
            hN = r.hN();
        } else {
            RNNBase.Result r = module.run(config.batchFirst() ? x.transpose(0, 1) : x, null, null, null);
            output = config.batchFirst() ? r.output().transpose(0, 1) : r.output();
            hN = r.hN();
        }
        // output (L, N, H_out) in time order; the reverse direction ends at t = 0 for every sequence
        assertThat(output.select(0, 0)).isEqualTo(hN.select(0, config.numLayers() - 1));
    }

    @Test
    void configurationNamesAndRepr() {
        LSTM lstm = LSTM.builder(3, 4).numLayers(2).direction(Direction.REVERSE).seed(0).build();
        assertThat(lstm.toString()).isEqualTo("LSTM(3, 4, num_layers=2, direction=\"reverse\")");
        assertThat(GRU.builder(3, 4).direction(Direction.REVERSE).build().toString())
                .isEqualTo("GRU(3, 4, direction=\"reverse\")");
        assertThat(lstm.config().bidirectional()).isFalse();
        assertThat(lstm.config().numDirections()).isEqualTo(1);
        assertThat(lstm.stateDict().keySet()).containsExactly("weight_ih_l0_reverse", "weight_hh_l0_reverse",
                "bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_ih_l1_reverse", "weight_hh_l1_reverse",
                "bias_ih_l1_reverse", "bias_hh_l1_reverse");
        // bidirectional(boolean) and direction(...) set the same thing: the last call wins
        assertThat(LSTM.builder(3, 4).direction(Direction.REVERSE).bidirectional(true).build().config().direction())
                .isEqualTo(Direction.BIDIRECTIONAL);
        assertThat(new LSTM.Config(3, 4, 1, true, false, 0.0, true, 0).direction()).isEqualTo(Direction.BIDIRECTIONAL);
        assertThat(new RNN.Config(3, 4, 1, "relu", true, false, 0.0, false).direction()).isEqualTo(Direction.FORWARD);
    }

    @Test
    void aStateDictWithOnlyReverseNamesLoadsAsReverse() {
        GRU gru = GRU.builder(3, 4).numLayers(2).bias(false).direction(Direction.REVERSE).seed(1).build();
        Map<String, Tensor> model = new LinkedHashMap<>();
        gru.stateDict().forEach((name, t) -> model.put("encoder.rnn." + name, t));
        model.put("head.weight", Tensor.zeros(2, 4));
        assertThat(RNNBase.prefixes(model)).containsExactly("encoder.rnn.");
        RNNBase loaded = RNNBase.fromStateDict(model);
        assertThat(loaded).isInstanceOf(GRU.class);
        assertThat(loaded.config()).isEqualTo(gru.config());
        assertThat(loaded.stateDict()).isEqualTo(gru.stateDict());
        assertThat(GRU.fromStateDict(gru.stateDict()).config().direction()).isEqualTo(Direction.REVERSE);

        // One _reverse name missing: named, as for any other module
        Map<String, Tensor> broken = new LinkedHashMap<>(gru.stateDict());
        broken.remove("weight_hh_l1_reverse");
        assertThatThrownBy(() -> GRU.fromStateDict(broken)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("direction=REVERSE").hasMessageContaining("missing weight_hh_l1_reverse");
        // An LSTM's reverse weights asked for as a GRU: the kind is told from weight_hh_l0_reverse
        Map<String, Tensor> lstm = LSTM.builder(3, 4).direction(Direction.REVERSE).seed(2).build().stateDict();
        assertThatThrownBy(() -> GRU.fromStateDict(lstm)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("an LSTM, not a GRU (weight_hh_l0_reverse has shape [16, 4]");
    }

    @Test
    void theFingerprintSaysWhichWayTheLayersRun() {
        LSTM reverse = LSTM.builder(3, 4).direction(Direction.REVERSE).seed(3).build();
        LSTM forward = LSTM.builder(3, 4).seed(0).build();
        Map<String, Tensor> renamed = new LinkedHashMap<>();
        reverse.stateDict().forEach((name, t) -> renamed.put(name.replace("_reverse", ""), t));
        forward.loadStateDict(renamed, true);
        assertThat(reverse.fingerprint()).isNotEqualTo(forward.fingerprint());
        assertThat(LSTM.fromStateDict(reverse.stateDict()).fingerprint()).isEqualTo(reverse.fingerprint());
    }

    @Test
    void stepModeAndCarriedStateAreRefused() {
        LSTM lstm = LSTM.builder(3, 4).direction(Direction.REVERSE).seed(4).build();
        assertThatThrownBy(() -> lstm.newSession(1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("step mode needs a unidirectional LSTM that runs forward in time: an LSTM with direction"
                        + " REVERSE reads the sequence from its end, so it cannot run one step at a time; use"
                        + " forward(input) over the whole sequence");
        assertThatThrownBy(() -> lstm.step(Tensor.zeros(1, 3), lstm.zeroState(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("direction REVERSE");
        assertThatThrownBy(() -> lstm.forward(Tensor.zeros(2, 1, 3), lstm.zeroState(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("an LSTM with direction REVERSE must see the whole sequence");
        RNN rnn = RNN.builder(3, 4).direction(Direction.REVERSE).seed(5).build();
        assertThatThrownBy(() -> rnn.step(Tensor.zeros(3), rnn.zeroState(1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("an RNN with direction REVERSE reads the sequence from its end");
    }

    @Test
    void toOnnxWritesDirectionReverseAndLoadReadsItBack() throws IOException {
        for (RNNBase module : new RNNBase[] {
            LSTM.builder(3, 4).numLayers(2).direction(Direction.REVERSE).seed(6).build(),
            RNN.builder(3, 4).nonlinearity("relu").direction(Direction.REVERSE).seed(7).build()}) {
            module.eval();
            Path file = dir.resolve(module.mode() + ".onnx");
            module.toOnnx(file, 17);
            RecurrentStack stack = Onnx.readRecurrent(file).get("");
            assertThat(stack.direction()).isEqualTo(RecurrentStack.Direction.REVERSE);
            assertThat(stack.parameters()).isEqualTo(module.stateDict());
            RNNBase loaded = RNNBase.load(file);
            assertThat(loaded.config()).isEqualTo(module.config());
            assertThat(loaded.mode()).isEqualTo(module.mode());
            Tensor x = Tensor.randn(8, 5, 2, 3);
            assertThat(loaded.run(x, null, null, null).output()).isEqualTo(module.run(x, null, null, null).output());
        }
    }

    /** One pass on the tape and its loss Σ output·r1 + Σ hN·r2 (+ Σ cN·r3), backward done: values and gradients. */
    private record Run(Tensor output, Tensor hN, Tensor cN, Tensor dx, Tensor dh0, Tensor dc0) {
        static Run of(RNNBase module, Tensor x, Tensor h0, Tensor c0, int[] lengths, boolean batchFirst, Tensor r1,
                      Tensor r2, Tensor r3) {
            module.zeroGrad();
            Variable xv = Variable.requiringGrad(x);
            Variable h0v = h0 == null ? null : Variable.requiringGrad(h0);
            Variable c0v = c0 == null ? null : Variable.requiringGrad(c0);
            Variable output;
            Variable hN;
            Variable cN;
            if (lengths != null) {
                RNNBase.PackedVariableResult r = module.runPackedVariables(PackedVariable.pack(xv, lengths, false, false),
                        h0v, c0v);
                output = r.output().pad(false, 0f, null);
                hN = r.hN();
                cN = r.cN();
            } else {
                RNNBase.VariableResult r = module.runVariables(xv, h0v, c0v);
                output = batchFirst ? r.output().transpose(0, 1) : r.output();
                hN = r.hN();
                cN = r.cN();
            }
            Variable loss = output.mul(Variable.of(r1)).sum().add(hN.mul(Variable.of(r2)).sum());
            if (cN != null) {
                loss = loss.add(cN.mul(Variable.of(r3)).sum());
            }
            loss.backward();
            return new Run(output.value(), hN.value(), cN == null ? null : cN.value(), xv.grad(),
                    h0v == null ? null : h0v.grad(), c0v == null ? null : c0v.grad());
        }
    }

    /**
     * x with each sequence's first {@code lengths[b]} steps in reverse order (padding left in
     * place): (L, N, F), or (N, L, F) with batchFirst.
     */
    static Tensor flipTime(Tensor x, int[] lengths, boolean batchFirst) {
        int steps = x.size(batchFirst ? 1 : 0);
        int batch = x.size(batchFirst ? 0 : 1);
        int features = x.size(2);
        float[] in = x.data();
        float[] out = in.clone();
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < lengths[b]; t++) {
                int from = batchFirst ? b * steps + lengths[b] - 1 - t : (lengths[b] - 1 - t) * batch + b;
                int to = batchFirst ? b * steps + t : t * batch + b;
                System.arraycopy(in, from * features, out, to * features, features);
            }
        }
        return Tensor.of(out, x.shape());
    }

    private static int[] filled(int n, int value) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, value);
        return a;
    }

    /** max |actual - expected| over max(1, max |expected|), which must be within {@link #TOLERANCE}. */
    private static float compare(String what, Tensor actual, Tensor expected) {
        assertThat(actual.shape()).as(what).isEqualTo(expected.shape());
        float scale = 1;
        for (float v : expected.data()) {
            scale = Math.max(scale, Math.abs(v));
        }
        float d = actual.maxAbsDiff(expected) / scale;
        assertThat(d).as(what + " maxdiff / max(1, max |expected|)").isLessThanOrEqualTo(TOLERANCE);
        return d;
    }
}
