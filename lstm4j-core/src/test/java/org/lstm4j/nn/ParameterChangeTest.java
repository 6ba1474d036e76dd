package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.lstm4j.autograd.Variable;
import org.lstm4j.optim.SGD;
import org.lstm4j.tensor.Tensor;

/**
 * Every public way to change a parameter in place is seen by the next forward pass, although
 * the weights are kept packed between calls. The reference for "seen" is a fresh module loaded
 * with the changed weights (it has never packed anything).
 */
class ParameterChangeTest {

    private static final Tensor INPUT = Tensor.randn(3, 6, 2, 5);

    private static LSTM lstm() {
        LSTM lstm = LSTM.builder(5, 7).numLayers(2).seed(1).build();
        lstm.eval();
        return lstm;
    }

    /** Runs {@code change} on a model that has already packed its weights, then checks the next forward. */
    private static void assertNextForwardSees(Consumer<LSTM> change) {
        LSTM lstm = lstm();
        Tensor before = lstm.forward(INPUT).output();
        change.accept(lstm);
        LSTM fresh = lstm();
        fresh.loadStateDict(copies(lstm.stateDict()), true);
        Tensor expected = fresh.forward(INPUT).output();
        assertThat(expected).isNotEqualTo(before);
        assertThat(lstm.forward(INPUT).output()).isEqualTo(expected);
    }

    private static Map<String, Tensor> copies(Map<String, Tensor> stateDict) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        stateDict.forEach((k, v) -> out.put(k, v.copy()));
        return out;
    }

    @Test
    void setOnAStateDictTensor() {
        assertNextForwardSees(lstm -> lstm.stateDict().get("weight_hh_l1").set(3f, 0, 0));
    }

    @Test
    void writeThroughTheArrayOfAStateDictTensor() {
        assertNextForwardSees(lstm -> lstm.stateDict().get("weight_ih_l0").data()[4] = -2f);
    }

    @Test
    void writeThroughTheArrayOfAParameter() {
        assertNextForwardSees(lstm -> lstm.namedParameters().get("bias_hh_l0").data().data()[1] += 1f);
    }

    @Test
    void setOnAReshapedViewOfAParameter() {
        assertNextForwardSees(lstm -> lstm.stateDict().get("weight_hh_l0").reshape(-1).set(5f, 3));
    }

    @Test
    void arrayKeptAcrossAForwardThenWrittenAndMarkedChanged() {
        assertNextForwardSees(lstm -> {
            Tensor weight = lstm.stateDict().get("weight_ih_l1");
            float[] kept = weight.data();
            lstm.forward(INPUT); // packs the weights as they are now
            kept[0] = 4f;
            weight.markChanged();
        });
    }

    @Test
    void loadStateDict() {
        assertNextForwardSees(lstm -> lstm.loadStateDict(LSTM.builder(5, 7).numLayers(2).seed(9).build()
                .stateDict(), true));
    }

    @Test
    void optimizerStep() {
        assertNextForwardSees(lstm -> {
            lstm.train();
            lstm.forward(Variable.of(INPUT), null, null).output().sum().backward();
            new SGD(lstm.parameters(), 0.5).step();
            lstm.eval();
        });
    }

    @Test
    void aSessionSeesAChangeMadeAfterItWasCreated() {
        LSTM lstm = lstm();
        InferenceSession session = lstm.newSession(2);
        Tensor x = INPUT.select(0, 0);
        LSTMState state = lstm.zeroState(2);
        session.step(x, state);
        lstm.stateDict().get("weight_ih_l0").set(2f, 1, 1);

        LSTM fresh = lstm();
        fresh.loadStateDict(copies(lstm.stateDict()), true);
        LSTMState expectedState = lstm.zeroState(2);
        fresh.newSession(2).step(x, expectedState);
        LSTMState actual = lstm.zeroState(2);
        session.step(x, actual);
        assertThat(actual).isEqualTo(expectedState);
    }

    @Test
    void anLstmCellSeesASetOnItsStateDict() {
        LSTMCell cell = new LSTMCell(5, 7, true, 11);
        Tensor x = INPUT.select(0, 0);
        Tensor before = cell.forward(x, null, null).h();
        cell.stateDict().get("weight_ih").set(-3f, 2, 2);
        LSTMCell fresh = new LSTMCell(5, 7, true, 12);
        fresh.loadStateDict(copies(cell.stateDict()), true);
        Tensor expected = fresh.forward(x, null, null).h();
        assertThat(expected).isNotEqualTo(before);
        assertThat(cell.forward(x, null, null).h()).isEqualTo(expected);
    }

    @Test
    void readingThroughTheLibraryDoesNotCountAsAChange() {
        LSTM lstm = lstm();
        List<Integer> versions = lstm.parameters().stream().map(Parameter::version).toList();
        lstm.forward(INPUT);
        lstm.forward(Variable.of(INPUT), null, null);
        lstm.stateDict();
        assertThat(lstm.parameters().stream().map(Parameter::version).toList()).isEqualTo(versions);
    }
}
