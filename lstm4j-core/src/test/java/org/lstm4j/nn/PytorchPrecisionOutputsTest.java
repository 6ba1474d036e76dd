package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lstm4j.io.IoFixtures.resource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.kernels.PanelMatrix;
import org.lstm4j.tensor.Precision;
import org.lstm4j.tensor.Tensor;

/**
 * Reduced-precision weights against real PyTorch 1.13.1 (io/precision, written by
 * tools/fixtures/make_precision_fixtures.py), on the three real trained checkpoints' five LSTMs, a
 * GRU and an RNN:
 * <ul>
 *   <li>the stored weights are PyTorch's: bf16 bits equal {@code W.bfloat16()}; int8 values and
 *       row scales equal those {@code quantize_dynamic} with {@code per_channel_dynamic_qconfig}
 *       packs;</li>
 *   <li>the outputs equal those of a float32 PyTorch module holding exactly those weights, within
 *       1e-5 (lstm4j computes in float32 on the stored weights, nothing else changes);</li>
 *   <li>accuracy: max |diff| from the float32 model within the bounds (bf16 2e-2, int8
 *       5e-2), and int8 at least as close to float32 as PyTorch's own dynamically quantized module,
 *       which also quantizes the activations to uint8.</li>
 * </ul>
 */
class PytorchPrecisionOutputsTest {

    private static final float SAME_WEIGHTS = 1e-5f;
    private static final Map<Precision, Float> BOUND_VS_FP32 = Map.of(Precision.BF16, 2e-2f, Precision.INT8, 5e-2f);

    @TestFactory
    Stream<DynamicTest> theRealCheckpointsLstmsAsPyTorchQuantizesAndRunsThem() throws IOException {
        List<Path> cases;
        try (Stream<Path> files = Files.list(resource("precision"))) {
            cases = files.filter(p -> p.getFileName().toString().startsWith("wind_")).sorted().toList();
        }
        assertThat(cases).hasSize(5);
        return cases.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
            // <checkpoint>.<prefix>.npz, e.g. wind_glstm_3stack.pth.lstm2.npz, input in io/outputs
            String name = file.getFileName().toString();
            String stem = name.substring(0, name.length() - ".npz".length());
            String checkpoint = stem.substring(0, stem.lastIndexOf('.'));
            String prefix = stem.substring(stem.lastIndexOf('.') + 1) + ".";
            LSTM lstm = LSTM.load(resource("checkpoints/" + checkpoint), prefix).withBatchFirst(true);
            lstm.eval();
            StateDictFile given = StateDicts.read(resource("outputs/" + name));
            check(lstm, StateDicts.read(file), given.tensor("input"), List.of(given.tensor("h0"), given.tensor("c0")),
                    given.tensor("output"), name);
        }));
    }

    @Test
    void aGruAsPyTorchQuantizesAndRunsIt() throws IOException {
        StateDictFile fixture = StateDicts.read(resource("precision/gru.npz"));
        GRU gru = (GRU) RNNBase.fromStateDict(fixture.tensors(), "gru.");
        gru.eval();
        check(gru, fixture, fixture.tensor("input"), List.of(fixture.tensor("h0")), fixture.tensor("output"), "gru");
    }

    @Test
    void anRnnAsPyTorchQuantizesAndRunsIt() throws IOException {
        StateDictFile fixture = StateDicts.read(resource("precision/rnn_tanh.npz"));
        RNNBase rnn = RNNBase.fromStateDict(fixture.tensors(), "rnn.");
        rnn.eval();
        check(rnn, fixture, fixture.tensor("input"), List.of(fixture.tensor("h0")), fixture.tensor("output"), "rnn");
    }

    /**
     * A safetensors file of bfloat16 weights (PyTorch's {@code .bfloat16()}) loads as bf16 weights
     * unchanged — no second rounding — in 2 bytes per parameter, and runs as PyTorch's float32
     * module on those weights; float32 and bf16 loads give the same bits.
     */
    @Test
    void aBf16SafetensorsFileLoadsAsBf16Unchanged() throws IOException {
        Path file = resource("precision/lstm_bf16.safetensors");
        assertThat(StateDicts.read(file).dtypes().values()).containsOnly("bfloat16");
        LSTM fp32 = LSTM.load(file);
        fp32.eval();
        LSTM bf16 = fp32.withWeightPrecision(Precision.BF16);
        assertThat(bf16.dequantizedStateDict()).isEqualTo(fp32.stateDict());
        double bytesPerParameter = (double) bf16.weightBytes() / bf16.parameterCount();
        System.out.printf("lstm_bf16.safetensors as bf16: %.3f bytes per parameter%n", bytesPerParameter);
        assertThat(bytesPerParameter).isBetween(2.0, 2.3);
        StateDictFile expected = StateDicts.read(resource("precision/lstm_bf16.expected.npz"));
        LSTM.Output out = bf16.forward(expected.tensor("input"), expected.tensor("h0"), expected.tensor("c0"));
        assertThat(out.output().maxAbsDiff(expected.tensor("output"))).isLessThanOrEqualTo(SAME_WEIGHTS);
        assertThat(out.hN().maxAbsDiff(expected.tensor("h_n"))).isLessThanOrEqualTo(SAME_WEIGHTS);
        assertThat(out.cN().maxAbsDiff(expected.tensor("c_n"))).isLessThanOrEqualTo(SAME_WEIGHTS);
        assertThat(out.output()).isEqualTo(fp32.forward(expected.tensor("input"), expected.tensor("h0"),
                expected.tensor("c0")).output());
    }

    private static void check(RNNBase module, StateDictFile fixture, Tensor input, List<Tensor> state, Tensor fp32Output,
                              String name) {
        Map<String, Tensor> weights = module.stateDict();
        for (Precision precision : List.of(Precision.BF16, Precision.INT8)) {
            RNNBase reduced = module.withWeightPrecision(precision);
            Map<String, Tensor> stored = reduced.dequantizedStateDict();
            for (String weight : weights.keySet()) {
                if (weight.startsWith("weight_")) {
                    assertStoredAsPyTorch(precision, weights.get(weight), stored.get(weight), fixture, weight, name);
                } else {
                    assertThat(stored.get(weight)).as("%s %s stays float32", name, weight).isEqualTo(weights.get(weight));
                }
            }
            String key = precision.cliName();
            Tensor output = run(reduced, input, state);
            float sameWeights = output.maxAbsDiff(fixture.tensor(key + "_output"));
            float vsFp32 = output.maxAbsDiff(fp32Output);
            String line = String.format("%-36s %s: vs PyTorch float32 on the same weights %.2e, vs float32 %.2e", name,
                    key, sameWeights, vsFp32);
            if (precision == Precision.INT8 && fixture.tensors().containsKey("qdynamic_output")) {
                Tensor qdynamic = fixture.tensor("qdynamic_output");
                float qdynamicVsFp32 = qdynamic.maxAbsDiff(fp32Output);
                line += String.format(", vs quantize_dynamic %.2e (which is %.2e from float32)",
                        output.maxAbsDiff(qdynamic), qdynamicVsFp32);
                assertThat(vsFp32).as(name + ": lstm4j int8 at least as close to float32 as quantize_dynamic")
                        .isLessThanOrEqualTo(qdynamicVsFp32);
            }
            System.out.println(line);
            assertThat(sameWeights).as(name + " " + key).isLessThanOrEqualTo(SAME_WEIGHTS);
            assertThat(vsFp32).as(name + " " + key).isLessThanOrEqualTo(BOUND_VS_FP32.get(precision));
        }
    }

    /** The weight as lstm4j stores it equals PyTorch's: bf16 bits, or int8 values and row scales. */
    private static void assertStoredAsPyTorch(Precision precision, Tensor weight, Tensor stored, StateDictFile fixture,
                                              String key, String name) {
        int rows = weight.size(0);
        int cols = weight.size(1);
        String where = name + " " + key + " " + precision.cliName();
        if (precision == Precision.BF16) {
            Tensor bits = fixture.tensor(key + "|bf16");
            for (int r = 0; r < rows; r++) {
                for (int p = 0; p < cols; p++) {
                    short expected = (short) bits.get(r, p);
                    assertThat(Precision.bf16Bits(weight.get(r, p))).as("%s [%d, %d]", where, r, p).isEqualTo(expected);
                    assertThat(stored.get(r, p)).isEqualTo(Precision.bf16Value(expected));
                }
            }
            return;
        }
        Tensor values = fixture.tensor(key + "|int8");
        Tensor scales = fixture.tensor(key + "|scale");
        // One lane: panel row r is W's row r.
        PanelMatrix panels = PanelMatrix.plain(weight.data(), 0, rows, cols, 1, Precision.INT8);
        for (int r = 0; r < rows; r++) {
            assertThat(panels.rowScale(r)).as("%s scale of row %d", where, r).isEqualTo(scales.get(r));
            for (int p = 0; p < cols; p++) {
                assertThat(panels.weight(r, p)).as("%s [%d, %d]", where, r, p).isEqualTo(values.get(r, p));
                assertThat(stored.get(r, p)).isEqualTo(values.get(r, p) * scales.get(r));
            }
        }
    }

    private static Tensor run(RNNBase module, Tensor input, List<Tensor> state) {
        return module instanceof LSTM lstm ? lstm.forward(input, state.get(0), state.get(1)).output()
                : ((HiddenStateRNN) module).forward(input, state.get(0)).output();
    }
}
