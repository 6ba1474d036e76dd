package org.lstm4j.parity.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lstm4j.io.Onnx;
import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Tensor;

/**
 * ONNX Runtime runs what {@link LSTM#toOnnx} writes and computes lstm4j's numbers: 48 seeded
 * configurations (1–3 layers, bidirectional or not, with and without bias, batch_first, graph
 * inputs h0/c0 or zero state, every opset from 7 to 22), each file run at two different
 * (length, batch) shapes; output, h_n and c_n within 1e-5.
 */
class OnnxRuntimeExportParityTest {
    static final int CONFIGS = 48;
    static final float TOLERANCE = 1e-5f;

    @TempDir
    static Path dir;

    private static float worst;

    record Config(int seed, int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst,
                  boolean bidirectional, boolean initialState, int opset) {
        @Override
        public String toString() {
            return "seed " + seed + ": LSTM(" + inputSize + ", " + hiddenSize + ", num_layers=" + numLayers + ", bias="
                    + bias + ", batch_first=" + batchFirst + ", bidirectional=" + bidirectional + ") opset " + opset
                    + (initialState ? " with h0/c0" : "");
        }
    }

    static Stream<Config> configs() {
        return IntStream.range(0, CONFIGS).mapToObj(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            return new Config(seed, 1 + r.nextInt(16), 1 + r.nextInt(24), 1 + r.nextInt(3), seed % 5 != 4,
                    seed % 3 == 1, seed % 2 == 1, seed % 4 >= 2, 7 + seed % 16);
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void onnxRuntimeComputesWhatLstm4jComputes(Config c) throws Exception {
        LSTM lstm = LSTM.builder(c.inputSize(), c.hiddenSize()).numLayers(c.numLayers()).bias(c.bias())
                .batchFirst(c.batchFirst()).bidirectional(c.bidirectional()).seed(c.seed()).build();
        lstm.eval();
        Path file = dir.resolve("lstm_" + c.seed() + ".onnx");
        lstm.toOnnx(file, Onnx.ExportOptions.opset(c.opset()).withBatchFirst(c.batchFirst())
                .withInitialState(c.initialState()));
        SplittableRandom r = new SplittableRandom(1000 + c.seed());
        for (int shape = 0; shape < 2; shape++) {
            int length = 1 + r.nextInt(12);
            int batch = 1 + r.nextInt(5);
            Tensor x = c.batchFirst() ? Tensor.randn(r.nextLong(), batch, length, c.inputSize())
                    : Tensor.randn(r.nextLong(), length, batch, c.inputSize());
            int rows = (c.bidirectional() ? 2 : 1) * c.numLayers();
            Tensor h0 = c.initialState() ? Tensor.randn(r.nextLong(), rows, batch, c.hiddenSize()) : null;
            Tensor c0 = c.initialState() ? Tensor.randn(r.nextLong(), rows, batch, c.hiddenSize()) : null;
            LSTM.Output expected = lstm.forward(x, h0, c0);
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            inputs.put("input", x);
            if (c.initialState()) {
                inputs.put("h0", h0);
                inputs.put("c0", c0);
            }
            Map<String, Tensor> ort = OnnxRuntime.run(file, inputs);
            assertThat(ort.keySet()).containsExactly("output", "h_n", "c_n");
            float d = Math.max(diff(expected.output(), ort.get("output")),
                    Math.max(diff(expected.hN(), ort.get("h_n")), diff(expected.cN(), ort.get("c_n"))));
            System.out.printf("%-100s L=%-2d N=%d  maxdiff %.3e%n", c, length, batch, d);
            assertThat(d).as("%s at L=%d, N=%d", c, length, batch).isLessThanOrEqualTo(TOLERANCE);
            synchronized (OnnxRuntimeExportParityTest.class) {
                worst = Math.max(worst, d);
            }
        }
    }

    /** Max |a - b| after checking that the shapes agree. */
    static float diff(Tensor expected, Tensor actual) {
        assertThat(actual.shape()).isEqualTo(expected.shape());
        return expected.maxAbsDiff(actual);
    }

    @AfterAll
    static void report() {
        System.out.printf("ONNX Runtime vs lstm4j, %d exported configurations at 2 shapes each: worst maxdiff %.3e%n",
                CONFIGS, worst);
    }
}
