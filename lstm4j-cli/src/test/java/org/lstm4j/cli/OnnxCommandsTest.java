package org.lstm4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lstm4j.io.Npy;
import org.lstm4j.io.Onnx;
import org.lstm4j.io.RecurrentStack;
import org.lstm4j.io.SafeTensors;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.nn.GRU;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.tensor.Tensor;

/** {@code inspect}, {@code run} and {@code export} with ONNX files. */
class OnnxCommandsTest {

    private static final Path TORCH_ONNX = Path.of("..", "lstm4j-core", "src", "test", "resources", "io", "onnx", "torch");

    @Test
    void inspectListsTheLstmOfATorchExportAndItsHead() {
        CliTestSupport r = CliTestSupport.run("inspect", TORCH_ONNX.resolve("tagger_head_opset17.onnx").toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("ONNX, 12 tensors", "encoder.weight_ih_l0", "[28, 5]", "head.weight",
                "onnx.producer = pytorch 1.13.0", "encoder.onnx_nodes = [/encoder/LSTM, /encoder/LSTM_1]",
                "LSTM at prefix \"encoder.\": LSTM(5, 7, num_layers=2)");
    }

    @Test
    void runOnATorchExportGivesPytorchsNumbers(@TempDir Path dir) throws IOException {
        StateDictFile expected = StateDicts.read(TORCH_ONNX.resolve("tagger_head_opset17.expected.npz"));
        Npy.write(dir.resolve("x.npy"), expected.tensor("input"));
        CliTestSupport r = CliTestSupport.run("run", "--weights", TORCH_ONNX.resolve("tagger_head_opset17.onnx").toString(),
                "--batch-first", "--input", dir.resolve("x.npy").toString(), "--out", dir.resolve("out").toString());
        assertThat(r.status()).as(r.err()).isZero();
        for (String name : new String[] {"output", "h_n", "c_n"}) {
            float diff = Npy.read(dir.resolve("out").resolve(name + ".npy")).maxAbsDiff(expected.tensor(name));
            assertThat(diff).as(name).isLessThanOrEqualTo(1e-5f);
        }
    }

    @Test
    void exportWritesAFileThatReadsBackAsTheSameLstm(@TempDir Path dir) throws IOException {
        LSTM lstm = LSTM.builder(3, 4).numLayers(2).bidirectional(true).seed(3).build();
        Map<String, Tensor> model = new java.util.LinkedHashMap<>();
        lstm.stateDict().forEach((k, v) -> model.put("encoder.rnn." + k, v));
        model.put("fc.weight", Tensor.randn(0, 2, 8));
        SafeTensors.write(dir.resolve("model.safetensors"), model);
        Path out = dir.resolve("model.onnx");
        CliTestSupport r = CliTestSupport.run("export", "--weights", dir.resolve("model.safetensors").toString(),
                "--out", out.toString(), "--opset", "13", "--batch-first", "--initial-state");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out().strip()).isEqualTo("LSTM(3, 4, num_layers=2, bidirectional=True) -> " + out
                + " (opset 13, input (N, L, 3), h0, c0, outputs output, h_n, c_n)");
        Map<String, RecurrentStack> back = Onnx.readRecurrent(out);
        assertThat(back.keySet()).containsExactly("encoder.rnn.");
        assertThat(LSTM.load(out).stateDict()).isEqualTo(lstm.stateDict());
    }

    @Test
    void exportWritesAGruAndAnRnnKeepsItsRelu(@TempDir Path dir) throws IOException {
        GRU gru = GRU.builder(3, 4).bidirectional(true).seed(5).build();
        SafeTensors.write(dir.resolve("gru.safetensors"), gru.stateDict());
        CliTestSupport r = CliTestSupport.run("export", "--weights", dir.resolve("gru.safetensors").toString(),
                "--out", dir.resolve("gru.onnx").toString(), "--initial-state");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out().strip()).isEqualTo("GRU(3, 4, bidirectional=True) -> " + dir.resolve("gru.onnx")
                + " (opset 17, input (L, N, 3), h0, outputs output, h_n)");
        assertThat(RNNBase.load(dir.resolve("gru.onnx")).stateDict()).isEqualTo(gru.stateDict());

        CliTestSupport relu = CliTestSupport.run("export", "--weights",
                TORCH_ONNX.resolve("rnn_relu_opset11.onnx").toString(), "--out", dir.resolve("rnn.onnx").toString());
        assertThat(relu.status()).as(relu.err()).isZero();
        assertThat(RNNBase.load(dir.resolve("rnn.onnx")).mode()).isEqualTo(RNNBase.Mode.RNN_RELU);
    }

    @Test
    void inspectAndRunReadADirectionReverseFile(@TempDir Path dir) throws IOException {
        LSTM lstm = LSTM.builder(3, 4).numLayers(2).direction(RNNBase.Direction.REVERSE).seed(9).build();
        lstm.eval();
        Path file = dir.resolve("reverse.onnx");
        lstm.toOnnx(file, Onnx.ExportOptions.opset(17).withScope("encoder"));
        CliTestSupport inspect = CliTestSupport.run("inspect", file.toString());
        assertThat(inspect.status()).as(inspect.err()).isZero();
        assertThat(inspect.out()).contains("encoder.weight_ih_l0_reverse", "encoder.mode = LSTM",
                "LSTM at prefix \"encoder.\": LSTM(3, 4, num_layers=2, direction=\"reverse\")",
                "num_layers=2 bias=true direction=REVERSE proj_size=0", "runs backward in time only");

        Tensor x = Tensor.randn(10, 5, 3, 3);
        Npy.write(dir.resolve("x.npy"), x);
        Npy.write(dir.resolve("lengths.npy"), Tensor.of(new float[] {5, 2, 4}, 3));
        CliTestSupport run = CliTestSupport.run("run", "--weights", file.toString(), "--input",
                dir.resolve("x.npy").toString(), "--lengths", dir.resolve("lengths.npy").toString(), "--out",
                dir.resolve("out").toString());
        assertThat(run.status()).as(run.err()).isZero();
        LSTM.PackedOutput expected = lstm.forward(org.lstm4j.nn.utils.Rnn.packPaddedSequence(x, new int[] {5, 2, 4},
                false, false), null, null);
        Tensor output = org.lstm4j.nn.utils.Rnn.padPackedSequence(expected.output(), false, 0f, null).padded();
        assertThat(Npy.read(dir.resolve("out").resolve("output.npy"))).isEqualTo(output);
        assertThat(Npy.read(dir.resolve("out").resolve("h_n.npy"))).isEqualTo(expected.hN());
        assertThat(Npy.read(dir.resolve("out").resolve("c_n.npy"))).isEqualTo(expected.cN());
    }

    @Test
    void whatCannotBeExportedOrReadIsOneLine(@TempDir Path dir) throws IOException {
        SafeTensors.write(dir.resolve("proj.safetensors"), LSTM.builder(3, 4).projSize(2).seed(1).build().stateDict());
        CliTestSupport proj = CliTestSupport.run("export", "--weights", dir.resolve("proj.safetensors").toString(),
                "--out", dir.resolve("p.onnx").toString());
        assertThat(proj.status()).isEqualTo(1);
        assertThat(proj.err().strip()).isEqualTo("lstm4j: cannot export an LSTM with proj_size=2 to ONNX: ONNX's LSTM has"
                + " no projection (torch.onnx.export refuses LSTMs with projections too)");

        CliTestSupport opset = CliTestSupport.run("export", "--weights", dir.resolve("proj.safetensors").toString(),
                "--out", dir.resolve("p.onnx").toString(), "--opset", "5");
        assertThat(opset.err().strip()).isEqualTo("lstm4j: opset must be between 7 and 22, got 5");

        byte[] truncated = Files.readAllBytes(TORCH_ONNX.resolve("lstm_1layer_opset9.onnx"));
        Files.write(dir.resolve("cut.onnx"), java.util.Arrays.copyOf(truncated, truncated.length / 2));
        CliTestSupport cut = CliTestSupport.run("inspect", dir.resolve("cut.onnx").toString());
        assertThat(cut.status()).isEqualTo(1);
        assertThat(cut.err().strip()).startsWith("lstm4j: " + dir.resolve("cut.onnx") + ": ").doesNotContain("\n");

        CliTestSupport unfolded = CliTestSupport.run("inspect", TORCH_ONNX.resolve("lstm_unfolded_opset13.onnx").toString());
        assertThat(unfolded.status()).isEqualTo(1);
        assertThat(unfolded.err()).contains("do_constant_folding=True").doesNotContain("\tat ");
    }
}
