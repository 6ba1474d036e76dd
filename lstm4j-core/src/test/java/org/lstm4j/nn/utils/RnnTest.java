package org.lstm4j.nn.utils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lstm4j.nn.PackedSequence;
import org.lstm4j.tensor.Tensor;

/**
 * torch.nn.utils.rnn semantics: the packed layout (step-major rows, longest first, batch sizes),
 * the stable sort behind {@code enforceSorted = false}, round trips, and PyTorch's error
 * messages. Every expectation is derived from the input by the definition, over seeded random
 * batches; LSTM results on packed input are checked against libtorch in lstm4j-parity.
 */
class RnnTest {

    private static final float PAD = -3.5f;
    /** Trailing dimensions (*) exercised: none (labels), H_in, and two dims. */
    private static final List<int[]> TRAILING = List.of(new int[0], new int[] {3}, new int[] {2, 3});

    /** A random padded batch: (T, N, *) or (N, T, *), lengths in [1, T] with max(lengths) ≤ T. */
    private record Batch(Tensor padded, int[] lengths, int steps, boolean batchFirst) {
        static Batch random(SplittableRandom r, int[] trailing, boolean batchFirst, boolean sorted, long seed) {
            int batch = 1 + r.nextInt(7);
            int steps = 1 + r.nextInt(9);
            int[] lengths = new int[batch];
            for (int b = 0; b < batch; b++) {
                // Few distinct values, so equal lengths (ties) are common; sometimes all equal.
                lengths[b] = r.nextInt(4) == 0 ? steps : 1 + r.nextInt(steps);
            }
            if (sorted) {
                lengths = Arrays.stream(lengths).boxed().sorted((a, b) -> b - a).mapToInt(Integer::intValue).toArray();
            }
            int[] shape = new int[2 + trailing.length];
            shape[0] = batchFirst ? batch : steps;
            shape[1] = batchFirst ? steps : batch;
            System.arraycopy(trailing, 0, shape, 2, trailing.length);
            return new Batch(Tensor.randn(seed, shape), lengths, steps, batchFirst);
        }

        int batch() {
            return lengths.length;
        }

        /** Entry (t, b, *) as a flat array, whatever the layout. */
        float[] entry(int t, int b) {
            return padded.select(batchFirst ? 0 : 1, b).select(0, t).reshape(-1).data();
        }
    }

    private static List<Batch> batches(long seed, boolean sorted) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            out.add(Batch.random(r, TRAILING.get(i % 3), (i / 3) % 2 == 1, sorted, r.nextLong()));
        }
        return out;
    }

    @Test
    void packedLayoutIsStepMajorLongestFirst() {
        for (boolean enforceSorted : new boolean[] {true, false}) {
            for (Batch x : batches(1, enforceSorted)) {
                PackedSequence p = Rnn.packPaddedSequence(x.padded(), x.lengths(), x.batchFirst(), enforceSorted);
                int[] order = enforceSorted ? identity(x.batch()) : p.sortedIndices();
                if (enforceSorted) {
                    assertThat(p.sortedIndices()).isNull();
                    assertThat(p.unsortedIndices()).isNull();
                } else {
                    assertStableDescending(x.lengths(), order);
                    for (int k = 0; k < order.length; k++) {
                        assertThat(p.unsortedIndices()[order[k]]).isEqualTo(k);
                    }
                }
                int maxLength = Arrays.stream(x.lengths()).max().orElseThrow();
                int[] batchSizes = p.batchSizes();
                assertThat(batchSizes).hasSize(maxLength);
                int row = 0;
                for (int t = 0; t < maxLength; t++) {
                    final int step = t;
                    assertThat(batchSizes[t]).isEqualTo((int) Arrays.stream(x.lengths()).filter(l -> l > step).count());
                    for (int k = 0; k < batchSizes[t]; k++) {
                        assertThat(p.data().select(0, row).reshape(-1).data()).isEqualTo(x.entry(t, order[k]));
                        row++;
                    }
                }
                assertThat(p.data().size(0)).isEqualTo(row).isEqualTo(Arrays.stream(x.lengths()).sum());
                int[] trailing = Arrays.copyOfRange(x.padded().shape(), 2, x.padded().dim());
                assertThat(Arrays.copyOfRange(p.data().shape(), 1, p.data().dim())).isEqualTo(trailing);
            }
        }
    }

    @Test
    void padPackedInvertsPackPaddedInTheCallersOrder() {
        for (boolean enforceSorted : new boolean[] {true, false}) {
            for (Batch x : batches(2, enforceSorted)) {
                for (boolean batchFirstOut : new boolean[] {false, true}) {
                    PackedSequence p = Rnn.packPaddedSequence(x.padded(), x.lengths(), x.batchFirst(), enforceSorted);
                    Rnn.PaddedSequence back = Rnn.padPackedSequence(p, batchFirstOut, PAD, null);
                    assertThat(back.lengths()).isEqualTo(x.lengths());
                    int maxLength = Arrays.stream(x.lengths()).max().orElseThrow();
                    assertRestored(x, back.padded(), batchFirstOut, maxLength);
                }
            }
        }
    }

    @Test
    void totalLengthPadsFurther() {
        for (Batch x : batches(3, false)) {
            PackedSequence p = Rnn.packPaddedSequence(x.padded(), x.lengths(), x.batchFirst(), false);
            Rnn.PaddedSequence back = Rnn.padPackedSequence(p, x.batchFirst(), PAD, x.steps() + 2);
            assertRestored(x, back.padded(), x.batchFirst(), x.steps() + 2);
        }
    }

    @Test
    void padSequenceStacksAndPads() {
        SplittableRandom r = new SplittableRandom(4);
        for (int i = 0; i < 30; i++) {
            int[] trailing = TRAILING.get(i % 3);
            int n = 1 + r.nextInt(6);
            List<Tensor> sequences = new ArrayList<>();
            for (int b = 0; b < n; b++) {
                int[] shape = new int[1 + trailing.length];
                shape[0] = r.nextInt(6); // zero-length sequences pad fine (packing rejects them)
                System.arraycopy(trailing, 0, shape, 1, trailing.length);
                sequences.add(Tensor.randn(r.nextLong(), shape));
            }
            int maxLength = sequences.stream().mapToInt(s -> s.size(0)).max().orElseThrow();
            for (boolean batchFirst : new boolean[] {false, true}) {
                Tensor padded = Rnn.padSequence(sequences, batchFirst, PAD);
                assertThat(padded.size(batchFirst ? 0 : 1)).isEqualTo(n);
                assertThat(padded.size(batchFirst ? 1 : 0)).isEqualTo(maxLength);
                for (int b = 0; b < n; b++) {
                    Tensor column = padded.select(batchFirst ? 0 : 1, b);
                    int length = sequences.get(b).size(0);
                    for (int t = 0; t < maxLength; t++) {
                        float[] got = column.select(0, t).reshape(-1).data();
                        if (t < length) {
                            assertThat(got).isEqualTo(sequences.get(b).select(0, t).reshape(-1).data());
                        } else {
                            assertThat(got).containsOnly(PAD);
                        }
                    }
                }
            }
        }
    }

    @Test
    void packSequenceIsPackPaddedOfPadSequence() {
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < 30; i++) {
            int n = 1 + r.nextInt(6);
            List<Tensor> sequences = new ArrayList<>();
            int[] lengths = new int[n];
            for (int b = 0; b < n; b++) {
                lengths[b] = 1 + r.nextInt(6);
            }
            boolean enforceSorted = i % 2 == 0;
            if (enforceSorted) {
                lengths = Arrays.stream(lengths).boxed().sorted((a, b) -> b - a).mapToInt(Integer::intValue).toArray();
            }
            for (int length : lengths) {
                sequences.add(Tensor.randn(r.nextLong(), length, 4));
            }
            PackedSequence packed = Rnn.packSequence(sequences, enforceSorted);
            assertThat(packed).isEqualTo(
                    Rnn.packPaddedSequence(Rnn.padSequence(sequences, false, 0f), lengths, false, enforceSorted));
            Rnn.PaddedSequence back = Rnn.padPackedSequence(packed, true, PAD, null);
            assertThat(back.lengths()).isEqualTo(lengths);
            for (int b = 0; b < n; b++) {
                assertThat(back.padded().select(0, b).narrow(0, 0, lengths[b])).isEqualTo(sequences.get(b));
            }
        }
    }

    @Test
    void unsortedLengthsWithEnforceSortedAreRejectedWithPytorchsMessage() {
        assertThatThrownBy(() -> Rnn.packPaddedSequence(Tensor.zeros(3, 3, 2), new int[] {2, 3, 1}, false, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can"
                        + " pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this"
                        + " requirement if you do not need ONNX exportability.");
        // PyTorch checks the last length first, so a zero in the middle reads as "unsorted".
        assertThatThrownBy(() -> Rnn.packPaddedSequence(Tensor.zeros(3, 3, 2), new int[] {3, 0, 2}, false, true))
                .hasMessageStartingWith("`lengths` array must be sorted in decreasing order");
        assertThatThrownBy(() -> Rnn.packSequence(List.of(Tensor.zeros(1, 2), Tensor.zeros(2, 2)), true))
                .hasMessageStartingWith("`lengths` array must be sorted in decreasing order");
    }

    @Test
    void nonPositiveLengthsAreRejectedWithPytorchsMessage() {
        String message = "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0";
        assertThatThrownBy(() -> Rnn.packPaddedSequence(Tensor.zeros(3, 3, 2), new int[] {3, 2, 0}, false, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
        assertThatThrownBy(() -> Rnn.packPaddedSequence(Tensor.zeros(3, 3, 2), new int[] {3, -1, 2}, false, false))
                .hasMessage(message);
        assertThatThrownBy(() -> Rnn.packSequence(List.of(Tensor.zeros(2, 2), Tensor.zeros(0, 2)), false))
                .hasMessage(message);
    }

    @Test
    void lengthsCountMustBeTheBatchSize() {
        assertThatThrownBy(() -> Rnn.packPaddedSequence(Tensor.zeros(3, 3, 2), new int[] {3, 2}, false, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Expected `len(lengths)` to be equal to batch_size, but got 2 (batch_size=3)");
        // batchFirst reads N from dimension 0
        assertThatThrownBy(() -> Rnn.packPaddedSequence(Tensor.zeros(4, 3, 2), new int[] {3, 2, 1}, true, true))
                .hasMessage("Expected `len(lengths)` to be equal to batch_size, but got 3 (batch_size=4)");
    }

    @Test
    void emptyInputIsRejected() {
        assertThatThrownBy(() -> Rnn.packPaddedSequence(Tensor.zeros(3, 0, 2), new int[0], false, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("Cannot pack empty tensors.");
        assertThatThrownBy(() -> Rnn.packPaddedSequence(Tensor.zeros(3), new int[] {3}, false, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pack_padded_sequence expects input of at least 2 dimensions (T, N, *), got 1-D input of"
                        + " shape [3]");
        assertThatThrownBy(() -> Rnn.padSequence(List.of(), false, 0f))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("received an empty list of sequences");
        assertThatThrownBy(() -> Rnn.packSequence(List.of(), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("received an empty list of sequences");
    }

    @Test
    void lengthsLongerThanThePaddedInputAreRejected() {
        assertThatThrownBy(() -> Rnn.packPaddedSequence(Tensor.zeros(3, 3, 2), new int[] {5, 2, 1}, false, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Expected every length to be at most the padded sequence length 3 (input shape [3, 3, 2]),"
                        + " but got lengths[0]=5");
        assertThatThrownBy(() -> Rnn.packPaddedSequence(Tensor.zeros(2, 4, 2), new int[] {1, 5}, true, false))
                .hasMessage("Expected every length to be at most the padded sequence length 4 (input shape [2, 4, 2],"
                        + " batch_first), but got lengths[1]=5");
    }

    @Test
    void totalLengthShorterThanTheLongestSequenceIsRejected() {
        PackedSequence p = Rnn.packPaddedSequence(Tensor.zeros(4, 2, 1), new int[] {4, 2}, false, true);
        assertThatThrownBy(() -> Rnn.padPackedSequence(p, false, 0f, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Expected total_length to be at least the length of the longest sequence in input, but got"
                        + " total_length=3 and max sequence length being 4");
    }

    @Test
    void padSequenceRejectsMismatchedTrailingDimensions() {
        assertThatThrownBy(() -> Rnn.padSequence(List.of(Tensor.zeros(2, 3), Tensor.zeros(2, 4)), false, 0f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Expected every sequence to have shape (L, 3) like sequences[0], got [2, 4] at index 1");
        assertThatThrownBy(() -> Rnn.padSequence(List.of(Tensor.zeros(2), Tensor.zeros(2, 1)), false, 0f))
                .hasMessage("Expected every sequence to have shape (L) like sequences[0], got [2, 1] at index 1");
    }

    /** {@code back} (T', N, *) or (N, T', *) holds x's valid entries in x's batch order and PAD elsewhere. */
    private static void assertRestored(Batch x, Tensor back, boolean batchFirstOut, int steps) {
        assertThat(back.size(batchFirstOut ? 0 : 1)).isEqualTo(x.batch());
        assertThat(back.size(batchFirstOut ? 1 : 0)).isEqualTo(steps);
        for (int b = 0; b < x.batch(); b++) {
            Tensor column = back.select(batchFirstOut ? 0 : 1, b);
            for (int t = 0; t < steps; t++) {
                float[] got = column.select(0, t).reshape(-1).data();
                if (t < x.lengths()[b]) {
                    assertThat(got).isEqualTo(x.entry(t, b));
                } else {
                    assertThat(got).containsOnly(PAD);
                }
            }
        }
    }

    /** order sorts lengths by decreasing length, and equal lengths keep their original order. */
    private static void assertStableDescending(int[] lengths, int[] order) {
        assertThat(order).hasSize(lengths.length);
        assertThat(Arrays.stream(order).sorted().toArray()).isEqualTo(identity(lengths.length));
        for (int k = 1; k < order.length; k++) {
            int previous = lengths[order[k - 1]];
            int current = lengths[order[k]];
            assertThat(current).isLessThanOrEqualTo(previous);
            if (current == previous) {
                assertThat(order[k]).isGreaterThan(order[k - 1]);
            }
        }
    }

    private static int[] identity(int n) {
        int[] id = new int[n];
        for (int i = 0; i < n; i++) {
            id[i] = i;
        }
        return id;
    }
}
