package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.lstm4j.io.IoFixtures.assertSameValues;
import static org.lstm4j.io.IoFixtures.resource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lstm4j.tensor.Tensor;

/**
 * The three trained checkpoints in io/checkpoints (see its README.md for where they come from),
 * against what PyTorch's torch.load gives: per tensor its shape, first 16 values, float64 sum, and
 * every value for tensors of at most 4096 elements (io/checkpoints/*.expected.npz).
 */
class RealCheckpointsTest {
    @ParameterizedTest
    @ValueSource(strings = {"wind_bilstm_1layer.pt", "wind_lstm_3layer.pt", "wind_glstm_3stack.pth"})
    void matchesWhatTorchLoadGives(String name) throws IOException {
        StateDictFile sd = StateDicts.read(resource("checkpoints/" + name));
        Map<String, Tensor> expected = Npy.readNpz(resource("checkpoints/" + name + ".expected.npz")).tensors();
        List<String> keys = new ArrayList<>();
        for (String key : expected.keySet()) {
            if (key.endsWith("|shape")) {
                keys.add(key.substring(0, key.length() - "|shape".length()));
            }
        }
        assertThat(sd.tensors().keySet()).containsExactlyElementsOf(keys);
        for (String key : keys) {
            Tensor t = sd.tensor(key);
            float[] shape = expected.get(key + "|shape").data();
            assertThat(t.shape()).as(key).hasSize(shape.length);
            for (int d = 0; d < shape.length; d++) {
                assertThat(t.shape()[d]).as("%s dim %d", key, d).isEqualTo((int) shape[d]);
            }
            Tensor head = expected.get(key + "|head");
            assertSameValues(head, Tensor.of(Arrays.copyOf(t.data(), head.numel()), head.numel()), key);
            double sum = 0;
            for (float v : t.data()) {
                sum += v;
            }
            double expectedSum = expected.get(key + "|sum").item();
            assertThat(sum).as("sum of %s", key).isCloseTo(expectedSum, within(1e-4 + 1e-6 * Math.abs(expectedSum)));
            if (expected.containsKey(key + "|all")) {
                assertSameValues(expected.get(key + "|all"), t, key);
            }
        }
        assertThat(sd.dtypes().values()).containsOnly("float32");
    }

    @Test
    void bidirectionalOneLayer() throws IOException {
        StateDictFile sd = StateDicts.read(resource("checkpoints/wind_bilstm_1layer.pt"));
        assertThat(sd.tensor("lstm.weight_ih_l0").shape()).containsExactly(512, 31);
        assertThat(sd.tensor("lstm.weight_hh_l0").shape()).containsExactly(512, 128);
        assertThat(sd.tensor("lstm.weight_ih_l0_reverse").shape()).containsExactly(512, 31);
        assertThat(sd.tensor("lstm.bias_hh_l0_reverse").shape()).containsExactly(512);
        assertThat(sd.tensors().keySet()).noneMatch(k -> k.startsWith("lstm.") && k.contains("_l1"));
        assertThat(sd.otherEntries()).isEmpty();
    }

    @Test
    void dictOfStateDictsGivesDottedKeys() throws IOException {
        StateDictFile sd = StateDicts.read(resource("checkpoints/wind_lstm_3layer.pt"));
        assertThat(sd.tensors().keySet()).startsWith("lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0",
                "lstm.bias_hh_l0", "lstm.weight_ih_l1");
        assertThat(sd.tensor("lstm.weight_ih_l0").shape()).containsExactly(512, 31);
        assertThat(sd.tensor("lstm.weight_ih_l2").shape()).containsExactly(512, 128);
        assertThat(sd.tensors().keySet()).anyMatch(k -> k.startsWith("norm."))
                .anyMatch(k -> k.startsWith("lin1.")).anyMatch(k -> k.startsWith("lin2."))
                .noneMatch(k -> k.contains("_l3") || k.contains("reverse"));
    }

    @Test
    void stackedLstmsWithAnArchDictOfNumbers() throws IOException {
        StateDictFile sd = StateDicts.read(resource("checkpoints/wind_glstm_3stack.pth"));
        assertThat(sd.tensor("lstm1.weight_ih_l0").shape()).containsExactly(200, 4);
        assertThat(sd.tensor("lstm2.weight_ih_l0").shape()).containsExactly(200, 50);
        assertThat(sd.tensor("lstm3.weight_ih_l0").shape()).containsExactly(800, 50);
        assertThat(sd.tensor("lstm3.weight_hh_l0").shape()).containsExactly(800, 200);
        assertThat(sd.tensor("fc.weight").shape()).containsExactly(1, 200);
        assertThat(sd.otherEntries()).containsExactly(Map.entry("arch.input_size", 4L), Map.entry("arch.lookback", 48L),
                Map.entry("arch.h1", 50L), Map.entry("arch.h2", 50L), Map.entry("arch.h3", 200L),
                Map.entry("arch.dropout", 0.0));
    }
}
