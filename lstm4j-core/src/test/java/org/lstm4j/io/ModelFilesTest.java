package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.lstm4j.io.IoFixtures.assertSameValues;
import static org.lstm4j.io.IoFixtures.resource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lstm4j.tensor.Tensor;

/**
 * The files of io/models (tools/fixtures/make_model_fixtures.py, PyTorch 1.13.1): TorchScript
 * archives, whole pickled models, the legacy format, float16 / bfloat16 / float64 storages, views
 * and checkpoint nestings give exactly the state dict PyTorch gets from them (same names in the
 * same order, bit-identical float32 values); the hostile ones are refused and run nothing.
 */
class ModelFilesTest {
    static final Path SENTINEL = Path.of("/tmp/lstm4j_hostile_sentinel");

    /** The "sd|<key>" entries of &lt;file&gt;.expected.npz: PyTorch's state dict of the saved model, as float32. */
    static Map<String, Tensor> expectedStateDict(String file) throws IOException {
        Map<String, Tensor> expected = new LinkedHashMap<>();
        Npy.readNpz(resource("models/" + file + ".expected.npz")).tensors().forEach((k, v) -> {
            if (k.startsWith("sd|")) {
                expected.put(k.substring(3), v);
            }
        });
        return expected;
    }

    @ParameterizedTest
    @CsvSource({
        "scripted_net.pt, TORCHSCRIPT, float32",
        "traced_tagger.pt, TORCHSCRIPT, float32",
        "scripted_bf16.pt, TORCHSCRIPT, bfloat16",
        "whole_net.pt, TORCH_ZIP, float32",
        "whole_seq2seq.pt, TORCH_ZIP, float32",
        "whole_lstm_f16.pt, TORCH_ZIP, float16",
        "legacy_bilstm.pt, TORCH_LEGACY, float32",
        "legacy_whole_net_f64.pt, TORCH_LEGACY, float64",
        "views_lstm.pt, TORCH_ZIP, float32",
        "checkpoint_whole_model.pt, TORCH_ZIP, float32",
        "lightning_style.ckpt, TORCH_ZIP, float32"})
    void givesTheStateDictPyTorchGets(String file, FileFormat format, String dtype) throws IOException {
        Path path = resource("models/" + file);
        assertThat(StateDicts.detect(path)).isEqualTo(format);
        StateDictFile sd = StateDicts.read(path);
        assertThat(sd.format()).isEqualTo(format);
        Map<String, Tensor> expected = expectedStateDict(file);
        assertThat(sd.tensors().keySet()).containsExactlyElementsOf(expected.keySet());
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            assertSameValues(e.getValue(), sd.tensor(e.getKey()), e.getKey());
        }
        // Integer buffers (BatchNorm's num_batches_tracked) keep their own type.
        sd.dtypes().forEach((name, stored) -> assertThat(stored).as(name)
                .isEqualTo(name.endsWith("num_batches_tracked") ? "int64" : dtype));
    }

    @Test
    void aWholeModelGivesItsModuleTreeWithItsSettings() throws IOException {
        StateDictFile sd = StateDicts.read(resource("models/whole_net.pt"));
        assertThat(sd.modules()).hasSize(1);
        ModuleTree net = sd.modules().get(0);
        assertThat(net.path()).isEmpty();
        assertThat(net.type()).isEqualTo("__main__.Net");
        assertThat(net.tensors()).isEmpty();
        assertThat(net.children()).extracting(ModuleTree::path).containsExactly("rnn", "fc");
        ModuleTree rnn = net.children().get(0);
        assertThat(rnn.type()).isEqualTo("torch.nn.modules.rnn.LSTM");
        assertThat(rnn.tensors()).containsExactly("rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0",
                "rnn.bias_hh_l0", "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1");
        assertThat(rnn.attributes()).containsEntry("mode", "LSTM").containsEntry("input_size", 3L)
                .containsEntry("hidden_size", 5L).containsEntry("num_layers", 2L).containsEntry("batch_first", true)
                .containsEntry("bidirectional", false).containsEntry("proj_size", 0L).containsEntry("dropout", 0.0)
                .doesNotContainKey("training");
        assertThat(sd.otherEntries()).isEmpty();
        assertThat(sd.notes()).isEmpty();
    }

    @Test
    void userPackageModelsKeepStateDictOrderTiedWeightsAndSkipNonPersistentBuffers() throws IOException {
        StateDictFile sd = StateDicts.read(resource("models/whole_seq2seq.pt"));
        ModuleTree root = sd.modules().get(0);
        assertThat(root.type()).isEqualTo("lstm4j_fixture_pkg.models.Seq2Seq");
        ModuleTree encoder = root.children().get(0);
        assertThat(encoder.tensors()).containsExactly("encoder.scale");
        assertThat(encoder.children()).extracting(ModuleTree::path)
                .containsExactly("encoder.embed", "encoder.rnn", "encoder.norms");
        assertThat(encoder.children().get(2).children()).extracting(ModuleTree::type).containsExactly(
                "torch.nn.modules.normalization.LayerNorm", "torch.nn.modules.linear.Identity",
                "torch.nn.modules.batchnorm.BatchNorm1d");
        assertThat(sd.tensors()).doesNotContainKey("encoder.cache").doesNotContainKey("encoder.unused");
        assertThat(sd.tensor("out.weight")).isSameAs(sd.tensor("encoder.embed.weight"));
    }

    @Test
    void torchScriptModulesAreNamedByTheirPathAndTheirTypesKeptAsWritten() throws IOException {
        StateDictFile sd = StateDicts.read(resource("models/traced_tagger.pt"));
        ModuleTree root = sd.modules().get(0);
        assertThat(root.type()).startsWith("__torch__.").endsWith(".Tagger");
        assertThat(root.children()).extracting(ModuleTree::path).containsExactly("encoder", "lstm", "head");
        assertThat(root.children().get(0).children()).extracting(ModuleTree::path)
                .containsExactly("encoder.0", "encoder.1");
        assertThat(root.children().get(1).type()).startsWith("__torch__.torch.nn.modules.rnn.").endsWith("LSTM");
        assertThat(sd.tensors().keySet()).doesNotContain("lstm._flat_weights.0");
    }

    @Test
    void aModelInACheckpointIsUnwrappedAndNumpyScalarsAreReadOrNoted() throws IOException {
        StateDictFile sd = StateDicts.read(resource("models/checkpoint_whole_model.pt"));
        assertThat(sd.modules()).hasSize(1);
        assertThat(sd.modules().get(0).path()).isEmpty();
        assertThat(sd.modules().get(0).children().get(0).tensors()).startsWith("rnn.weight_ih_l0");
        Map<String, Object> other = sd.otherEntries();
        assertThat(other).containsEntry("epoch", 7L).containsEntry("best_loss", 0.25).containsEntry("improved", true);
        assertThat(other.get("optimizer.state.0.momentum_buffer")).isInstanceOf(Tensor.class);
        assertThat(other.get("phase")).isInstanceOf(PickledObject.class);
        PickledObject namespace = (PickledObject) other.get("args");
        assertThat(namespace.type().qualifiedName()).isEqualTo("argparse.Namespace");
        assertThat(namespace.attributes()).containsEntry("lr", 0.1).containsEntry("hidden", 5L);
        assertThat(sd.notes()).containsExactly(
                "phase: a numpy scalar of dtype c8, which is not read (bool, int and float scalars are); kept as a "
                        + "placeholder",
                "args: argparse.Namespace(lr=0.1, hidden=5) is an object of a class lstm4j does not run; kept as a "
                        + "placeholder");
    }

    @Test
    void lightningStyleCheckpointsStripStateDictNextToOptimizerCallbackAndLoopState() throws IOException {
        StateDictFile sd = StateDicts.read(resource("models/lightning_style.ckpt"));
        assertThat(sd.tensors().keySet()).allMatch(k -> k.startsWith("model."));
        assertThat(sd.otherEntries()).containsEntry("epoch", 3L).containsEntry("pytorch-lightning_version", "1.9.5")
                .containsKey("callbacks.ModelCheckpoint{'monitor': 'val_loss'}.best_model_score");
    }

    @Test
    void viewsOfOneSharedStorageComeOutAsPyTorchHasThem() throws IOException {
        StateDictFile sd = StateDicts.read(resource("models/views_lstm.pt"));
        assertThat(sd.tensor("lstm.weight_hh_l0").shape()).containsExactly(16, 4);
        assertThat(sd.tensor("lstm.bias_ih_l0").shape()).containsExactly(16);
        assertThat(sd.tensor("tied.weight_ih_l0_copy")).isEqualTo(sd.tensor("lstm.weight_ih_l0"));
    }

    @Test
    void readObjectGivesTheModelAsAnInertPlaceholder() throws IOException {
        Object root = TorchZip.readObject(resource("models/whole_net.pt"));
        assertThat(root).isInstanceOf(PickledObject.class);
        PickledObject net = (PickledObject) root;
        assertThat(net.type()).isEqualTo(new PickledGlobal("__main__", "Net"));
        assertThat(net.args()).isEmpty();
        assertThat(net.attributes().get("_modules")).isInstanceOf(Map.class);
        Object legacy = TorchZip.readObject(resource("models/legacy_whole_net_f64.pt"));
        assertThat(((PickledObject) legacy).type().qualifiedName()).isEqualTo("__main__.Net");
    }

    /** Each would run {@code touch /tmp/lstm4j_hostile_sentinel} in a real unpickler. */
    @ParameterizedTest
    @CsvSource({
        "hostile_tensors_os_system.pt, os.system",
        "hostile_torchscript_posix_system.pt, posix.system",
        "hostile_whole_model_getattr.pt, builtins.getattr",
        "hostile_dotted_traversal.pt, torch.os.system",
        "hostile_legacy_subprocess.pt, subprocess.call"})
    void hostileFilesAreRefusedByNameAndNothingRuns(String file, String global) throws IOException {
        Files.deleteIfExists(SENTINEL);
        Path path = resource("models/" + file);
        assertThatThrownBy(() -> StateDicts.read(path))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("refusing to load global '" + global + "' from " + path
                        + ": it can run code or reach the system, so the file is treated as hostile and nothing from"
                        + " it was run");
        assertThatThrownBy(() -> TorchZip.readObject(path)).isInstanceOf(IOException.class);
        assertThat(SENTINEL).doesNotExist();
    }
}
