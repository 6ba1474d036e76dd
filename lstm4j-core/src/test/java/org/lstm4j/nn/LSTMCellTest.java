package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lstm4j.tensor.Tensor;

class LSTMCellTest {

    @Test
    void stepsOfTheCellEqualAOneLayerLstm() {
        LSTMCell cell = new LSTMCell(5, 7, true, 11);
        LSTM lstm = LSTM.builder(5, 7).seed(0).build();
        Map<String, Tensor> renamed = new LinkedHashMap<>();
        cell.stateDict().forEach((k, v) -> renamed.put(k + "_l0", v));
        lstm.loadStateDict(renamed, true);

        Tensor x = Tensor.randn(1, 4, 3, 5);
        Tensor h = Tensor.randn(2, 3, 7);
        Tensor c = Tensor.randn(3, 3, 7);
        LSTM.Output expected = lstm.forward(x, h.reshape(1, 3, 7), c.reshape(1, 3, 7));
        LSTMCell.State state = new LSTMCell.State(h, c);
        for (int t = 0; t < 4; t++) {
            state = cell.forward(x.select(0, t), state.h(), state.c());
            assertThat(state.h()).isEqualTo(expected.output().select(0, t));
        }
        assertThat(state.c()).isEqualTo(expected.cN().reshape(3, 7));
    }

    /** The cell keeps its weight panels between calls; loading new ones must replace them. */
    @Test
    void aCellUsesWeightsLoadedAfterItsFirstStep() {
        LSTMCell cell = new LSTMCell(5, 7, true, 11);
        LSTMCell other = new LSTMCell(5, 7, true, 12);
        Tensor x = Tensor.randn(1, 3, 5);
        LSTMCell.State before = cell.forward(x, null, null);
        cell.loadStateDict(other.stateDict(), true);
        LSTMCell.State after = cell.forward(x, null, null);
        assertThat(after.h()).isEqualTo(other.forward(x, null, null).h()).isNotEqualTo(before.h());
    }

    @Test
    void parameterNamesAndUnbatchedShapes() {
        LSTMCell cell = new LSTMCell(5, 7, false, 1);
        assertThat(cell.stateDict().keySet()).containsExactly("weight_ih", "weight_hh");
        LSTMCell.State s = cell.forward(Tensor.randn(0, 5), null, null);
        assertThat(s.h().shape()).containsExactly(7);
        assertThat(s.c().shape()).containsExactly(7);
    }

    @Test
    void badShapesAreRejected() {
        LSTMCell cell = new LSTMCell(5, 7);
        assertThatThrownBy(() -> cell.forward(Tensor.zeros(3, 6), null, null))
                .hasMessage("input has inconsistent input_size: got 6 expected 5");
        assertThatThrownBy(() -> cell.forward(Tensor.zeros(1, 3, 5), null, null))
                .hasMessage("LSTMCell: Expected input to be 1D or 2D, got 3D instead");
        assertThatThrownBy(() -> cell.forward(Tensor.zeros(3, 5), Tensor.zeros(4, 7), Tensor.zeros(4, 7)))
                .hasMessage("Input batch size 3 doesn't match hidden0 batch size 4");
        assertThatThrownBy(() -> cell.forward(Tensor.zeros(3, 5), Tensor.zeros(3, 7), Tensor.zeros(3, 8)))
                .hasMessage("hidden1 has inconsistent hidden_size: got 8, expected 7");
    }
}
