package org.lstm4j.nn.utils;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.PackedSequence;
import org.lstm4j.tensor.Tensor;

/**
 * The README's packed-sequence example, compiled and checked: classify variable-length
 * sentences from the LSTM's final states, without the padding leaking into them.
 */
class PackedExampleTest {

    @Test
    void readmeExample() {
        // README:packed:begin
        LSTM lstm = LSTM.builder(8, 16).numLayers(2).bidirectional(true).seed(42).build();
        lstm.eval();

        // Three sentences of 5, 2 and 3 tokens, 8 features per token: each (L_i, H_in).
        List<Tensor> sentences = List.of(Tensor.randn(1, 5, 8), Tensor.randn(2, 2, 8), Tensor.randn(3, 3, 8));
        PackedSequence packed = Rnn.packSequence(sentences, false);   // enforce_sorted=False
        LSTM.PackedOutput out = lstm.forward(packed, null, null);

        // hN: (D·num_layers = 4, N = 3, H_out = 16), in the order of `sentences`. The last layer's
        // forward state hN[-2] stopped at each sentence's own last token; its backward state
        // hN[-1] started there. Together they describe the whole sentence.
        Tensor forward = out.hN().select(0, -2);                    // (3, 16)
        Tensor backward = out.hN().select(0, -1);                   // (3, 16)

        // A linear classifier (4 classes) on the sentence features [forward, backward] (32).
        Tensor classifier = Tensor.randn(7, 4, 32);
        int[] predicted = new int[sentences.size()];
        for (int i = 0; i < predicted.length; i++) {
            float best = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < 4; k++) {
                float logit = 0f;
                for (int j = 0; j < 16; j++) {
                    logit += classifier.get(k, j) * forward.get(i, j);
                    logit += classifier.get(k, 16 + j) * backward.get(i, j);
                }
                if (logit > best) {
                    best = logit;
                    predicted[i] = k;
                }
            }
        }

        // Per-token outputs, padded back: (N = 3, T = 5, D·H_out = 32), zeros past each end.
        Rnn.PaddedSequence perToken = Rnn.padPackedSequence(out.output(), true, 0f, null);
        // README:packed:end

        assertThat(perToken.lengths()).containsExactly(5, 2, 3);
        assertThat(perToken.padded().shape()).containsExactly(3, 5, 32);
        assertThat(Arrays.stream(predicted).allMatch(k -> k >= 0 && k < 4)).isTrue();
        // Packing must give each sentence exactly what it gets when run alone (unbatched).
        for (int i = 0; i < sentences.size(); i++) {
            LSTM.Output alone = lstm.forward(sentences.get(i));
            int length = sentences.get(i).size(0);
            assertThat(forward.select(0, i).maxAbsDiff(alone.hN().select(0, -2))).isLessThanOrEqualTo(1e-6f);
            assertThat(backward.select(0, i).maxAbsDiff(alone.hN().select(0, -1))).isLessThanOrEqualTo(1e-6f);
            Tensor tokens = perToken.padded().select(0, i);            // (5, 32)
            assertThat(tokens.narrow(0, 0, length).maxAbsDiff(alone.output())).isLessThanOrEqualTo(1e-6f);
            assertThat(tokens.narrow(0, length, 5 - length)).isEqualTo(Tensor.zeros(5 - length, 32));
        }
    }
}
