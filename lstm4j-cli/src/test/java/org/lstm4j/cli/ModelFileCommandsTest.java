package org.lstm4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lstm4j.io.Npy;
import org.lstm4j.io.SafeTensors;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.utils.Rnn;
import org.lstm4j.tensor.Tensor;

class ModelFileCommandsTest {

    private static final Path CHECKPOINTS = Path.of("..", "lstm4j-core", "src", "test", "resources", "io", "checkpoints");
    /** Written by tools/fixtures/make_model_fixtures.py (PyTorch 1.13.1), each with its &lt;file&gt;.expected.npz. */
    private static final Path MODELS = Path.of("..", "lstm4j-core", "src", "test", "resources", "io", "models");
    private static final Path SENTINEL = Path.of("/tmp/lstm4j_hostile_sentinel");

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "scripted_net.pt | TorchScript archive (torch.jit.save), 10 tensors",
        "traced_tagger.pt | TorchScript archive (torch.jit.save), 14 tensors",
        "whole_net.pt | whole pickled model (torch.save, zip format), 10 tensors",
        "checkpoint_whole_model.pt | checkpoint dict holding a whole pickled model (torch.save, zip format), 10 tensors",
        "legacy_bilstm.pt | state dict in the legacy torch.save format (before PyTorch 1.6), 16 tensors",
        "legacy_whole_net_f64.pt | whole pickled model in the legacy torch.save format (before PyTorch 1.6), 10 tensors",
        "lightning_style.ckpt | checkpoint dict holding a state dict (torch.save, zip format), 10 tensors",
        "scripted_net.pt.expected.npz | npz (numpy.savez), 16 tensors"})
    void inspectSaysWhichKindOfFileItIs(String file, String kind) {
        CliTestSupport r = CliTestSupport.run("inspect", MODELS.resolve(file).toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).startsWith(MODELS.resolve(file) + ": " + kind + "\n");
    }

    @Test
    void inspectPrintsTheModuleTreeWithSettingsAndTensors() {
        CliTestSupport r = CliTestSupport.run("inspect", MODELS.resolve("whole_net.pt").toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains(
                "module tree:\n  (root): __main__.Net\n    rnn: torch.nn.modules.rnn.LSTM mode='LSTM' input_size=3 "
                        + "hidden_size=5 num_layers=2 bias=True batch_first=True dropout=0.0 bidirectional=False "
                        + "proj_size=0\n      weight_ih_l0  float32  [20, 3]\n",
                "    fc: torch.nn.modules.linear.Linear in_features=5 out_features=2\n      weight  float32  [2, 5]\n",
                "LSTM at prefix \"rnn.\": LSTM(3, 5, num_layers=2)",
                "the model stores batch_first=True: pass --batch-first to run");
        CliTestSupport script = CliTestSupport.run("inspect", MODELS.resolve("traced_tagger.pt").toString());
        assertThat(script.out()).contains("    encoder: __torch__.torch.nn.modules.container.", "      0: __torch__.",
                "    lstm: __torch__.torch.nn.modules.rnn.", "      weight_hr_l0_reverse  float32  [3, 6]");
    }

    @ParameterizedTest
    @CsvSource({"scripted_net.pt, true", "traced_tagger.pt, false", "whole_lstm_f16.pt, true",
        "legacy_bilstm.pt, false", "legacy_whole_net_f64.pt, true", "scripted_bf16.pt, true"})
    void runGivesPyTorchsNumbersForModelFiles(String file, boolean batchFirst, @TempDir Path dir) throws IOException {
        Map<String, Tensor> expected = Npy.readNpz(MODELS.resolve(file + ".expected.npz")).tensors();
        for (String name : new String[] {"input", "h0", "c0"}) {
            Npy.write(dir.resolve(name + ".npy"), expected.get(name));
        }
        Path out = dir.resolve("out");
        CliTestSupport r = CliTestSupport.run(batchFirst
                ? new String[] {"run", "--weights", MODELS.resolve(file).toString(), "--batch-first",
                    "--input", dir.resolve("input.npy").toString(), "--h0", dir.resolve("h0.npy").toString(),
                    "--c0", dir.resolve("c0.npy").toString(), "--out", out.toString()}
                : new String[] {"run", "--weights", MODELS.resolve(file).toString(),
                    "--input", dir.resolve("input.npy").toString(), "--h0", dir.resolve("h0.npy").toString(),
                    "--c0", dir.resolve("c0.npy").toString(), "--out", out.toString()});
        assertThat(r.status()).as(r.err()).isZero();
        for (String name : new String[] {"output", "h_n", "c_n"}) {
            float diff = Npy.read(out.resolve(name + ".npy")).maxAbsDiff(expected.get(name));
            assertThat(diff).as("%s %s", file, name).isLessThanOrEqualTo(1e-5f);
        }
    }

    /** Each would run {@code touch /tmp/lstm4j_hostile_sentinel} in a real unpickler. */
    @ParameterizedTest
    @CsvSource({"hostile_tensors_os_system.pt, os.system", "hostile_torchscript_posix_system.pt, posix.system",
        "hostile_legacy_subprocess.pt, subprocess.call"})
    void hostileFilesAreRefusedInOneLineAndNothingRuns(String file, String global, @TempDir Path dir)
            throws IOException {
        Files.deleteIfExists(SENTINEL);
        Npy.write(dir.resolve("x.npy"), Tensor.zeros(2, 1, 3));
        String path = MODELS.resolve(file).toString();
        String refusal = "lstm4j: refusing to load global '" + global + "' from " + path
                + ": it can run code or reach the system, so the file is treated as hostile and nothing from it was run";
        for (String[] args : new String[][] {{"inspect", path},
            {"run", "--weights", path, "--input", dir.resolve("x.npy").toString(), "--out", dir.resolve("o").toString()}}) {
            CliTestSupport r = CliTestSupport.run(args);
            assertThat(r.status()).isEqualTo(1);
            assertThat(r.err().strip()).startsWith(refusal).doesNotContain("\n");
            assertThat(r.out()).isEmpty();
        }
        assertThat(SENTINEL).doesNotExist();
        assertThat(dir.resolve("o")).doesNotExist();
    }

    @Test
    void inspectListsTensorsAndInfersTheLstmOfARealCheckpoint() {
        CliTestSupport r = CliTestSupport.run("inspect", CHECKPOINTS.resolve("wind_lstm_3layer.pt").toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("lstm.weight_ih_l0", "float32", "[512, 31]",
                "LSTM at prefix \"lstm.\": LSTM(31, 128, num_layers=3)");
    }

    @Test
    void inspectShowsEveryLstmOfAFileWithSeveral() {
        CliTestSupport r = CliTestSupport.run("inspect", CHECKPOINTS.resolve("wind_glstm_3stack.pth").toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("LSTM at prefix \"lstm1.\": LSTM(4, 50)", "LSTM at prefix \"lstm2.\": LSTM(50, 50)",
                "LSTM at prefix \"lstm3.\": LSTM(50, 200)", "other entries:");
    }

    @Test
    void runMatchesForwardInJavaExactly(@TempDir Path dir) throws IOException {
        LSTM lstm = LSTM.builder(5, 6).numLayers(2).bidirectional(true).projSize(3).seed(4).build();
        Path weights = dir.resolve("model.safetensors");
        SafeTensors.write(weights, lstm.stateDict());
        Tensor x = Tensor.randn(1, 7, 2, 5);
        Tensor h0 = Tensor.randn(2, 4, 2, 3);
        Tensor c0 = Tensor.randn(3, 4, 2, 6);
        Npy.write(dir.resolve("x.npy"), x);
        Npy.write(dir.resolve("h0.npy"), h0);
        Npy.write(dir.resolve("c0.npy"), c0);
        Path out = dir.resolve("out");
        CliTestSupport r = CliTestSupport.run("run", "--weights", weights.toString(), "--input", dir.resolve("x.npy").toString(),
                "--h0", dir.resolve("h0.npy").toString(), "--c0", dir.resolve("c0.npy").toString(), "--out", out.toString());
        assertThat(r.status()).as(r.err()).isZero();
        lstm.eval();
        LSTM.Output expected = lstm.forward(x, h0, c0);
        assertThat(Npy.read(out.resolve("output.npy"))).isEqualTo(expected.output());
        assertThat(Npy.read(out.resolve("h_n.npy"))).isEqualTo(expected.hN());
        assertThat(Npy.read(out.resolve("c_n.npy"))).isEqualTo(expected.cN());
    }

    /** PyTorch: nn.LSTM(...)(torch.zeros(5, 0, H_in)) gives empty output and h_n; so does run. */
    @Test
    void runOnAnEmptyBatchWritesEmptyArrays(@TempDir Path dir) throws IOException {
        Path weights = dir.resolve("model.safetensors");
        SafeTensors.write(weights, LSTM.builder(5, 6).numLayers(2).seed(1).build().stateDict());
        Npy.write(dir.resolve("x.npy"), Tensor.zeros(4, 0, 5));
        Path out = dir.resolve("out");
        CliTestSupport r = CliTestSupport.run("run", "--weights", weights.toString(),
                "--input", dir.resolve("x.npy").toString(), "--out", out.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(Npy.read(out.resolve("output.npy")).shape()).containsExactly(4, 0, 6);
        assertThat(Npy.read(out.resolve("h_n.npy")).shape()).containsExactly(2, 0, 6);
        assertThat(Npy.read(out.resolve("c_n.npy")).shape()).containsExactly(2, 0, 6);
    }

    @Test
    void runWithLengthsIsPackedAndPaddedWithZeros(@TempDir Path dir) throws IOException {
        LSTM lstm = LSTM.builder(3, 4).bidirectional(true).batchFirst(true).seed(4).build();
        Map<String, Tensor> model = new LinkedHashMap<>();
        lstm.stateDict().forEach((k, v) -> model.put("encoder.rnn." + k, v));
        model.put("fc.weight", Tensor.randn(0, 2, 8));
        Path weights = dir.resolve("model.safetensors");
        SafeTensors.write(weights, model);
        Tensor x = Tensor.randn(1, 3, 6, 3); // (N=3, L=6, H_in=3)
        Npy.write(dir.resolve("x.npy"), x);
        Npy.write(dir.resolve("lengths.npy"), new long[] {2, 6, 4}, 3);
        Path out = dir.resolve("out");
        CliTestSupport r = CliTestSupport.run("run", "--weights", weights.toString(), "--batch-first",
                "--input", dir.resolve("x.npy").toString(), "--lengths", dir.resolve("lengths.npy").toString(),
                "--out", out.toString());
        assertThat(r.status()).as(r.err()).isZero();
        LSTM.PackedOutput expected = lstm.forward(Rnn.packPaddedSequence(x, new int[] {2, 6, 4}, true, false), null, null);
        Tensor padded = Rnn.padPackedSequence(expected.output(), true, 0f, 6).padded();
        assertThat(Npy.read(out.resolve("output.npy"))).isEqualTo(padded);
        assertThat(Npy.read(out.resolve("h_n.npy"))).isEqualTo(expected.hN());
        assertThat(padded.select(0, 0).narrow(0, 2, 4)).isEqualTo(Tensor.zeros(4, 8));
    }

    @Test
    void badInputGivesOneLineAndNonZeroStatus(@TempDir Path dir) throws IOException {
        Path weights = dir.resolve("model.safetensors");
        SafeTensors.write(weights, LSTM.builder(5, 6).seed(1).build().stateDict());
        Npy.write(dir.resolve("x.npy"), Tensor.zeros(4, 2, 7));
        CliTestSupport wrongSize = CliTestSupport.run("run", "--weights", weights.toString(),
                "--input", dir.resolve("x.npy").toString(), "--out", dir.resolve("o").toString());
        assertThat(wrongSize.status()).isEqualTo(1);
        assertThat(wrongSize.err().strip()).isEqualTo("lstm4j: input.size(-1) must be equal to input_size. Expected 5, got 7");

        Files.write(dir.resolve("broken.safetensors"), new byte[] {1, 2, 3});
        CliTestSupport broken = CliTestSupport.run("inspect", dir.resolve("broken.safetensors").toString());
        assertThat(broken.status()).isEqualTo(1);
        assertThat(broken.err().strip()).startsWith("lstm4j: ").contains("broken.safetensors").doesNotContain("\n");

        CliTestSupport missing = CliTestSupport.run("inspect", dir.resolve("absent.pt").toString());
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.err().strip()).isEqualTo("lstm4j: no such file: " + dir.resolve("absent.pt"));

        CliTestSupport several = CliTestSupport.run("run", "--weights", CHECKPOINTS.resolve("wind_glstm_3stack.pth").toString(),
                "--input", dir.resolve("x.npy").toString(), "--out", dir.resolve("o").toString());
        assertThat(several.status()).isEqualTo(1);
        assertThat(several.err()).contains("found 3 LSTMs, choose one with a prefix: \"lstm1.\", \"lstm2.\", \"lstm3.\"");
    }
}
