package org.lstm4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lstm4j.io.Npy;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Tensor;

/**
 * README's "serve a PyTorch-trained LSTM" example on a real torch.save checkpoint, against what
 * PyTorch 1.13.1 computed for the same input from zero initial states (the example passes none):
 * fixture written by tools/fixtures/make_checkpoint_outputs.py.
 */
class ReadmeServeExampleTest {

    @Test
    void servesARealCheckpoint(@TempDir Path dir) throws IOException, URISyntaxException {
        Path modelFile = dir.resolve("model.pt");
        Files.copy(Path.of(getClass().getResource("/io/checkpoints/wind_lstm_3layer.pt").toURI()), modelFile);
        Path expectedFile = Path.of(getClass().getResource("/io/outputs/wind_lstm_3layer.pt.lstm.npz").toURI());
        StateDictFile pytorch = StateDicts.read(expectedFile);
        Tensor input = pytorch.tensor("input");
        Path inputFile = dir.resolve("x.npy");
        Npy.write(inputFile, input);

        // README:serve:begin
        LSTM lstm = LSTM.load(modelFile).withBatchFirst(true);   // finds the keys under "lstm." (or wherever)
        lstm.eval();
        Tensor x = Npy.read(inputFile);                          // (N, L, H_in) float32 from np.save
        LSTM.Output out = lstm.forward(x);                       // output (N, L, D*H_out), hN, cN
        Tensor features = out.hN().select(0, -1);                // h_n[-1]: (N, H_out) for your head
        // README:serve:end

        assertThat(lstm.config()).isEqualTo(new LSTM.Config(31, 128, 3, true, true, 0.0, false, 0));
        assertThat(features.shape()).containsExactly(3, 128);
        float dOut = out.output().maxAbsDiff(pytorch.tensor("output_zero_state"));
        float dH = out.hN().maxAbsDiff(pytorch.tensor("h_n_zero_state"));
        float dC = out.cN().maxAbsDiff(pytorch.tensor("c_n_zero_state"));
        System.out.printf("README serve example vs PyTorch: maxdiff output %.3e  h_n %.3e  c_n %.3e%n", dOut, dH, dC);
        assertThat(dOut).isLessThanOrEqualTo(1e-5f);
        assertThat(dH).isLessThanOrEqualTo(1e-5f);
        assertThat(dC).isLessThanOrEqualTo(1e-5f);
    }
}
