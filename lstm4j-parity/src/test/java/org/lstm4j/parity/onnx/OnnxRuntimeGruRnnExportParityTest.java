package org.lstm4j.parity.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lstm4j.io.Onnx;
import org.lstm4j.nn.GRU;
import org.lstm4j.nn.HiddenStateRNN;
import org.lstm4j.nn.RNN;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.io.RecurrentStack;
import org.lstm4j.io.RecurrentStack.Direction;
import org.lstm4j.io.RecurrentStack.Mode;
import org.lstm4j.parity.LibTorch;
import org.lstm4j.tensor.Tensor;

/**
 * lstm4j's {@link GRU} and {@link RNN} (tanh, relu), exported with {@link RNNBase#toOnnx} (gates
 * reordered to ONNX's z, r, h, linear_before_reset=1, the RNN activation) and run by ONNX
 * Runtime, compute what lstm4j computes, and what libtorch's {@code torch::gru} /
 * {@code torch::rnn_tanh} / {@code torch::rnn_relu} compute from the same weights: 36 seeded
 * configurations (1–3 layers, bidirectional, bias, batch_first, h0 or zeros, opsets 7–22),
 * within 1e-5.
 */
class OnnxRuntimeGruRnnExportParityTest {
    static final int CONFIGS = 36;

    @RegisterExtension
    static final LibTorch TORCH = new LibTorch();

    @TempDir
    static Path dir;

    private static float worst;
    private static float worstLstm4j;

    record Config(int seed, Mode mode, int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst,
                  boolean bidirectional, boolean initialState, int opset) {
        @Override
        public String toString() {
            return "seed " + seed + ": " + mode + "(" + inputSize + ", " + hiddenSize + ", num_layers=" + numLayers
                    + ", bias=" + bias + ", batch_first=" + batchFirst + ", bidirectional=" + bidirectional + ") opset "
                    + opset + (initialState ? " with h0" : "");
        }
    }

    static Stream<Config> configs() {
        Mode[] modes = {Mode.GRU, Mode.RNN_TANH, Mode.RNN_RELU};
        return IntStream.range(0, CONFIGS).mapToObj(seed -> {
            SplittableRandom r = new SplittableRandom(500 + seed);
            return new Config(seed, modes[seed % 3], 1 + r.nextInt(12), 1 + r.nextInt(20), 1 + r.nextInt(3),
                    seed % 5 != 4, seed % 4 == 1, seed % 2 == 0, seed % 7 >= 3, 7 + (seed * 5) % 16);
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void onnxRuntimeComputesWhatLibtorchComputes(Config c) throws Exception {
        Direction direction = c.bidirectional() ? Direction.BIDIRECTIONAL : Direction.FORWARD;
        RecurrentStack stack = stack(c, direction);
        RNNBase loaded = RNNBase.fromStateDict(stack.parameters(), "");
        HiddenStateRNN module = loaded instanceof GRU gru ? gru.withBatchFirst(c.batchFirst())
                : ((RNN) loaded).withBatchFirst(c.batchFirst())
                        .withNonlinearity(c.mode() == Mode.RNN_RELU ? "relu" : "tanh");
        module.eval();
        Path file = dir.resolve("stack_" + c.seed() + ".onnx");
        module.toOnnx(file, Onnx.ExportOptions.opset(c.opset()).withBatchFirst(c.batchFirst())
                .withInitialState(c.initialState()));
        SplittableRandom r = new SplittableRandom(2000 + c.seed());
        int length = 1 + r.nextInt(10);
        int batch = 1 + r.nextInt(4);
        Tensor x = c.batchFirst() ? Tensor.randn(r.nextLong(), batch, length, c.inputSize())
                : Tensor.randn(r.nextLong(), length, batch, c.inputSize());
        int rows = direction.count() * c.numLayers();
        Tensor h0 = c.initialState() ? Tensor.randn(r.nextLong(), rows, batch, c.hiddenSize())
                : Tensor.zeros(rows, batch, c.hiddenSize());
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        inputs.put("input", x);
        if (c.initialState()) {
            inputs.put("h0", h0);
        }
        Map<String, Tensor> ort = OnnxRuntime.run(file, inputs);
        assertThat(ort.keySet()).containsExactly("output", "h_n");
        HiddenStateRNN.Output ours = module.forward(x, h0);
        float dOurs = Math.max(OnnxRuntimeExportParityTest.diff(ours.output(), ort.get("output")),
                OnnxRuntimeExportParityTest.diff(ours.hN(), ort.get("h_n")));
        assertThat(dOurs).as("lstm4j vs ONNX Runtime, %s", c).isLessThanOrEqualTo(OnnxRuntimeExportParityTest.TOLERANCE);

        try (NDManager m = TORCH.manager().newSubManager()) {
            NDList params = new NDList();
            for (String name : stack.parameterNames()) {
                params.add(LibTorch.toNd(m, stack.parameters().get(name)));
            }
            NDArray input = LibTorch.toNd(m, x);
            NDArray hx = LibTorch.toNd(m, h0);
            NDList out = c.mode() == Mode.GRU
                    ? input.getNDArrayInternal().gru(input, hx, params, c.bias(), c.numLayers(), 0.0, false,
                            c.bidirectional(), c.batchFirst())
                    : input.getNDArrayInternal().rnn(input, hx, params, c.bias(), c.numLayers(),
                            c.mode() == Mode.RNN_RELU ? ai.djl.nn.recurrent.RNN.Activation.RELU
                                    : ai.djl.nn.recurrent.RNN.Activation.TANH, 0.0, false,
                            c.bidirectional(), c.batchFirst());
            float d = Math.max(OnnxRuntimeExportParityTest.diff(LibTorch.toTensor(out.get(0)), ort.get("output")),
                    OnnxRuntimeExportParityTest.diff(LibTorch.toTensor(out.get(1)), ort.get("h_n")));
            System.out.printf("%-96s L=%-2d N=%d  maxdiff ONNX Runtime vs lstm4j %.3e, vs libtorch %.3e%n", c, length,
                    batch, dOurs, d);
            assertThat(d).as("%s", c).isLessThanOrEqualTo(OnnxRuntimeExportParityTest.TOLERANCE);
            synchronized (OnnxRuntimeGruRnnExportParityTest.class) {
                worst = Math.max(worst, d);
                worstLstm4j = Math.max(worstLstm4j, dOurs);
            }
        }
    }

    /** Parameters drawn as PyTorch initialises them, U(-1/sqrt(H), 1/sqrt(H)), in its order. */
    private static RecurrentStack stack(Config c, Direction direction) {
        Map<String, Tensor> parameters = new LinkedHashMap<>();
        float bound = (float) (1 / Math.sqrt(c.hiddenSize()));
        int rows = c.mode().gates() * c.hiddenSize();
        long seed = 100L * c.seed();
        for (int k = 0; k < c.numLayers(); k++) {
            for (int dir = 0; dir < direction.count(); dir++) {
                String suffix = "_l" + k + (dir == 1 ? "_reverse" : "");
                int width = k == 0 ? c.inputSize() : direction.count() * c.hiddenSize();
                parameters.put("weight_ih" + suffix, Tensor.uniform(seed++, -bound, bound, rows, width));
                parameters.put("weight_hh" + suffix, Tensor.uniform(seed++, -bound, bound, rows, c.hiddenSize()));
                if (c.bias()) {
                    parameters.put("bias_ih" + suffix, Tensor.uniform(seed++, -bound, bound, rows));
                    parameters.put("bias_hh" + suffix, Tensor.uniform(seed++, -bound, bound, rows));
                }
            }
        }
        return new RecurrentStack(c.mode(), c.inputSize(), c.hiddenSize(), c.numLayers(), c.bias(), direction, parameters);
    }

    @AfterAll
    static void report() {
        System.out.printf("ONNX Runtime on %d lstm4j-exported GRU/RNN configurations: worst maxdiff vs lstm4j %.3e,"
                + " vs libtorch %.3e%n", CONFIGS, worstLstm4j, worst);
    }
}
