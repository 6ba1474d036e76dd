package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.lstm4j.tensor.Tensor;

class LSTMConfigInferenceTest {

    @ParameterizedTest
    @CsvSource({
        "10, 20, 1, true, false, 0",
        "10, 20, 3, true, true, 0",
        "7, 9, 2, false, false, 4",
        "1, 1, 1, false, true, 0",
        "31, 128, 2, true, true, 17",
    })
    void configSurvivesAStateDictRoundTrip(int in, int hidden, int layers, boolean bias, boolean bidir, int proj) {
        LSTM source = LSTM.builder(in, hidden).numLayers(layers).bias(bias).bidirectional(bidir).projSize(proj)
                .seed(3).build();
        LSTM loaded = LSTM.fromStateDict(source.stateDict());
        assertThat(loaded.config()).isEqualTo(source.config());
        assertThat(loaded.stateDict()).isEqualTo(source.stateDict());
    }

    @Test
    void theLstmInsideAModelIsFoundByItsPrefix() {
        LSTM lstm = LSTM.builder(4, 6).numLayers(2).seed(1).build();
        Map<String, Tensor> model = new LinkedHashMap<>();
        model.put("embedding.weight", Tensor.zeros(10, 4));
        lstm.stateDict().forEach((k, v) -> model.put("encoder.rnn." + k, v));
        model.put("fc.weight", Tensor.zeros(3, 6));
        assertThat(LSTM.lstmPrefixes(model)).containsExactly("encoder.rnn.");
        assertThat(LSTM.fromStateDict(model).stateDict()).isEqualTo(lstm.stateDict());
    }

    @Test
    void severalLstmsNeedAnExplicitPrefix() {
        Map<String, Tensor> model = new LinkedHashMap<>();
        LSTM.builder(4, 6).seed(1).build().stateDict().forEach((k, v) -> model.put("lstm1." + k, v));
        LSTM second = LSTM.builder(6, 2).seed(2).build();
        second.stateDict().forEach((k, v) -> model.put("lstm2." + k, v));
        assertThatThrownBy(() -> LSTM.fromStateDict(model))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("found 2 LSTMs, choose one with a prefix: \"lstm1.\", \"lstm2.\"");
        assertThat(LSTM.fromStateDict(model, "lstm2.").stateDict()).isEqualTo(second.stateDict());
        assertThatThrownBy(() -> LSTM.fromStateDict(model, "lstm3."))
                .hasMessageContaining("no key starts with prefix \"lstm3.\"");
    }

    @Test
    void inconsistentShapesNameTheTensor() {
        Map<String, Tensor> sd = new LinkedHashMap<>(LSTM.builder(4, 6).numLayers(2).seed(1).build().stateDict());
        sd.put("weight_hh_l1", Tensor.zeros(24, 5));
        assertThatThrownBy(() -> LSTM.fromStateDict(sd))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("weight_hh_l1 has shape [24, 5], expected [24, 6]");
        sd.put("weight_hh_l1", Tensor.zeros(24, 6));
        sd.remove("bias_hh_l1");
        assertThatThrownBy(() -> LSTM.fromStateDict(sd)).hasMessageContaining("missing bias_hh_l1");
        Map<String, Tensor> notFour = Map.of("weight_ih_l0", Tensor.zeros(10, 3));
        assertThatThrownBy(() -> LSTM.fromStateDict(notFour))
                .hasMessageContaining("weight_ih_l0 must have shape (4*hidden_size, input_size), got [10, 3]");
        assertThatThrownBy(() -> LSTM.fromStateDict(Map.of("fc.weight", Tensor.zeros(1))))
                .hasMessageContaining("no LSTM found");
    }
}
