package org.lstm4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.tensor.Tensor;

/** README's ONNX example on a model exported by torch.onnx.export (PyTorch 1.13), and back. */
class ReadmeOnnxExampleTest {

    @Test
    void loadsATorchExportAndWritesItBack(@TempDir Path dir) throws IOException, URISyntaxException {
        Path onnxFile = dir.resolve("tagger.onnx");
        Files.copy(Path.of(getClass().getResource("/io/onnx/torch/tagger_head_opset17.onnx").toURI()), onnxFile);
        StateDictFile expected = StateDicts.read(Path.of(
                getClass().getResource("/io/onnx/torch/tagger_head_opset17.expected.npz").toURI()));
        Tensor x = expected.tensor("input");
        Path exportFile = dir.resolve("lstm.onnx");

        // README:onnx:begin
        LSTM lstm = LSTM.load(onnxFile).withBatchFirst(true);   // the LSTM nodes of torch.onnx.export's graph
        lstm.eval();
        LSTM.Output out = lstm.forward(x);                       // (N, L, H_in) in, PyTorch's numbers out
        lstm.toOnnx(exportFile, 17);                             // one LSTM node per layer, ready for ONNX Runtime
        // README:onnx:end

        assertThat(out.output().maxAbsDiff(expected.tensor("output"))).isLessThanOrEqualTo(1e-5f);
        assertThat(LSTM.load(exportFile).stateDict()).isEqualTo(lstm.stateDict());
    }

    @Test
    void loadsADirectionReverseNode(@TempDir Path dir) throws IOException {
        Path reverseFile = dir.resolve("reverse.onnx");
        LSTM.builder(10, 20).direction(RNNBase.Direction.REVERSE).seed(1).build().toOnnx(reverseFile, 17);
        Tensor x = Tensor.randn(2, 7, 3, 10);

        // README:onnx-reverse:begin
        LSTM rev = LSTM.load(reverseFile);                       // an LSTM node with direction="reverse"
        System.out.println(rev);                                 // LSTM(10, 20, direction="reverse")
        LSTM.Output y = rev.forward(x);                          // each layer runs t = L-1 down to 0
        Tensor last = y.output().select(0, 0);                   // output[0] == h_n[-1]: it ends at t = 0
        // README:onnx-reverse:end

        assertThat(rev.config().direction()).isEqualTo(RNNBase.Direction.REVERSE);
        assertThat(rev.toString()).isEqualTo("LSTM(10, 20, direction=\"reverse\")");
        assertThat(last).isEqualTo(y.hN().select(0, -1));
    }
}
