package org.lstm4j.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lstm4j.io.IoFixtures.resource;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Precision;
import org.lstm4j.tensor.Tensor;

/**
 * README's reduced-precision example on a real trained checkpoint, against PyTorch 1.13.1's float32
 * module holding the int8 weights quantize_dynamic makes (tools/fixtures/make_precision_fixtures.py).
 */
class ReadmePrecisionExampleTest {

    @Test
    void int8WeightsOfARealCheckpoint() throws IOException {
        Path modelFile = resource("checkpoints/wind_lstm_3layer.pt");
        StateDictFile given = StateDicts.read(resource("outputs/wind_lstm_3layer.pt.lstm.npz"));
        StateDictFile pytorch = StateDicts.read(resource("precision/wind_lstm_3layer.pt.lstm.npz"));
        Tensor x = given.tensor("input");
        Tensor h0 = given.tensor("h0");
        Tensor c0 = given.tensor("c0");

        // README:precision:begin
        LSTM lstm = LSTM.load(modelFile).withBatchFirst(true);
        lstm.eval();
        LSTM int8 = lstm.withWeightPrecision(Precision.INT8);   // inference-only: 1 byte a weight + a scale per row
        LSTM.Output out = int8.forward(x, h0, c0);              // activations and sums in float32
        double bytesPerParameter = (double) int8.weightBytes() / int8.parameterCount();
        // README:precision:end

        System.out.printf("README precision example: %.3f bytes per parameter, vs PyTorch on the same int8 weights"
                + " %.2e, vs float32 %.2e%n", bytesPerParameter, out.output().maxAbsDiff(pytorch.tensor("int8_output")),
                out.output().maxAbsDiff(given.tensor("output")));
        assertThat(out.output().maxAbsDiff(pytorch.tensor("int8_output"))).isLessThanOrEqualTo(1e-5f);
        assertThat(bytesPerParameter).isBetween(1.0, 1.1);
    }
}
