package org.lstm4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Tensor;

/** The README's first Java example, verbatim between the markers, so it always compiles and runs. */
class ReadmeQuickStartTest {

    @Test
    void quickStart() {
        // README:quickstart:begin
        LSTM rnn = new LSTM(10, 20, 2);                      // rnn = nn.LSTM(10, 20, 2)
        Tensor input = Tensor.randn(0, 5, 3, 10);           // input = torch.randn(5, 3, 10)
        Tensor h0 = Tensor.randn(1, 2, 3, 20);              // h0 = torch.randn(2, 3, 20)
        Tensor c0 = Tensor.randn(2, 2, 3, 20);              // c0 = torch.randn(2, 3, 20)
        LSTM.Output out = rnn.forward(input, h0, c0);       // output, (hn, cn) = rnn(input, (h0, c0))

        System.out.println(out.output().shapeString());     // [5, 3, 20]  (L, N, H_out)
        System.out.println(out.hN().shapeString());         // [2, 3, 20]  (num_layers, N, H_out)
        System.out.println(out.output().select(0, -1)       // output[-1] == hn[-1]
                .equals(out.hN().select(0, -1)));           // true
        // README:quickstart:end
        assertThat(out.output().shape()).containsExactly(5, 3, 20);
        assertThat(out.hN().shape()).containsExactly(2, 3, 20);
        assertThat(out.cN().shape()).containsExactly(2, 3, 20);
        assertThat(out.output().select(0, -1)).isEqualTo(out.hN().select(0, -1));
    }
}
