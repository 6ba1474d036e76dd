package org.lstm4j.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.lstm4j.io.IoFixtures.resource;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.nn.GRU;
import org.lstm4j.nn.HiddenState;
import org.lstm4j.nn.InferenceSession;
import org.lstm4j.nn.RNN;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.tensor.Tensor;

/** README's GRU / RNN example on state dicts saved by PyTorch 1.13.1 (tools/fixtures/make_gru_rnn_fixtures.py). */
class ReadmeGruRnnExampleTest {

    @Test
    void runsRealGruAndRnnFiles() throws IOException {
        Path gruFile = resource("gru_rnn/gru.pt");
        Path rnnFile = resource("gru_rnn/rnn_relu.pt");
        Path unknownFile = resource("gru_rnn/model_gru.pt");
        StateDictFile expected = StateDicts.read(resource("gru_rnn/gru.pt.expected.npz"));
        Tensor x = expected.tensor("input");
        Tensor h0 = expected.tensor("h0");

        // README:gru-rnn:begin
        GRU gru = GRU.load(gruFile);                          // torch.save(nn.GRU(5, 8, 2, bidirectional=True).state_dict(), ...)
        gru.eval();
        GRU.Output out = gru.forward(x, h0);                  // output (L, N, D*H), hN (D*num_layers, N, H): no c
        RNN rnn = RNN.load(rnnFile).withNonlinearity("relu"); // a state dict does not record the nonlinearity
        RNNBase any = RNNBase.load(unknownFile);              // an LSTM, GRU or RNN: the gate count tells

        GRU streaming = GRU.builder(5, 8).numLayers(2).seed(1).build();
        streaming.eval();
        InferenceSession session = streaming.newSession(1);   // as for an LSTM; the state is h alone
        HiddenState state = streaming.zeroState(1);
        Tensor y = session.step(Tensor.randn(2, 1, 5), state); // (1, 8); state updated in place
        // README:gru-rnn:end

        assertThat(out.output().maxAbsDiff(expected.tensor("output"))).isLessThanOrEqualTo(1e-5f);
        assertThat(out.hN().maxAbsDiff(expected.tensor("h_n"))).isLessThanOrEqualTo(1e-5f);
        assertThat(rnn.mode()).isEqualTo(RNNBase.Mode.RNN_RELU);
        assertThat(any).isInstanceOf(GRU.class).hasToString("GRU(4, 6, num_layers=2)");
        assertThat(y.shape()).containsExactly(1, 8);
        assertThat(state.h().select(0, -1)).isEqualTo(y);
    }
}
