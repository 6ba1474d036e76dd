package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;

/**
 * TorchScript archives, whole pickled models, legacy-format files, float16 / bfloat16 / float64
 * storages, views and checkpoint nestings written by PyTorch 1.13.1 (io/models, made by
 * tools/fixtures/make_model_fixtures.py): {@code LSTM.load} finds the LSTM inside, and its output,
 * h_n and c_n equal what PyTorch computed from the same file for the same input, within 1e-5.
 */
class PytorchModelFileOutputsTest {

    private static Path resource(String path) {
        try {
            return Path.of(PytorchModelFileOutputsTest.class.getResource(path).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
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
    void theLstmInsideRunsAsInPyTorch(String file, boolean batchFirst, String config) throws IOException {
        LSTM loaded = LSTM.load(resource("/io/models/" + file));
        assertThat(loaded).hasToString(config);
        LSTM lstm = loaded.withBatchFirst(batchFirst);
        lstm.eval();
        StateDictFile expected = StateDicts.read(resource("/io/models/" + file + ".expected.npz"));
        LSTM.Output out = lstm.forward(expected.tensor("input"), expected.tensor("h0"), expected.tensor("c0"));
        float dOut = out.output().maxAbsDiff(expected.tensor("output"));
        float dH = out.hN().maxAbsDiff(expected.tensor("h_n"));
        float dC = out.cN().maxAbsDiff(expected.tensor("c_n"));
        System.out.printf("%-28s %-48s maxdiff output %.3e  h_n %.3e  c_n %.3e%n", file, lstm, dOut, dH, dC);
        assertThat(dOut).isLessThanOrEqualTo(1e-5f);
        assertThat(dH).isLessThanOrEqualTo(1e-5f);
        assertThat(dC).isLessThanOrEqualTo(1e-5f);
    }
}
