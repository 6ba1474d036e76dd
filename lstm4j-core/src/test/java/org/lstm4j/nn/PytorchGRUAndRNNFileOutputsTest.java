package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.lstm4j.io.IoFixtures.resource;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.nn.utils.Rnn;
import org.lstm4j.tensor.Tensor;

/**
 * GRU and RNN (tanh, relu) state dicts written by {@code torch.save} from real PyTorch 1.13.1
 * modules (io/gru_rnn, made by tools/fixtures/make_gru_rnn_fixtures.py): {@code GRU.load} /
 * {@code RNN.load} (and {@code RNNBase.load}, which tells the kind) give the module, and its
 * output and h_n equal what PyTorch computed for the same input, within 1e-5 — padded, packed
 * (lengths) and inside a whole model's state dict.
 */
class PytorchGRUAndRNNFileOutputsTest {

    @ParameterizedTest
    @CsvSource({
        "gru.pt, false, tanh, 'GRU(5, 8, num_layers=2, bidirectional=True)'",
        "gru_batch_first_packed.pt, true, tanh, 'GRU(4, 6)'",
        "model_gru.pt, true, tanh, 'GRU(4, 6, num_layers=2)'",
        "rnn_tanh.pt, false, tanh, 'RNN(4, 6, num_layers=2)'",
        "rnn_relu.pt, false, relu, 'RNN(4, 6, bias=False, bidirectional=True)'"})
    void theModuleRunsAsInPyTorch(String file, boolean batchFirst, String nonlinearity, String repr)
            throws IOException {
        Path path = resource("gru_rnn/" + file);
        RNNBase loaded = RNNBase.load(path);
        assertThat(loaded).hasToString(repr);
        HiddenStateRNN module;
        if (file.startsWith("gru") || file.startsWith("model_gru")) {
            assertThat(loaded).isInstanceOf(GRU.class);
            module = GRU.load(path).withBatchFirst(batchFirst);
        } else {
            assertThat(loaded).isInstanceOf(RNN.class);
            module = RNN.load(path).withNonlinearity(nonlinearity).withBatchFirst(batchFirst);
        }
        module.eval();
        StateDictFile expected = StateDicts.read(resource("gru_rnn/" + file + ".expected.npz"));
        Tensor input = expected.tensor("input");
        Tensor output;
        Tensor hN;
        if (expected.tensors().containsKey("lengths")) {
            int[] lengths = new int[expected.tensor("lengths").numel()];
            for (int i = 0; i < lengths.length; i++) {
                lengths[i] = (int) expected.tensor("lengths").get(i);
            }
            HiddenStateRNN.PackedOutput out = module.forward(Rnn.packPaddedSequence(input, lengths, batchFirst, false),
                    expected.tensor("h0"));
            output = Rnn.padPackedSequence(out.output(), batchFirst, 0f, input.size(batchFirst ? 1 : 0)).padded();
            hN = out.hN();
        } else {
            HiddenStateRNN.Output out = module.forward(input, expected.tensor("h0"));
            output = out.output();
            hN = out.hN();
        }
        float dOut = output.maxAbsDiff(expected.tensor("output"));
        float dH = hN.maxAbsDiff(expected.tensor("h_n"));
        System.out.printf("%-28s %-44s maxdiff output %.3e  h_n %.3e%n", file, module, dOut, dH);
        assertThat(dOut).isLessThanOrEqualTo(1e-5f);
        assertThat(dH).isLessThanOrEqualTo(1e-5f);
    }

    /** The first complaint: a GRU file given to LSTM.load says what it is. */
    @Test
    void lstmLoadOfAGruFileSaysItIsAGru() {
        assertThatThrownBy(() -> LSTM.load(resource("gru_rnn/gru.pt"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no LSTM found: this is a GRU, not an LSTM (weight_hh_l0 has shape [24, 8]: 3*hidden_size"
                        + " rows): use GRU.load");
        assertThatThrownBy(() -> GRU.load(resource("gru_rnn/rnn_relu.pt")))
                .hasMessage("no GRU found: this is an RNN, not a GRU (weight_hh_l0 has shape [6, 6]: hidden_size rows):"
                        + " use RNN.load");
    }
}
