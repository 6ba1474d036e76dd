package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lstm4j.io.IoFixtures.resource;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;

/**
 * Models exported by real PyTorch 1.13 with torch.onnx.export, loaded by {@link LSTM#load} or
 * {@link RNNBase#load} and run: output, h_n (and c_n) equal what PyTorch computed with the
 * exporting module, an RNN's Relu included (fixtures
 * written by tools/fixtures/make_onnx_fixtures.py). batch_first is not in the file; it is said
 * here as a user says it ({@code withBatchFirst}, {@code bin/lstm4j run --batch-first}).
 */
class PytorchOnnxOutputsTest {

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "lstm_1layer_opset9, '', false",
        "lstm_2layer_bidirectional_opset13, '', false",
        "lstm_no_bias_opset11, '', false",
        "lstm_batch_first_opset14, '', true",
        "lstm_3layer_state_opset12, '', false",
        "lstm_bidirectional_no_bias_batch_first_opset10, '', true",
        "lstm_bidirectional_state_opset16, '', false",
        "lstm_static_shapes_opset17, '', false",
        "tagger_head_opset17, '', true",
        "two_lstms_opset15, words., false",
        "two_lstms_opset15, chars., false",
    })
    void loadedLstmComputesWhatPytorchComputed(String name, String prefix, boolean batchFirst) throws IOException {
        Path model = resource("onnx/torch/" + name + ".onnx");
        LSTM lstm = (prefix.isEmpty() ? LSTM.load(model) : LSTM.load(model, prefix)).withBatchFirst(batchFirst);
        lstm.eval();
        StateDictFile expected = StateDicts.read(resource("onnx/torch/" + name + ".expected.npz"));
        String key = prefix.isEmpty() ? "" : prefix;
        boolean withState = expected.tensors().containsKey("h0");
        LSTM.Output out = lstm.forward(expected.tensor(key + "input"), withState ? expected.tensor("h0") : null,
                withState ? expected.tensor("c0") : null);
        float dOut = out.output().maxAbsDiff(expected.tensor(key + "output"));
        float dH = out.hN().maxAbsDiff(expected.tensor(key + "h_n"));
        float dC = out.cN().maxAbsDiff(expected.tensor(key + "c_n"));
        System.out.printf("%-50s %-8s %-52s maxdiff output %.3e  h_n %.3e  c_n %.3e%n", name, prefix, lstm, dOut, dH, dC);
        assertThat(dOut).isLessThanOrEqualTo(1e-5f);
        assertThat(dH).isLessThanOrEqualTo(1e-5f);
        assertThat(dC).isLessThanOrEqualTo(1e-5f);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "gru_2layer_opset13, false, GRU",
        "gru_bidirectional_batch_first_state_opset17, true, GRU",
        "rnn_relu_opset11, false, RNN_RELU",
        "rnn_tanh_bidirectional_opset15, false, RNN_TANH",
    })
    void loadedGruOrRnnComputesWhatPytorchComputed(String name, boolean batchFirst, RNNBase.Mode mode)
            throws IOException {
        RNNBase loaded = RNNBase.load(resource("onnx/torch/" + name + ".onnx"));
        HiddenStateRNN module = loaded instanceof GRU gru ? gru.withBatchFirst(batchFirst)
                : ((RNN) loaded).withBatchFirst(batchFirst);
        module.eval();
        assertThat(module.mode()).isEqualTo(mode); // an RNN's Relu comes from the ONNX node, not from a default
        StateDictFile expected = StateDicts.read(resource("onnx/torch/" + name + ".expected.npz"));
        HiddenStateRNN.Output out = module.forward(expected.tensor("input"),
                expected.tensors().containsKey("h0") ? expected.tensor("h0") : null);
        float dOut = out.output().maxAbsDiff(expected.tensor("output"));
        float dH = out.hN().maxAbsDiff(expected.tensor("h_n"));
        System.out.printf("%-50s %-52s maxdiff output %.3e  h_n %.3e%n", name, module, dOut, dH);
        assertThat(dOut).isLessThanOrEqualTo(1e-5f);
        assertThat(dH).isLessThanOrEqualTo(1e-5f);
    }

}
