package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lstm4j.tensor.Tensor;

/**
 * The GRU and RNN modules and cells on the shared base: PyTorch's parameter names, shapes, repr and
 * argument checks (with its wording), unbatched input as a batch of one, and telling LSTM, GRU and
 * RNN state dicts apart. Numbers against libtorch are in lstm4j-parity.
 */
class GRUAndRNNTest {

    @Test
    void parametersHavePyTorchsNamesAndShapes() {
        GRU gru = GRU.builder(10, 20).numLayers(2).bidirectional(true).seed(1).build();
        assertThat(gru.stateDict().keySet()).containsExactly("weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                "bias_hh_l0", "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
                "bias_hh_l0_reverse", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
                "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse");
        assertThat(gru.stateDict().get("weight_ih_l0").shape()).containsExactly(60, 10);
        assertThat(gru.stateDict().get("weight_ih_l1").shape()).containsExactly(60, 40);
        assertThat(gru.stateDict().get("weight_hh_l1_reverse").shape()).containsExactly(60, 20);
        RNN rnn = RNN.builder(10, 20).bias(false).seed(1).build();
        assertThat(rnn.stateDict().keySet()).containsExactly("weight_ih_l0", "weight_hh_l0");
        assertThat(rnn.stateDict().get("weight_hh_l0").shape()).containsExactly(20, 20);
        // U(-1/√H, 1/√H), as PyTorch's reset_parameters
        for (Tensor t : gru.stateDict().values()) {
            for (float v : t.data()) {
                assertThat(Math.abs(v)).isLessThanOrEqualTo((float) (1 / Math.sqrt(20)));
            }
        }
    }

    @Test
    void reprIsPyTorchs() {
        assertThat(new GRU(10, 20)).hasToString("GRU(10, 20)");
        assertThat(GRU.builder(10, 20).numLayers(2).batchFirst(true).dropout(0.5).bidirectional(true).build())
                .hasToString("GRU(10, 20, num_layers=2, batch_first=True, dropout=0.5, bidirectional=True)");
        assertThat(RNN.builder(10, 20).nonlinearity("relu").bias(false).build()).hasToString("RNN(10, 20, bias=False)");
        assertThat(new GRUCell(3, 4, false, 0)).hasToString("GRUCell(3, 4, bias=False)");
        assertThat(new RNNCell(3, 4, true, "relu", 0)).hasToString("RNNCell(3, 4, nonlinearity=relu)");
        assertThat(new RNNCell(3, 4)).hasToString("RNNCell(3, 4)");
    }

    @Test
    void argumentsAreCheckedWithPyTorchsWording() {
        assertThatThrownBy(() -> GRU.builder(10, 0).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("hidden_size must be greater than zero");
        assertThatThrownBy(() -> RNN.builder(10, 20).dropout(1.5).build())
                .hasMessageStartingWith("dropout should be a number in range [0, 1]");
        assertThatThrownBy(() -> RNN.builder(10, 20).nonlinearity("sigmoid").build())
                .hasMessage("Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'.");
        assertThatThrownBy(() -> RNNBase.Config.of(RNNBase.Mode.GRU, 10, 20, 1, true, false, 0, false, 5))
                .hasMessage("proj_size argument is only supported for LSTM, not RNN or GRU");
        assertThatThrownBy(() -> RNNBase.Config.of(RNNBase.Mode.RNN_RELU, 10, 20, 1, true, false, 0, false, 5))
                .hasMessage("proj_size argument is only supported for LSTM, not RNN or GRU");
        assertThatThrownBy(() -> new RNNCell(3, 4, true, "gelu", 0)).hasMessage("Unknown nonlinearity: gelu");
    }

    @Test
    void forwardChecksShapesWithPyTorchsWording() {
        GRU gru = new GRU(10, 20, 2);
        assertThatThrownBy(() -> gru.forward(Tensor.zeros(5, 3, 12)))
                .hasMessage("input.size(-1) must be equal to input_size. Expected 10, got 12");
        assertThatThrownBy(() -> gru.forward(Tensor.zeros(5, 3, 10), Tensor.zeros(2, 4, 20)))
                .hasMessage("Expected hidden size (2, 3, 20), got [2, 4, 20]");
        assertThatThrownBy(() -> gru.forward(Tensor.zeros(1, 5, 3, 10)))
                .hasMessage("GRU: Expected input to be 2D or 3D, got 4D instead");
        assertThatThrownBy(() -> gru.forward(Tensor.zeros(5, 3, 10), Tensor.zeros(2, 20)))
                .hasMessage("For batched 3-D input, hx should also be 3-D but got 2-D tensor");
        RNN rnn = new RNN(10, 20);
        assertThatThrownBy(() -> rnn.forward(Tensor.zeros(5, 10), Tensor.zeros(1, 1, 20)))
                .hasMessage("For unbatched 2-D input, hx should also be 2-D but got 3-D tensor");
        assertThatThrownBy(() -> rnn.forward(Tensor.zeros(5, 3, 10, 1)))
                .hasMessage("RNN: Expected input to be 2D or 3D, got 4D instead");
    }

    @Test
    void unbatchedInputIsABatchOfOne() {
        for (HiddenStateRNN module : List.<HiddenStateRNN>of(GRU.builder(3, 5).numLayers(2).bidirectional(true)
                .seed(2).build(), RNN.builder(3, 5).nonlinearity("relu").seed(2).build())) {
            int rows = module.config().numDirections() * module.config().numLayers();
            Tensor x = Tensor.randn(1, 6, 3);
            Tensor h0 = Tensor.randn(2, rows, 5);
            HiddenStateRNN.Output unbatched = module.forward(x, h0);
            HiddenStateRNN.Output batched = module.forward(x.reshape(6, 1, 3), h0.reshape(rows, 1, 5));
            assertThat(unbatched.output()).isEqualTo(batched.output().reshape(unbatched.output().shape()));
            assertThat(unbatched.hN()).isEqualTo(batched.hN().reshape(rows, 5));
        }
    }

    @Test
    void anEmptyBatchGivesEmptyResultsAsInPyTorch() {
        GRU gru = GRU.builder(10, 20).numLayers(2).bidirectional(true).seed(1).build();
        HiddenStateRNN.Output out = gru.forward(Tensor.zeros(5, 0, 10));
        assertThat(out.output().shape()).containsExactly(5, 0, 40);
        assertThat(out.hN().shape()).containsExactly(4, 0, 20);
        RNN rnn = RNN.builder(10, 20).seed(1).build();
        rnn.eval();
        assertThat(rnn.newSession(0).step(Tensor.zeros(0, 10), rnn.zeroState(0)).shape()).containsExactly(0, 20);
        assertThat(new GRUCell(10, 20).forward(Tensor.zeros(0, 10)).shape()).containsExactly(0, 20);
    }

    @Test
    void cellsCheckShapesAndTreatUnbatchedInputAsABatchOfOne() {
        GRUCell gru = new GRUCell(5, 7, true, 3);
        Tensor x = Tensor.randn(1, 5);
        Tensor h = Tensor.randn(2, 7);
        assertThat(gru.forward(x, h)).isEqualTo(gru.forward(x.reshape(1, 5), h.reshape(1, 7)).reshape(7));
        assertThat(gru.forward(x)).isEqualTo(gru.forward(x, Tensor.zeros(7)));
        assertThatThrownBy(() -> gru.forward(Tensor.zeros(3, 6))).hasMessage("input has inconsistent input_size: got 6"
                + " expected 5");
        assertThatThrownBy(() -> gru.forward(Tensor.zeros(2, 3, 5))).hasMessage("GRUCell: Expected input to be 1D or"
                + " 2D, got 3D instead");
        assertThatThrownBy(() -> gru.forward(Tensor.zeros(3, 5), Tensor.zeros(4, 7))).hasMessage("Input batch size 3"
                + " doesn't match hidden0 batch size 4");
        assertThatThrownBy(() -> gru.forward(Tensor.zeros(3, 5), Tensor.zeros(3, 8))).hasMessage("hidden0 has"
                + " inconsistent hidden_size: got 8, expected 7");
        assertThatThrownBy(() -> gru.forward(Tensor.zeros(3, 5), Tensor.zeros(7))).hasMessage("GRUCell: Expected"
                + " hidden to be 2D, got 1D instead");
        RNNCell rnn = new RNNCell(5, 7, false, "relu", 3);
        for (float v : rnn.forward(Tensor.randn(4, 3, 5)).data()) {
            assertThat(v).isGreaterThanOrEqualTo(0f);
        }
    }

    @Test
    void loadingTellsLstmGruAndRnnApart() {
        GRU gru = GRU.builder(4, 6).numLayers(2).seed(1).build();
        RNN rnn = RNN.builder(4, 6).bidirectional(true).seed(2).build();
        LSTM lstm = LSTM.builder(4, 6).seed(3).build();
        assertThat(GRU.fromStateDict(gru.stateDict()).stateDict()).isEqualTo(gru.stateDict());
        assertThat(GRU.fromStateDict(gru.stateDict()).config()).isEqualTo(gru.config());
        assertThat(RNN.fromStateDict(rnn.stateDict()).config()).isEqualTo(rnn.config());
        assertThat(RNNBase.fromStateDict(gru.stateDict())).isInstanceOf(GRU.class);
        assertThat(RNNBase.fromStateDict(rnn.stateDict())).isInstanceOf(RNN.class);
        assertThat(RNNBase.fromStateDict(lstm.stateDict())).isInstanceOf(LSTM.class);
        assertThatThrownBy(() -> LSTM.fromStateDict(gru.stateDict())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no LSTM found: this is a GRU, not an LSTM (weight_hh_l0 has shape [18, 6]:"
                        + " 3*hidden_size rows): use GRU.load");
        assertThatThrownBy(() -> GRU.fromStateDict(lstm.stateDict(), ""))
                .hasMessage("this is an LSTM, not a GRU (weight_hh_l0 has shape [24, 6]: 4*hidden_size rows):"
                        + " use LSTM.load");
        assertThatThrownBy(() -> GRU.fromStateDict(rnn.stateDict()))
                .hasMessageContaining("this is an RNN, not a GRU").hasMessageContaining("use RNN.load");

        // A model holding all three: each class finds its own.
        Map<String, Tensor> model = new LinkedHashMap<>();
        gru.stateDict().forEach((k, v) -> model.put("encoder." + k, v));
        lstm.stateDict().forEach((k, v) -> model.put("decoder." + k, v));
        rnn.stateDict().forEach((k, v) -> model.put("head." + k, v));
        assertThat(GRU.fromStateDict(model).stateDict()).isEqualTo(gru.stateDict());
        assertThat(LSTM.fromStateDict(model).stateDict()).isEqualTo(lstm.stateDict());
        assertThat(RNN.fromStateDict(model).stateDict()).isEqualTo(rnn.stateDict());
        assertThat(RNNBase.prefixes(model)).containsExactly("decoder.", "encoder.", "head.");
        assertThat(GRU.gruPrefixes(model)).containsExactly("encoder.");
        assertThatThrownBy(() -> RNNBase.fromStateDict(model))
                .hasMessage("found 3 recurrent modules, choose one with a prefix: \"decoder.\", \"encoder.\", \"head.\"");
    }

    @Test
    void anAmbiguousStateDictNamesTheCandidates() {
        // 12 rows: an LSTM with hidden 3, a GRU with 4 or an RNN with 12; without weight_hh_l0 nothing tells.
        Map<String, Tensor> onlyInput = Map.of("weight_ih_l0", Tensor.zeros(12, 5));
        assertThatThrownBy(() -> RNNBase.fromStateDict(onlyInput)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot tell whether this is an LSTM, a GRU or an RNN: weight_hh_l0 is missing; from"
                        + " weight_ih_l0 [12, 5] alone it could be an LSTM with hidden_size=3, or a GRU with"
                        + " hidden_size=4, or an RNN with hidden_size=12");
        Map<String, Tensor> twoGates = Map.of("weight_ih_l0", Tensor.zeros(12, 5), "weight_hh_l0", Tensor.zeros(12, 6));
        assertThatThrownBy(() -> RNNBase.fromStateDict(twoGates))
                .hasMessageStartingWith("cannot tell whether this is an LSTM, a GRU or an RNN: weight_hh_l0 has shape"
                        + " [12, 6], not (4*hidden_size, hidden_size)");
    }

    @Test
    void copiesKeepWeightsAndChangeOnlyWhatAStateDictDoesNotRecord() {
        RNN rnn = RNN.builder(3, 4).seed(4).build();
        rnn.eval();
        RNN relu = rnn.withNonlinearity("relu").withBatchFirst(true);
        assertThat(relu.nonlinearity()).isEqualTo("relu");
        assertThat(relu.config().batchFirst()).isTrue();
        assertThat(relu.mode()).isEqualTo(RNNBase.Mode.RNN_RELU);
        assertThat(relu.stateDict()).isEqualTo(rnn.stateDict());
        assertThat(relu.isTraining()).isFalse();
        GRU gru = GRU.builder(3, 4).seed(4).build().withBatchFirst(true);
        assertThat(gru.config().batchFirst()).isTrue();
        // The fingerprint names what the module computes: batch_first is not part of it, the nonlinearity is.
        assertThat(rnn.withBatchFirst(true).fingerprint()).isEqualTo(rnn.fingerprint());
        assertThat(relu.fingerprint()).isNotEqualTo(rnn.fingerprint());
    }
}
