package org.lstm4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lstm4j.io.Npy;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.tensor.Tensor;

/**
 * inspect, run and shapes on GRU and RNN files: the kind comes from the weights, run writes
 * output.npy and h_n.npy (no c_n.npy) equal to PyTorch 1.13.1's numbers within 1e-5 (fixtures of
 * tools/fixtures/make_gru_rnn_fixtures.py), and what only an LSTM has is refused in one line.
 */
class GRUAndRNNCommandsTest {

    private static final Path FILES = Path.of("..", "lstm4j-core", "src", "test", "resources", "io", "gru_rnn");

    @Test
    void inspectTellsTheKind() {
        CliTestSupport gru = CliTestSupport.run("inspect", FILES.resolve("gru.pt").toString());
        assertThat(gru.status()).as(gru.err()).isZero();
        assertThat(gru.out()).contains("GRU at prefix \"\": GRU(5, 8, num_layers=2, bidirectional=True)",
                "  input_size=5 hidden_size=8 num_layers=2 bias=true bidirectional=true\n");
        CliTestSupport relu = CliTestSupport.run("inspect", FILES.resolve("rnn_relu.pt").toString());
        assertThat(relu.out()).contains("RNN at prefix \"\": RNN(4, 6, bias=False, bidirectional=True)",
                "the nonlinearity is not stored in a state dict: tanh unless you pass --nonlinearity relu");
        CliTestSupport model = CliTestSupport.run("inspect", FILES.resolve("model_gru.pt").toString());
        assertThat(model.out()).contains("GRU at prefix \"encoder.\": GRU(4, 6, num_layers=2)");
    }

    @ParameterizedTest
    @CsvSource({
        "gru.pt, ''",
        "rnn_tanh.pt, ''",
        "rnn_relu.pt, --nonlinearity=relu",
        "gru_batch_first_packed.pt, --batch-first",
        "model_gru.pt, --batch-first"})
    void runWritesOutputAndHnAsPyTorchComputedThem(String file, String option, @TempDir Path dir) throws IOException {
        StateDictFile expected = StateDicts.read(FILES.resolve(file + ".expected.npz"));
        Npy.write(dir.resolve("x.npy"), expected.tensor("input"));
        Npy.write(dir.resolve("h0.npy"), expected.tensor("h0"));
        Path out = dir.resolve("out");
        List<String> args = new ArrayList<>(List.of("run", "--weights", FILES.resolve(file).toString(), "--input",
                dir.resolve("x.npy").toString(), "--h0", dir.resolve("h0.npy").toString(), "--out", out.toString()));
        if (!option.isEmpty()) {
            args.add(option);
        }
        if (expected.tensors().containsKey("lengths")) {
            Npy.write(dir.resolve("lengths.npy"), expected.tensor("lengths"));
            args.addAll(List.of("--lengths", dir.resolve("lengths.npy").toString()));
        }
        CliTestSupport r = CliTestSupport.run(args.toArray(new String[0]));
        assertThat(r.status()).as(r.err()).isZero();
        Tensor output = Npy.read(out.resolve("output.npy"));
        Tensor hN = Npy.read(out.resolve("h_n.npy"));
        assertThat(output.shape()).isEqualTo(expected.tensor("output").shape());
        assertThat(output.maxAbsDiff(expected.tensor("output"))).isLessThanOrEqualTo(1e-5f);
        assertThat(hN.maxAbsDiff(expected.tensor("h_n"))).isLessThanOrEqualTo(1e-5f);
        assertThat(Files.exists(out.resolve("c_n.npy"))).as("a GRU or RNN has no c_n").isFalse();
        assertThat(r.out()).doesNotContain("c_n");
    }

    @Test
    void whatOnlyAnLstmHasIsRefusedInOneLine(@TempDir Path dir) throws IOException {
        StateDictFile expected = StateDicts.read(FILES.resolve("gru.pt.expected.npz"));
        Npy.write(dir.resolve("x.npy"), expected.tensor("input"));
        Npy.write(dir.resolve("h0.npy"), expected.tensor("h0"));
        CliTestSupport c0 = CliTestSupport.run("run", "--weights", FILES.resolve("gru.pt").toString(), "--input",
                dir.resolve("x.npy").toString(), "--h0", dir.resolve("h0.npy").toString(), "--c0",
                dir.resolve("h0.npy").toString(), "--out", dir.resolve("o").toString());
        assertThat(c0.status()).isNotZero();
        assertThat(c0.err()).contains("--c0 is an LSTM's cell state; " + FILES.resolve("gru.pt")
                + " holds a GRU, whose state is h alone");
        CliTestSupport relu = CliTestSupport.run("run", "--weights", FILES.resolve("gru.pt").toString(), "--input",
                dir.resolve("x.npy").toString(), "--nonlinearity", "relu", "--out", dir.resolve("o").toString());
        assertThat(relu.err()).contains("--nonlinearity is an RNN's; " + FILES.resolve("gru.pt") + " holds a GRU");
        CliTestSupport proj = CliTestSupport.run("shapes", "--mode", "gru", "--input-size", "10", "--hidden-size", "20",
                "--proj-size", "5");
        assertThat(proj.status()).isEqualTo(1);
        assertThat(proj.err().strip()).isEqualTo("lstm4j: proj_size argument is only supported for LSTM, not RNN or GRU");
    }

    @Test
    void shapesOfAGruAndAnRnn() {
        CliTestSupport gru = CliTestSupport.run("shapes", "--mode", "gru", "--input-size", "10", "--hidden-size", "20",
                "--num-layers", "2", "--bidirectional", "--seq-len", "5", "--batch", "3");
        assertThat(gru.status()).as(gru.err()).isZero();
        assertThat(gru.out()).contains("GRU(10, 20, num_layers=2, bidirectional=True)", "h_0     (4, 3, 20)",
                "output  (5, 3, 40)", "h_n     (4, 3, 20)", "3 gates of H_cell rows each", "weight_ih_l0           (60, 10)",
                "weight_ih_l1_reverse   (60, 40)", "[ok] output[-1][..., :20] == h_n[-2]",
                "[ok] output[0][..., 20:] == h_n[-1]").doesNotContain("c_0", "c_n");
        CliTestSupport rnn = CliTestSupport.run("shapes", "--mode", "RNN_RELU", "--input-size", "10", "--hidden-size",
                "20", "--batch", "0");
        assertThat(rnn.out()).contains("RNN(10, 20) (nonlinearity='relu')", "input   (5, 10)", "h_n     (1, 20)",
                "1 gate of H_cell rows each", "weight_hh_l0           (20, 20)", "[ok] output[-1] == h_n[-1]");
        CliTestSupport bad = CliTestSupport.run("shapes", "--mode", "lstmish", "--input-size", "10", "--hidden-size",
                "20");
        assertThat(bad.err()).contains("--mode must be lstm, gru, rnn_tanh or rnn_relu, got 'lstmish'");
    }
}
