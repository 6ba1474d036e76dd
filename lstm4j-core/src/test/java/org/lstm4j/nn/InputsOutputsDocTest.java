package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lstm4j.tensor.Tensor;

/**
 * The statements of docs/lstm-inputs-outputs.md, each checked by taking a stacked or
 * bidirectional LSTM (or GRU, RNN) apart into single-layer, single-direction modules with the same
 * weights.
 */
class InputsOutputsDocTest {

    private static final int IN = 3;
    private static final int HIDDEN = 4;

    /** A 1-layer unidirectional LSTM holding layer {@code layer}, direction {@code suffix}, of {@code source}. */
    private static LSTM single(LSTM source, int layer, String suffix, int inputSize) {
        LSTM.Config c = source.config();
        LSTM single = LSTM.builder(inputSize, c.hiddenSize()).bias(c.bias()).projSize(c.projSize()).seed(0).build();
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (String name : single.stateDict().keySet()) {
            String kind = name.substring(0, name.length() - "_l0".length());
            weights.put(name, source.stateDict().get(kind + "_l" + layer + suffix));
        }
        single.loadStateDict(weights, true);
        return single;
    }

    private static Tensor reverseTime(Tensor x) {
        Tensor out = Tensor.zeros(x.shape());
        int steps = x.size(0);
        int stride = x.numel() / steps;
        for (int t = 0; t < steps; t++) {
            System.arraycopy(x.data(), t * stride, out.data(), (steps - 1 - t) * stride, stride);
        }
        return out;
    }

    @Test
    void outputHoldsTheLastLayerForEveryStep() {
        LSTM stacked = LSTM.builder(IN, HIDDEN).numLayers(2).seed(1).build();
        Tensor x = Tensor.randn(2, 6, 2, IN);
        Tensor layer0 = single(stacked, 0, "", IN).forward(x).output();
        Tensor layer1 = single(stacked, 1, "", HIDDEN).forward(layer0).output();
        assertThat(stacked.forward(x).output()).isEqualTo(layer1);
        assertThat(stacked.forward(x).output()).isNotEqualTo(layer0);
    }

    @Test
    void hnHoldsEveryLayersFinalState() {
        LSTM stacked = LSTM.builder(IN, HIDDEN).numLayers(3).seed(1).build();
        Tensor x = Tensor.randn(2, 6, 2, IN);
        LSTM.Output all = stacked.forward(x);
        Tensor layerInput = x;
        for (int layer = 0; layer < 3; layer++) {
            LSTM.Output one = single(stacked, layer, "", layer == 0 ? IN : HIDDEN).forward(layerInput);
            assertThat(all.hN().select(0, layer)).isEqualTo(one.hN().select(0, 0));
            assertThat(all.cN().select(0, layer)).isEqualTo(one.cN().select(0, 0));
            layerInput = one.output();
        }
    }

    @Test
    void bidirectionalOutputConcatenatesForwardThenBackward() {
        LSTM bi = LSTM.builder(IN, HIDDEN).bidirectional(true).seed(1).build();
        Tensor x = Tensor.randn(2, 6, 2, IN);
        Tensor output = bi.forward(x).output();
        Tensor forward = single(bi, 0, "", IN).forward(x).output();
        Tensor backward = reverseTime(single(bi, 0, "_reverse", IN).forward(reverseTime(x)).output());
        assertThat(output.narrow(2, 0, HIDDEN)).isEqualTo(forward);
        assertThat(output.narrow(2, HIDDEN, HIDDEN)).isEqualTo(backward);
    }

    @Test
    void hnRowsAlternateForwardAndBackward() {
        LSTM bi = LSTM.builder(IN, HIDDEN).numLayers(2).bidirectional(true).seed(1).build();
        Tensor x = Tensor.randn(2, 6, 2, IN);
        LSTM.Output all = bi.forward(x);
        // Layer 1 reads layer 0's bidirectional output: [forward | backward] per step.
        LSTM.Output fwd0 = single(bi, 0, "", IN).forward(x);
        LSTM.Output bwd0 = single(bi, 0, "_reverse", IN).forward(reverseTime(x));
        Tensor layer0Output = concatLastDim(fwd0.output(), reverseTime(bwd0.output()));
        LSTM.Output fwd1 = single(bi, 1, "", 2 * HIDDEN).forward(layer0Output);
        LSTM.Output bwd1 = single(bi, 1, "_reverse", 2 * HIDDEN).forward(reverseTime(layer0Output));
        Tensor[] expected = {fwd0.hN(), bwd0.hN(), fwd1.hN(), bwd1.hN()};
        for (int row = 0; row < 4; row++) {
            assertThat(all.hN().select(0, row)).isEqualTo(expected[row].select(0, 0));
        }
    }

    private static Tensor concatLastDim(Tensor a, Tensor b) {
        int wa = a.size(-1);
        int wb = b.size(-1);
        int rows = a.numel() / wa;
        float[] out = new float[rows * (wa + wb)];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(a.data(), r * wa, out, r * (wa + wb), wa);
            System.arraycopy(b.data(), r * wb, out, r * (wa + wb) + wa, wb);
        }
        int[] shape = a.shape();
        shape[shape.length - 1] = wa + wb;
        return Tensor.of(out, shape);
    }

    @Test
    void projectionShrinksHiddenButNotCell() {
        LSTM rnn = LSTM.builder(IN, HIDDEN).numLayers(2).projSize(2).seed(1).build();
        LSTM.Output out = rnn.forward(Tensor.randn(2, 6, 5, IN));
        assertThat(out.output().shape()).containsExactly(6, 5, 2);
        assertThat(out.hN().shape()).containsExactly(2, 5, 2);
        assertThat(out.cN().shape()).containsExactly(2, 5, HIDDEN);
        assertThat(rnn.stateDict().get("weight_hh_l0").shape()).containsExactly(4 * HIDDEN, 2);
        assertThat(rnn.stateDict().get("weight_hr_l0").shape()).containsExactly(2, HIDDEN);
        assertThat(out.output().select(0, -1)).isEqualTo(out.hN().select(0, -1));
    }

    @Test
    void paddingWithoutPackingIsReadByTheLstm() {
        LSTM rnn = LSTM.builder(IN, HIDDEN).seed(1).build();
        Tensor longSeq = Tensor.randn(2, 5, 1, IN);
        Tensor shortSeq = Tensor.randn(3, 2, 1, IN);
        // Padded batch (L=5, N=2): column 0 the long sequence, column 1 the short one then zeros.
        Tensor padded = Tensor.zeros(5, 2, IN);
        for (int t = 0; t < 5; t++) {
            System.arraycopy(longSeq.data(), t * IN, padded.data(), (t * 2) * IN, IN);
            if (t < 2) {
                System.arraycopy(shortSeq.data(), t * IN, padded.data(), (t * 2 + 1) * IN, IN);
            }
        }
        Tensor alone = rnn.forward(shortSeq).hN().select(1, 0);
        Tensor unpacked = rnn.forward(padded).hN().select(1, 1);
        assertThat(unpacked.maxAbsDiff(alone)).isGreaterThan(1e-3f);

        // Packed: steps 0-1 hold both sequences, steps 2-4 only the long one.
        float[] data = new float[7 * IN];
        int row = 0;
        for (int t = 0; t < 5; t++) {
            System.arraycopy(longSeq.data(), t * IN, data, (row++) * IN, IN);
            if (t < 2) {
                System.arraycopy(shortSeq.data(), t * IN, data, (row++) * IN, IN);
            }
        }
        PackedSequence packed = new PackedSequence(Tensor.of(data, 7, IN), new int[] {2, 2, 1, 1, 1}, null, null);
        Tensor packedHn = rnn.forward(packed, null, null).hN().select(1, 1);
        assertThat(packedHn.maxAbsDiff(alone)).isLessThanOrEqualTo(1e-6f);
    }
    /** A 1-layer unidirectional module of {@code source}'s mode holding layer {@code layer}, direction {@code suffix}. */
    private static HiddenStateRNN single(HiddenStateRNN source, int layer, String suffix, int inputSize) {
        RNNBase.Config c = source.config();
        HiddenStateRNN single = (HiddenStateRNN) RNNBase.create(RNNBase.Config.of(c.mode(), inputSize, c.hiddenSize(),
                1, c.bias(), false, 0.0, false, 0), 0);
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (String name : single.stateDict().keySet()) {
            String kind = name.substring(0, name.length() - "_l0".length());
            weights.put(name, source.stateDict().get(kind + "_l" + layer + suffix));
        }
        single.loadStateDict(weights, true);
        return single;
    }

    /**
     * GRU and RNN (relu, and tanh by the same code) lay out output and h_n exactly as the LSTM:
     * output is the last layer's [forward h_t, backward h_t]; h_n holds every layer's final h,
     * rows alternating forward and backward; there is no c.
     */
    @ParameterizedTest
    @ValueSource(strings = {"GRU", "RNN_RELU"})
    void gruAndRnnLayOutOutputAndHnAsTheLstm(String mode) {
        HiddenStateRNN bi = (HiddenStateRNN) RNNBase.create(RNNBase.Config.of(RNNBase.Mode.valueOf(mode), IN, HIDDEN,
                2, true, false, 0.0, true, 0), 1);
        Tensor x = Tensor.randn(2, 6, 2, IN);
        HiddenStateRNN.Output all = bi.forward(x);
        HiddenStateRNN.Output fwd0 = single(bi, 0, "", IN).forward(x);
        HiddenStateRNN.Output bwd0 = single(bi, 0, "_reverse", IN).forward(reverseTime(x));
        Tensor layer0Output = concatLastDim(fwd0.output(), reverseTime(bwd0.output()));
        HiddenStateRNN.Output fwd1 = single(bi, 1, "", 2 * HIDDEN).forward(layer0Output);
        HiddenStateRNN.Output bwd1 = single(bi, 1, "_reverse", 2 * HIDDEN).forward(reverseTime(layer0Output));
        assertThat(all.output()).isEqualTo(concatLastDim(fwd1.output(), reverseTime(bwd1.output())));
        Tensor[] expected = {fwd0.hN(), bwd0.hN(), fwd1.hN(), bwd1.hN()};
        for (int row = 0; row < 4; row++) {
            assertThat(all.hN().select(0, row)).isEqualTo(expected[row].select(0, 0));
        }
        assertThat(all.output().select(0, -1).narrow(1, 0, HIDDEN)).isEqualTo(all.hN().select(0, -2));
        assertThat(all.output().select(0, 0).narrow(1, HIDDEN, HIDDEN)).isEqualTo(all.hN().select(0, -1));
    }
}
