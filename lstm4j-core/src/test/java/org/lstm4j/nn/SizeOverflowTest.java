package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.lstm4j.tensor.Tensor;

/**
 * Sizes past a Java array are computed in long and refused with the sizes named, before anything
 * is allocated — not a NegativeArraySizeException from a wrapped int.
 */
class SizeOverflowTest {

    @Test
    void aSessionTooLargeForItsGatesBuffer() {
        LSTM lstm = LSTM.builder(4, 1024).seed(1).build();
        assertThatThrownBy(() -> lstm.newSession(1 << 20)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("this session's gates (maxBatch, 4·hidden_size) needs 1048576·4·1024 = 4294967296"
                        + " elements, more than a Java array holds (2147483639)");
    }

    /** (L·N, 4H) = 2^21 · 1024 elements overflows an int; the input itself is only 8 MiB. */
    @Test
    void aForwardPassTooLargeForItsGates() {
        LSTM lstm = LSTM.builder(1, 256).seed(1).build();
        Tensor input = Tensor.zeros(1, 1 << 21, 1);
        assertThatThrownBy(() -> lstm.forward(input)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("LSTM gates (L·N, 4·hidden_size) needs 2097152·4·256 = 2147483648 elements, more than a"
                        + " Java array holds (2147483639)");
    }

    @Test
    void aCellTooLargeForItsGates() {
        LSTMCell cell = new LSTMCell(1, 256, true, 1);
        assertThatThrownBy(() -> cell.forward(Tensor.zeros(1 << 21, 1), null, null))
                .hasMessageStartingWith("LSTMCell gates (N, 4·hidden_size) needs 2097152·4·256");
    }

    @Test
    void numelIsExactBeyondAnInt() {
        assertThat(Tensor.numel(new int[] {1 << 20, 1 << 20})).isEqualTo(1L << 40);
        assertThatThrownBy(() -> Tensor.zeros(1 << 20, 1 << 20))
                .hasMessage("shape [1048576, 1048576] has 1099511627776 elements, more than a Java array holds"
                        + " (2147483639)");
        assertThatThrownBy(() -> Tensor.numel(new int[] {1 << 30, 1 << 30, 1 << 30}))
                .hasMessage("shape [1073741824, 1073741824, 1073741824] has more elements than a long can count");
    }

    /** Past the heap (but within an array): the OutOfMemoryError says how much was needed, not just "Java heap space". */
    @Test
    void aTensorLargerThanTheHeapSaysItsSize() {
        long floats = Runtime.getRuntime().maxMemory() / 4 + (1 << 24);
        assumeTrue(floats < Integer.MAX_VALUE - 8, "heap too large to exceed with one array");
        assertThatThrownBy(() -> Tensor.zeros((int) floats)).isInstanceOf(OutOfMemoryError.class)
                .hasMessageStartingWith("a tensor of shape [" + floats + "] needs ")
                .hasMessageEndingWith(" (" + floats + " floats)");
    }

    @Test
    void aForwardPassLargerThanTheHeapSaysAboutHowMuchItNeeded() {
        int hidden = 1500;
        int steps = (int) Math.min(Integer.MAX_VALUE / hidden - 1, Runtime.getRuntime().maxMemory() / 4 / hidden + 1);
        assumeTrue(4L * steps * hidden > Runtime.getRuntime().maxMemory(), "heap too large for this test");
        RNN rnn = RNN.builder(1, hidden).seed(1).build();
        Tensor input = Tensor.zeros(steps, 1, 1);
        assertThatThrownBy(() -> rnn.forward(input)).isInstanceOf(OutOfMemoryError.class)
                .hasMessageStartingWith("RNN forward pass over " + steps + " rows (L·N) of 1 features needs ");
    }
}
