package org.lstm4j.parity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Tensor;

/**
 * Batch size 0: PyTorch returns empty results ({@code nn.LSTM(8, 16)(torch.zeros(5, 0, 8))} gives
 * output (5, 0, 16) and h_n (1, 0, 16)); lstm4j returns the same shapes as libtorch.
 */
class EmptyBatchParityTest {

    @RegisterExtension
    static final LibTorch torch = new LibTorch();

    static Stream<Arguments> configs() {
        return Stream.of(
                Arguments.of(new LSTM.Config(8, 16, 1, true, false, 0.0, false, 0), false),
                Arguments.of(new LSTM.Config(8, 16, 1, true, false, 0.0, false, 0), true),
                Arguments.of(new LSTM.Config(8, 16, 2, true, true, 0.0, true, 0), false),
                Arguments.of(new LSTM.Config(3, 6, 3, false, false, 0.0, true, 4), true),
                Arguments.of(new LSTM.Config(5, 7, 2, true, true, 0.0, false, 2), true));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void shapesEqualLibTorchs(LSTM.Config config, boolean givenState) {
        LSTM lstm = new LSTM(config, 4);
        lstm.eval();
        int rows = config.numDirections() * config.numLayers();
        Tensor input = config.batchFirst() ? Tensor.zeros(0, 5, config.inputSize())
                : Tensor.zeros(5, 0, config.inputSize());
        Tensor h0 = givenState ? Tensor.zeros(rows, 0, config.outputSize()) : null;
        Tensor c0 = givenState ? Tensor.zeros(rows, 0, config.hiddenSize()) : null;
        LSTM.Output actual = lstm.forward(input, h0, c0);
        LSTM.Output expected = torch.lstm(config, lstm.stateDict(), input, h0, c0, false);
        assertThat(actual.output().shape()).isEqualTo(expected.output().shape());
        assertThat(actual.hN().shape()).isEqualTo(expected.hN().shape());
        assertThat(actual.cN().shape()).isEqualTo(expected.cN().shape());
        assertThat(actual.output().numel()).isZero();
    }
}
