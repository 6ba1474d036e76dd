package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lstm4j.tensor.Tensor;

/** Shapes, names, validation and the output identities, without a reference implementation. */
class LSTMTest {

    @Test
    void pytorchDocstringExampleHasPytorchShapes() {
        LSTM rnn = LSTM.builder(10, 20).numLayers(2).seed(0).build();
        Tensor input = Tensor.randn(1, 5, 3, 10);
        Tensor h0 = Tensor.randn(2, 2, 3, 20);
        Tensor c0 = Tensor.randn(3, 2, 3, 20);
        LSTM.Output out = rnn.forward(input, h0, c0);
        assertThat(out.output().shape()).containsExactly(5, 3, 20);
        assertThat(out.hN().shape()).containsExactly(2, 3, 20);
        assertThat(out.cN().shape()).containsExactly(2, 3, 20);
    }

    @Test
    void parameterNamesAndShapesFollowPytorchOrder() {
        LSTM rnn = LSTM.builder(10, 20).numLayers(2).bidirectional(true).projSize(5).seed(0).build();
        Map<String, Tensor> sd = rnn.stateDict();
        assertThat(sd.keySet()).containsExactly(
                "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0",
                "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
                "weight_hr_l0_reverse",
                "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_hr_l1",
                "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
                "weight_hr_l1_reverse");
        assertThat(sd.get("weight_ih_l0").shape()).containsExactly(80, 10);
        assertThat(sd.get("weight_hh_l0").shape()).containsExactly(80, 5);
        assertThat(sd.get("bias_ih_l0").shape()).containsExactly(80);
        assertThat(sd.get("weight_hr_l0").shape()).containsExactly(5, 20);
        assertThat(sd.get("weight_ih_l1").shape()).containsExactly(80, 10); // D * proj = 2 * 5
    }

    @Test
    void withoutBiasThereAreNoBiasParameters() {
        LSTM rnn = LSTM.builder(3, 4).bias(false).seed(0).build();
        assertThat(rnn.stateDict().keySet()).containsExactly("weight_ih_l0", "weight_hh_l0");
    }

    @Test
    void initIsUniformWithinOneOverSqrtHiddenAndSeeded() {
        LSTM a = LSTM.builder(7, 16).seed(123).build();
        LSTM b = LSTM.builder(7, 16).seed(123).build();
        LSTM c = LSTM.builder(7, 16).seed(124).build();
        float bound = 0.25f;
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (Map.Entry<String, Tensor> e : a.stateDict().entrySet()) {
            assertThat(e.getValue()).isEqualTo(b.stateDict().get(e.getKey()));
            assertThat(e.getValue()).isNotEqualTo(c.stateDict().get(e.getKey()));
            for (float v : e.getValue().data()) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        assertThat(min).isBetween(-bound, -0.9f * bound);
        assertThat(max).isBetween(0.9f * bound, bound);
    }

    @Test
    void outputLastStepEqualsLastLayerFinalHiddenUnidirectional() {
        LSTM rnn = LSTM.builder(4, 6).numLayers(3).seed(1).build();
        LSTM.Output out = rnn.forward(Tensor.randn(2, 7, 2, 4));
        assertThat(out.output().select(0, -1)).isEqualTo(out.hN().select(0, -1));
    }

    @Test
    void bidirectionalOutputHalvesEqualTheLastLayersTwoFinalStates() {
        int hOut = 3;
        LSTM rnn = LSTM.builder(4, 6).numLayers(2).bidirectional(true).projSize(hOut).seed(1).build();
        LSTM.Output out = rnn.forward(Tensor.randn(2, 7, 2, 4));
        Tensor last = out.output().select(0, -1);
        Tensor first = out.output().select(0, 0);
        assertThat(last.narrow(1, 0, hOut)).isEqualTo(out.hN().select(0, -2));
        assertThat(first.narrow(1, hOut, hOut)).isEqualTo(out.hN().select(0, -1));
    }

    @Test
    void batchFirstTransposesOnlyInputAndOutput() {
        LSTM timeMajor = LSTM.builder(4, 5).numLayers(2).bidirectional(true).seed(9).build();
        LSTM batchFirst = LSTM.builder(4, 5).numLayers(2).bidirectional(true).batchFirst(true).seed(9).build();
        Tensor x = Tensor.randn(3, 6, 2, 4);
        Tensor h0 = Tensor.randn(4, 4, 2, 5);
        Tensor c0 = Tensor.randn(5, 4, 2, 5);
        LSTM.Output a = timeMajor.forward(x, h0, c0);
        LSTM.Output b = batchFirst.forward(x.transpose(0, 1), h0, c0);
        assertThat(b.output()).isEqualTo(a.output().transpose(0, 1));
        assertThat(b.hN()).isEqualTo(a.hN());
        assertThat(b.cN()).isEqualTo(a.cN());
    }

    @Test
    void unbatchedInputEqualsBatchOfOne() {
        LSTM rnn = LSTM.builder(4, 5).numLayers(2).bidirectional(true).seed(9).build();
        Tensor x = Tensor.randn(3, 6, 4);
        Tensor h0 = Tensor.randn(4, 4, 5);
        Tensor c0 = Tensor.randn(5, 4, 5);
        LSTM.Output unbatched = rnn.forward(x, h0, c0);
        LSTM.Output batched = rnn.forward(x.reshape(6, 1, 4), h0.reshape(4, 1, 5), c0.reshape(4, 1, 5));
        assertThat(unbatched.output().shape()).containsExactly(6, 10);
        assertThat(unbatched.hN().shape()).containsExactly(4, 5);
        assertThat(unbatched.output()).isEqualTo(batched.output().reshape(6, 10));
        assertThat(unbatched.hN()).isEqualTo(batched.hN().reshape(4, 5));
        assertThat(unbatched.cN()).isEqualTo(batched.cN().reshape(4, 5));
    }

    @Test
    void omittedStatesAreZeros() {
        LSTM rnn = LSTM.builder(4, 5).numLayers(2).seed(9).build();
        Tensor x = Tensor.randn(3, 6, 2, 4);
        assertThat(rnn.forward(x)).isEqualTo(rnn.forward(x, Tensor.zeros(2, 2, 5), Tensor.zeros(2, 2, 5)));
    }

    @Test
    void sequencesInABatchAreIndependent() {
        LSTM rnn = LSTM.builder(3, 4).numLayers(2).bidirectional(true).seed(5).build();
        Tensor x = Tensor.randn(8, 5, 3, 3);
        LSTM.Output all = rnn.forward(x);
        for (int b = 0; b < 3; b++) {
            LSTM.Output one = rnn.forward(x.narrow(1, b, 1));
            assertThat(one.output().maxAbsDiff(all.output().narrow(1, b, 1))).isLessThanOrEqualTo(1e-6f);
            assertThat(one.hN().maxAbsDiff(all.hN().narrow(1, b, 1))).isLessThanOrEqualTo(1e-6f);
        }
    }

    @Test
    void wrongInputSizeIsReportedAsPytorchDoes() {
        LSTM rnn = new LSTM(10, 20, 2);
        assertThatThrownBy(() -> rnn.forward(Tensor.zeros(5, 3, 12)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("input.size(-1) must be equal to input_size. Expected 10, got 12");
    }

    @Test
    void wrongHiddenShapeIsReportedAsPytorchDoes() {
        LSTM rnn = new LSTM(10, 20, 2);
        Tensor x = Tensor.zeros(5, 3, 10);
        assertThatThrownBy(() -> rnn.forward(x, Tensor.zeros(2, 4, 20), Tensor.zeros(2, 3, 20)))
                .hasMessage("Expected hidden[0] size (2, 3, 20), got [2, 4, 20]");
        assertThatThrownBy(() -> rnn.forward(x, Tensor.zeros(2, 3, 20), Tensor.zeros(2, 3, 21)))
                .hasMessage("Expected hidden[1] size (2, 3, 20), got [2, 3, 21]");
    }

    @Test
    void wrongRanksAreReportedAsPytorchDoes() {
        LSTM rnn = new LSTM(10, 20, 2);
        assertThatThrownBy(() -> rnn.forward(Tensor.zeros(1, 5, 3, 10)))
                .hasMessage("LSTM: Expected input to be 2D or 3D, got 4D instead");
        assertThatThrownBy(() -> rnn.forward(Tensor.zeros(5, 3, 10), Tensor.zeros(2, 20), Tensor.zeros(2, 20)))
                .hasMessage("For batched 3-D input, hx and cx should also be 3-D but got (2-D, 2-D) tensors");
        assertThatThrownBy(() -> rnn.forward(Tensor.zeros(5, 10), Tensor.zeros(2, 1, 20), Tensor.zeros(2, 1, 20)))
                .hasMessage("For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 3-D) tensors");
    }

    @Test
    void emptySequencesNullsAndHalfGivenStatesAreRejected() {
        LSTM rnn = new LSTM(10, 20);
        assertThatThrownBy(() -> rnn.forward(Tensor.zeros(0, 3, 10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sequence length");
        assertThatThrownBy(() -> rnn.forward((Tensor) null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> rnn.forward(Tensor.zeros(4, 3, 10), Tensor.zeros(1, 3, 20), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("given together");
    }

    @Test
    void constructorArgumentsAreValidatedAsPytorchDoes() {
        assertThatThrownBy(() -> LSTM.builder(10, 0).build()).hasMessageStartingWith("hidden_size must be greater than zero");
        assertThatThrownBy(() -> LSTM.builder(0, 10).build()).hasMessageStartingWith("input_size must be greater than zero");
        assertThatThrownBy(() -> LSTM.builder(10, 20).numLayers(0).build())
                .hasMessageStartingWith("num_layers must be greater than zero");
        assertThatThrownBy(() -> LSTM.builder(10, 20).dropout(1.5).build())
                .hasMessageStartingWith("dropout should be a number in range [0, 1]");
        assertThatThrownBy(() -> LSTM.builder(10, 20).dropout(Double.NaN).build())
                .hasMessageStartingWith("dropout should be a number in range [0, 1]");
        assertThatThrownBy(() -> LSTM.builder(10, 20).projSize(-1).build())
                .hasMessageStartingWith("proj_size should be a positive integer or zero");
        assertThatThrownBy(() -> LSTM.builder(10, 20).projSize(20).build())
                .hasMessageStartingWith("proj_size has to be smaller than hidden_size");
    }

    @Test
    void loadStateDictListsEveryProblemLikePytorch() {
        LSTM rnn = LSTM.builder(10, 20).seed(0).build();
        Map<String, Tensor> sd = new java.util.LinkedHashMap<>(LSTM.builder(10, 20).seed(1).build().stateDict());
        sd.remove("bias_hh_l0");
        sd.put("weight_ih_l0", Tensor.zeros(80, 12));
        sd.put("extra", Tensor.zeros(1));
        assertThatThrownBy(() -> rnn.loadStateDict(sd, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Unexpected key(s) in state_dict: \"extra\".")
                .hasMessageContaining("Missing key(s) in state_dict: \"bias_hh_l0\".")
                .hasMessageContaining("size mismatch for weight_ih_l0: copying a param with shape [80, 12] from"
                        + " checkpoint, the shape in current model is [80, 10].");
        sd.put("weight_ih_l0", Tensor.zeros(80, 10));
        Module.LoadResult result = rnn.loadStateDict(sd, false);
        assertThat(result.missingKeys()).isEqualTo(List.of("bias_hh_l0"));
        assertThat(result.unexpectedKeys()).isEqualTo(List.of("extra"));
        assertThat(rnn.stateDict().get("weight_ih_l0")).isEqualTo(Tensor.zeros(80, 10));
    }

    @Test
    void loadedWeightsReproduceTheSourceModel() {
        LSTM source = LSTM.builder(3, 4).numLayers(2).bidirectional(true).projSize(2).seed(7).build();
        LSTM target = LSTM.builder(3, 4).numLayers(2).bidirectional(true).projSize(2).seed(8).build();
        Tensor x = Tensor.randn(0, 5, 2, 3);
        assertThat(target.forward(x)).isNotEqualTo(source.forward(x));
        target.loadStateDict(source.stateDict(), true);
        assertThat(target.forward(x)).isEqualTo(source.forward(x));
    }

    @Test
    void evalModeIgnoresDropout() {
        LSTM withDropout = LSTM.builder(3, 4).numLayers(3).dropout(0.5).seed(7).build();
        LSTM without = LSTM.builder(3, 4).numLayers(3).seed(7).build();
        Tensor x = Tensor.randn(0, 5, 2, 3);
        withDropout.eval();
        assertThat(withDropout.forward(x)).isEqualTo(without.forward(x));
        withDropout.train();
        assertThat(withDropout.forward(x).output().maxAbsDiff(without.forward(x).output())).isGreaterThan(0f);
    }

    @Test
    void toStringReadsLikePytorchRepr() {
        assertThat(LSTM.builder(10, 20).numLayers(2).bidirectional(true).seed(0).build())
                .hasToString("LSTM(10, 20, num_layers=2, bidirectional=True)");
    }

    /** eval() and train() return the module's own type: no cast before calling forward. */
    @Test
    void modeSwitchesReturnTheModuleItsOwnType() {
        LSTM lstm = LSTM.builder(3, 4).numLayers(2).dropout(0.5).seed(1).build();
        Tensor x = Tensor.randn(2, 5, 1, 3);
        assertThat(lstm.eval().forward(x).output()).isEqualTo(lstm.forward(x).output());
        assertThat(lstm.eval().isTraining()).isFalse();
        assertThat(lstm.train().isTraining()).isTrue();
        GRU gru = GRU.builder(3, 4).build().eval();
        RNN rnn = RNN.builder(3, 4).build().eval();
        LSTMCell cell = new LSTMCell(3, 4).eval();
        Linear linear = new Linear(3, 4, true, 1).train();
        assertThat(List.of(gru.isTraining(), rnn.isTraining(), cell.isTraining(), linear.isTraining()))
                .containsExactly(false, false, false, true);
    }
}
