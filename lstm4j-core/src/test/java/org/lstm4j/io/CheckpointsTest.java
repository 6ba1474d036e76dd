package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lstm4j.tensor.Tensor;

/** The flattening and wrapper-stripping rules of {@link Checkpoints}, on hand-built structures. */
class CheckpointsTest {
    static final Tensor A = Tensor.zeros(1);
    static final Tensor B = Tensor.zeros(2);
    static final Tensor C = Tensor.zeros(3);

    static Map<Object, Object> dict(Object... keysAndValues) {
        Map<Object, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    static StateDictFile flatten(Object root) throws IOException {
        return Checkpoints.flatten(new TorchZip.Loaded(FileFormat.TORCH_ZIP, root, new IdentityHashMap<>()), "single",
                "test.pt");
    }

    @Test
    void nestedDictsGetDottedKeys() throws IOException {
        StateDictFile f = flatten(dict("lstm", dict("weight_ih_l0", A, "bias_ih_l0", B), "fc", dict("weight", C)));
        assertThat(f.tensors().keySet()).containsExactly("lstm.weight_ih_l0", "lstm.bias_ih_l0", "fc.weight");
        assertThat(f.otherEntries()).isEmpty();
        assertThat(f.dtypes().values()).containsOnly("float32");
    }

    @Test
    void aSingleWrapperNextToOptimizerStateAndNumbersIsStripped() throws IOException {
        StateDictFile f = flatten(dict(
                "model_state_dict", dict("lstm.weight_ih_l0", A, "lstm.bias_ih_l0", B),
                "optimizer_state_dict", dict("state", dict(0L, dict("exp_avg", C)), "param_groups",
                        new ArrayList<>(List.of(dict("lr", 0.1, "params", new ArrayList<>(List.of(0L, 1L)))))),
                "epoch", 3L));
        assertThat(f.tensors().keySet()).containsExactly("lstm.weight_ih_l0", "lstm.bias_ih_l0");
        assertThat(f.otherEntries()).containsExactly(
                Map.entry("optimizer_state_dict.state.0.exp_avg", C),
                Map.entry("optimizer_state_dict.param_groups.0.lr", 0.1),
                Map.entry("optimizer_state_dict.param_groups.0.params", List.of(0L, 1L)),
                Map.entry("epoch", 3L));
    }

    @Test
    void everyWrapperNameIsRecognised() throws IOException {
        for (String wrapper : Checkpoints.WRAPPERS) {
            assertThat(flatten(dict(wrapper, dict("w", A), "step", 10L)).tensors().keySet()).as(wrapper)
                    .containsExactly("w");
        }
    }

    @Test
    void ambiguousCheckpointsKeepFullPaths() throws IOException {
        // Two tensor-holding top-level entries that are not optimizer state: model + ema.
        assertThat(flatten(dict("model", dict("w", A), "ema", dict("w", B))).tensors().keySet())
                .containsExactly("model.w", "ema.w");
        // Two wrappers.
        assertThat(flatten(dict("state_dict", dict("w", A), "model", dict("w", B))).tensors().keySet())
                .containsExactly("state_dict.w", "model.w");
        // A wrapper name holding a tensor, not a dict, is just a key.
        assertThat(flatten(dict("model", A, "epoch", 1L)).tensors().keySet()).containsExactly("model");
        // A wrapper and a loose tensor at the top.
        assertThat(flatten(dict("state_dict", dict("w", A), "extra", B)).tensors().keySet())
                .containsExactly("state_dict.w", "extra");
    }

    @Test
    void listsIndexWhenTheyHoldTensorsAndStayWholeOtherwise() throws IOException {
        StateDictFile f = flatten(dict("layers", new ArrayList<>(List.of(A, dict("w", B))),
                "sizes", List.of(50L, 50L, 200L), "empty", dict(), "none", null));
        assertThat(f.tensors().keySet()).containsExactly("layers.0", "layers.1.w");
        assertThat(f.otherEntries().keySet()).containsExactly("sizes", "empty", "none");
        assertThat(f.otherEntries()).containsEntry("sizes", List.of(50L, 50L, 200L)).containsEntry("empty", Map.of())
                .containsEntry("none", null);
        assertThat(flatten(new ArrayList<>(List.of(A, B))).tensors().keySet()).containsExactly("0", "1");
    }

    @Test
    void loneValuesAreNamedAfterTheFile() throws IOException {
        assertThat(flatten(A).tensors()).containsExactly(Map.entry("single", A));
        assertThat(flatten(7L).otherEntries()).containsExactly(Map.entry("single", 7L));
    }

    @Test
    void keysAreWrittenAsPythonPrintsThem() throws IOException {
        StateDictFile f = flatten(dict(true, A, null, B, 2L, C));
        assertThat(f.tensors().keySet()).containsExactly("True", "None", "2");
    }

    @Test
    void collidingKeysAreAnError() {
        assertThatThrownBy(() -> flatten(dict("a.b", A, "a", dict("b", B))))
                .isInstanceOf(IOException.class).hasMessage("test.pt: two entries flatten to the same key 'a.b'");
    }

    @Test
    void storedDtypesFollowTheTensors() throws IOException {
        Map<Tensor, DType> dtypes = new IdentityHashMap<>();
        dtypes.put(A, DType.FLOAT16);
        dtypes.put(B, DType.INT64);
        StateDictFile f = Checkpoints.flatten(new TorchZip.Loaded(FileFormat.TORCH_ZIP, dict("a", A, "b", B), dtypes),
                "x", "test.pt");
        assertThat(f.dtypes()).containsExactly(Map.entry("a", "float16"), Map.entry("b", "int64"));
    }
}
