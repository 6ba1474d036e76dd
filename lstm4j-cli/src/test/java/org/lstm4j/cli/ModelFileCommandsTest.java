package org.lstm4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lstm4j.io.Npy;
import org.lstm4j.io.SafeTensors;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.utils.Rnn;
import org.lstm4j.tensor.Tensor;

class ModelFileCommandsTest {

    private static final Path CHECKPOINTS = Path.of("..", "lstm4j-core", "src", "test", "resources", "io", "checkpoints");

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
