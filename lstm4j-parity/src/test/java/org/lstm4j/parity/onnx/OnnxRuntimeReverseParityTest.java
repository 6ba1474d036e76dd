package org.lstm4j.parity.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.recurrent.RNN;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lstm4j.io.Onnx;
import org.lstm4j.io.RecurrentStack;
import org.lstm4j.io.RecurrentStack.Direction;
import org.lstm4j.io.RecurrentStack.Mode;
import org.lstm4j.parity.LibTorch;
import org.lstm4j.tensor.Tensor;

/**
 * ONNX's {@code direction="reverse"}, which torch.nn has no argument for, as lstm4j reads and
 * writes it: a REVERSE stack's weights (named {@code *_reverse}) written by {@link Onnx#write}
 * and run by ONNX Runtime compute what PyTorch computes by running the same weights forward on
 * the time-flipped input and flipping the output back ({@code rnn(x.flip(0))[0].flip(0)}; h_n
 * as it comes). libtorch is the PyTorch side; within 1e-5.
 */
class OnnxRuntimeReverseParityTest {

    @RegisterExtension
    static final LibTorch TORCH = new LibTorch();

    @TempDir
    static Path dir;

    @ParameterizedTest(name = "{0} layers={1} opset {2}")
    @CsvSource({"LSTM, 1, 9", "LSTM, 2, 17", "GRU, 1, 13", "GRU, 2, 22", "RNN_TANH, 2, 11", "RNN_RELU, 1, 14"})
    void aReverseStackIsTheForwardOneOnFlippedTime(Mode mode, int layers, int opset) throws Exception {
        int inputSize = 5;
        int hidden = 6;
        Map<String, Tensor> parameters = new LinkedHashMap<>();
        Map<String, Tensor> forwardNamed = new LinkedHashMap<>();
        float bound = (float) (1 / Math.sqrt(hidden));
        long seed = 77;
        for (int k = 0; k < layers; k++) {
            for (String kind : new String[] {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}) {
                int[] shape = kind.startsWith("bias") ? new int[] {mode.gates() * hidden}
                        : new int[] {mode.gates() * hidden, kind.equals("weight_hh") || k > 0 ? hidden : inputSize};
                Tensor t = Tensor.uniform(seed++, -bound, bound, shape);
                parameters.put(kind + "_l" + k + "_reverse", t);
                forwardNamed.put(kind + "_l" + k, t);
            }
        }
        RecurrentStack stack = new RecurrentStack(mode, inputSize, hidden, layers, true, Direction.REVERSE, parameters);
        Path file = dir.resolve(mode + "_" + layers + ".onnx");
        Onnx.write(file, stack, Onnx.ExportOptions.opset(opset));
        assertThat(Onnx.readRecurrent(file).get("").parameters()).isEqualTo(parameters);

        int length = 7;
        int batch = 3;
        Tensor x = Tensor.randn(3, length, batch, inputSize);
        Map<String, Tensor> ort = OnnxRuntime.run(file, Map.of("input", x));
        try (NDManager m = TORCH.manager().newSubManager()) {
            NDList params = new NDList();
            forwardNamed.values().forEach(t -> params.add(LibTorch.toNd(m, t)));
            NDArray flipped = LibTorch.toNd(m, x).flip(0);
            NDArray h0 = m.zeros(new ai.djl.ndarray.types.Shape(layers, batch, hidden));
            NDList out = switch (mode) {
                case LSTM -> flipped.getNDArrayInternal().lstm(flipped, new NDList(h0, h0), params, true, layers, 0.0,
                        false, false, false);
                case GRU -> flipped.getNDArrayInternal().gru(flipped, h0, params, true, layers, 0.0, false, false, false);
                default -> flipped.getNDArrayInternal().rnn(flipped, h0, params, true, layers,
                        mode == Mode.RNN_RELU ? RNN.Activation.RELU : RNN.Activation.TANH, 0.0, false, false, false);
            };
            Tensor output = LibTorch.toTensor(out.get(0).flip(0));
            float d = Math.max(OnnxRuntimeExportParityTest.diff(output, ort.get("output")),
                    OnnxRuntimeExportParityTest.diff(LibTorch.toTensor(out.get(1)), ort.get("h_n")));
            if (mode == Mode.LSTM) {
                d = Math.max(d, OnnxRuntimeExportParityTest.diff(LibTorch.toTensor(out.get(2)), ort.get("c_n")));
            }
            System.out.printf("reverse %-8s layers=%d opset %-2d maxdiff ONNX Runtime vs libtorch on flipped time %.3e%n",
                    mode, layers, opset, d);
            assertThat(d).isLessThanOrEqualTo(OnnxRuntimeExportParityTest.TOLERANCE);
        }
    }
}
