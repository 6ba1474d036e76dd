package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.lstm4j.io.IoFixtures.assertSameTensors;
import static org.lstm4j.io.IoFixtures.resource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.lstm4j.tensor.Tensor;

/** Files written by PyTorch 1.13.1's torch.save, compared with PyTorch's own values (saved by numpy). */
class TorchZipTest {
    static Map<String, Tensor> expected(String name) throws IOException {
        return Npy.readNpz(resource("torch/" + name + ".expected.npz")).tensors();
    }

    @Test
    void readsAnLstmStateDictInPyTorchsKeyOrder() throws IOException {
        StateDictFile sd = TorchZip.read(resource("torch/lstm_tiny.pt"));
        assertThat(sd.format()).isEqualTo(FileFormat.TORCH_ZIP);
        assertThat(sd.tensors().keySet()).containsExactly("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0");
        assertThat(sd.tensor("weight_ih_l0").shape()).containsExactly(16, 3);
        assertThat(sd.tensor("weight_hh_l0").shape()).containsExactly(16, 4);
        assertSameTensors(expected("lstm_tiny"), sd.tensors());
        assertThat(sd.dtypes().values()).containsOnly("float32");
        assertThat(sd.otherEntries()).isEmpty();
        assertThat(sd.infos().get(0)).isEqualTo(new TensorInfo("weight_ih_l0", "float32", new int[] {16, 3}));
    }

    @ParameterizedTest
    @ValueSource(strings = {"lstm_tiny_protocol4.pt", "lstm_tiny_big_endian.pt"})
    void protocol4AndBigEndianArchivesGiveTheSameTensors(String file) throws IOException {
        assertSameTensors(expected("lstm_tiny"), TorchZip.read(resource("torch/" + file)).tensors());
    }

    @Test
    void bidirectionalTwoLayerLstmWithProjections() throws IOException {
        StateDictFile sd = TorchZip.read(resource("torch/lstm_bi2_proj.pt"));
        assertSameTensors(expected("lstm_bi2_proj"), sd.tensors());
        assertThat(sd.tensors().keySet()).contains("weight_hr_l1_reverse");
        assertThat(sd.tensor("weight_ih_l1").shape()).containsExactly(20, 4);
        assertThat(sd.tensor("weight_hr_l0").shape()).containsExactly(2, 5);
    }

    @Test
    void everyStorageTypeConvertsAsPyTorchsFloatDoes() throws IOException {
        StateDictFile sd = TorchZip.read(resource("torch/dtypes.pt"));
        assertSameTensors(expected("dtypes"), sd.tensors());
        Map<String, String> dtypes = new LinkedHashMap<>();
        String[][] pairs = {{"f16", "float16"}, {"bf16", "bfloat16"}, {"f64", "float64"}, {"i64", "int64"},
            {"i32", "int32"}, {"i16", "int16"}, {"i8", "int8"}, {"u8", "uint8"}, {"bool", "bool"}, {"f32", "float32"}};
        for (String[] p : pairs) {
            dtypes.put(p[0], p[1]);
        }
        assertThat(sd.dtypes()).containsExactlyEntriesOf(dtypes);
    }

    @Test
    void viewsTransposesOffsetsAndSharedStoragesMatchPyTorch() throws IOException {
        StateDictFile sd = TorchZip.read(resource("torch/views.pt"));
        assertSameTensors(expected("views"), sd.tensors());
        assertThat(sd.tensor("transposed").shape()).containsExactly(6, 4);
        assertThat(sd.tensor("scalar").shape()).isEmpty();
        assertThat(sd.tensor("empty").shape()).containsExactly(0, 3);
    }

    @Test
    void checkpointWrapperIsStrippedAndTheRestKeptAside() throws IOException {
        StateDictFile ckpt = TorchZip.read(resource("torch/checkpoint.pt"));
        assertSameTensors(expected("checkpoint"), ckpt.tensors());
        assertThat(ckpt.tensors().keySet()).containsExactly("lstm.weight_ih_l0", "lstm.weight_hh_l0",
                "lstm.bias_ih_l0", "lstm.bias_hh_l0", "fc.weight", "fc.bias");
        Map<String, Object> other = ckpt.otherEntries();
        assertThat(other).containsEntry("epoch", 3L).containsEntry("loss", 0.25).containsEntry("name", "tiny")
                .containsEntry("best", true).containsEntry("note", null).containsEntry("window", List.of(48L, 1L));
        assertThat(other.get("optimizer_state_dict.state.0.exp_avg")).isInstanceOf(Tensor.class);
        assertThat(other).containsEntry("optimizer_state_dict.param_groups.0.lr", 0.01)
                .containsEntry("optimizer_state_dict.param_groups.0.betas", List.of(0.9, 0.999))
                .containsEntry("optimizer_state_dict.param_groups.0.params", List.of(0L, 1L, 2L, 3L, 4L, 5L));
    }

    @Test
    void readObjectReturnsTheStructureUnflattened() throws IOException {
        Object root = TorchZip.readObject(resource("torch/checkpoint.pt"));
        assertThat(root).isInstanceOf(Map.class);
        Map<?, ?> map = (Map<?, ?>) root;
        assertThat(map.keySet().stream().map(String::valueOf)).containsExactly("model_state_dict", "optimizer_state_dict", "epoch", "loss", "name",
                "best", "note", "window");
        assertThat(((Map<?, ?>) map.get("model_state_dict")).get("fc.weight")).isInstanceOf(Tensor.class);
    }

    @Test
    void aBareTensorIsNamedAfterTheFile() throws IOException {
        StateDictFile sd = StateDicts.read(resource("torch/tensor.pt"));
        assertThat(sd.tensors()).containsExactly(Map.entry("tensor", Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 2, 3)));
    }

    @Test
    void theLegacyFormatGivesTheSameTensors() throws IOException {
        // torch.save(sd, path, _use_new_zipfile_serialization=False) of lstm_tiny.pt's state dict
        StateDictFile sd = StateDicts.read(resource("torch/legacy.pt"));
        assertThat(sd.format()).isEqualTo(FileFormat.TORCH_LEGACY);
        assertSameTensors(expected("lstm_tiny"), sd.tensors());
        assertSameTensors(expected("lstm_tiny"), TorchZip.read(resource("torch/legacy.pt")).tensors());
    }

    @Test
    void torchScriptAndWholeModulesGiveTheirParameters() throws IOException {
        StateDictFile script = StateDicts.read(resource("torch/torchscript.pt"));   // torch.jit.script(nn.Linear(2, 1))
        assertThat(script.format()).isEqualTo(FileFormat.TORCHSCRIPT);
        assertThat(script.infos()).containsExactly(new TensorInfo("weight", "float32", new int[] {1, 2}),
                new TensorInfo("bias", "float32", new int[] {1}));
        StateDictFile whole = StateDicts.read(resource("torch/whole_module.pt"));   // torch.save(nn.Linear(2, 1))
        assertThat(whole.format()).isEqualTo(FileFormat.TORCH_ZIP);
        assertThat(whole.infos()).containsExactly(new TensorInfo("weight", "float32", new int[] {1, 2}),
                new TensorInfo("bias", "float32", new int[] {1}));
        assertThat(whole.modules()).extracting(ModuleTree::type).containsExactly("torch.nn.modules.linear.Linear");
        assertThat(whole.modules().get(0).attributes()).containsEntry("in_features", 2L).containsEntry("out_features", 1L);
    }

    /** The hostile archives would run {@code touch /tmp/lstm4j_hostile_sentinel} in a real unpickler. */
    @ParameterizedTest
    @CsvSource({
        "hostile_os_system.pt, os.system",
        "hostile_posix_system.pt, posix.system",
        "hostile_builtins_eval.pt, builtins.eval",
        "hostile_stack_global.pt, os.system",
        "hostile_subprocess_popen.pt, subprocess.Popen",
        "hostile_load_from_bytes.pt, torch.storage._load_from_bytes"})
    void hostileGlobalsAreRefusedByNameAndNothingRuns(String file, String global) throws IOException {
        Path sentinel = Path.of("/tmp/lstm4j_hostile_sentinel");
        Files.deleteIfExists(sentinel);
        Path path = resource("torch/" + file);
        assertThatThrownBy(() -> StateDicts.read(path))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("refusing to load global '" + global + "' from " + path
                        + ": it can run code or reach the system, so the file is treated as hostile");
        assertThatThrownBy(() -> TorchZip.readObject(path)).isInstanceOf(IOException.class);
        assertThat(sentinel).doesNotExist();
    }
}
