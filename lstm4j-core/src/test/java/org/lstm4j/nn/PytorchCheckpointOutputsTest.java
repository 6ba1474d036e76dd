package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lstm4j.io.IoFixtures.resource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.tensor.Tensor;

/**
 * Files written by PyTorch 1.13.1, loaded by lstm4j and run: output, h_n and c_n must equal what
 * PyTorch computed for the same input, within 1e-5.
 * <ul>
 *   <li>The three real trained checkpoints (io/checkpoints; outputs by
 *       tools/fixtures/make_checkpoint_outputs.py).
 *   <li>TorchScript archives, whole pickled models, legacy-format files, float16 / bfloat16 /
 *       float64 storages, views and checkpoint nestings (io/models, made with their outputs by
 *       tools/fixtures/make_model_fixtures.py): {@code LSTM.load} finds the LSTM inside.
 * </ul>
 */
class PytorchCheckpointOutputsTest {

    @TestFactory
    Stream<DynamicTest> everyLstmOfEveryCheckpointMatchesPytorch() throws IOException {
        Path outputs = resource("outputs");
        List<Path> cases;
        try (Stream<Path> files = Files.list(outputs)) {
            cases = files.filter(p -> p.toString().endsWith(".npz")).sorted().toList();
        }
        assertThat(cases).hasSize(5);
        return cases.stream().map(expectedFile -> DynamicTest.dynamicTest(expectedFile.getFileName().toString(), () -> {
            // <checkpoint>.<prefix>.npz, e.g. wind_glstm_3stack.pth.lstm2.npz
            String name = expectedFile.getFileName().toString();
            String stem = name.substring(0, name.length() - ".npz".length());
            String checkpoint = stem.substring(0, stem.lastIndexOf('.'));
            String prefix = stem.substring(stem.lastIndexOf('.') + 1) + ".";
            LSTM lstm = LSTM.load(resource("checkpoints/" + checkpoint), prefix).withBatchFirst(true);
            assertRunsAsInPyTorch(lstm, StateDicts.read(expectedFile), name);
        }));
    }

    @ParameterizedTest
    @CsvSource({
        "scripted_net.pt, true, 'LSTM(3, 5, num_layers=2)'",
        "traced_tagger.pt, false, 'LSTM(4, 6, bidirectional=True, proj_size=3)'",
        "scripted_bf16.pt, true, 'LSTM(3, 5, num_layers=2)'",
        "whole_net.pt, true, 'LSTM(3, 5, num_layers=2)'",
        "whole_seq2seq.pt, false, 'LSTM(4, 5, bias=False, proj_size=2)'",
        "whole_lstm_f16.pt, true, 'LSTM(3, 4)'",
        "legacy_bilstm.pt, false, 'LSTM(3, 4, num_layers=2, bidirectional=True)'",
        "legacy_whole_net_f64.pt, true, 'LSTM(3, 5, num_layers=2)'",
        "views_lstm.pt, false, 'LSTM(3, 4)'",
        "checkpoint_whole_model.pt, true, 'LSTM(3, 5, num_layers=2)'",
        "lightning_style.ckpt, true, 'LSTM(3, 5, num_layers=2)'"})
    void theLstmInsideEveryModelFileRunsAsInPyTorch(String file, boolean batchFirst, String config) throws IOException {
        LSTM loaded = LSTM.load(resource("models/" + file));
        assertThat(loaded).hasToString(config);
        assertRunsAsInPyTorch(loaded.withBatchFirst(batchFirst),
                StateDicts.read(resource("models/" + file + ".expected.npz")), file);
    }

    /** Runs {@code lstm} in eval mode on the expected file's input, h0 and c0 and compares with its output, h_n, c_n. */
    private static void assertRunsAsInPyTorch(LSTM lstm, StateDictFile expected, String name) {
        lstm.eval();
        LSTM.Output out = lstm.forward(expected.tensor("input"), expected.tensor("h0"), expected.tensor("c0"));
        float dOut = out.output().maxAbsDiff(expected.tensor("output"));
        float dH = out.hN().maxAbsDiff(expected.tensor("h_n"));
        float dC = out.cN().maxAbsDiff(expected.tensor("c_n"));
        System.out.printf("%-40s %-44s maxdiff output %.3e  h_n %.3e  c_n %.3e%n", name, lstm, dOut, dH, dC);
        assertThat(dOut).isLessThanOrEqualTo(1e-5f);
        assertThat(dH).isLessThanOrEqualTo(1e-5f);
        assertThat(dC).isLessThanOrEqualTo(1e-5f);
    }
}
