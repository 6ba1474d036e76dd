package org.lstm4j.nn.utils;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.lstm4j.internal.TensorData;
import org.lstm4j.math.PackingMath;
import org.lstm4j.nn.PackedSequence;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.nn.utils.rnn}: packing a batch of variable-length sequences so an
 * {@link org.lstm4j.nn.LSTM} reads each one only up to its own length, and padding the result
 * back.
 *
 * <pre>{@code
 * // three sequences of lengths 5, 2 and 3, padded to (N=3, T=5, H_in=10), batch first
 * PackedSequence packed = Rnn.packPaddedSequence(padded, new int[] {5, 2, 3}, true, false);
 * LSTM.PackedOutput out = lstm.forward(packed, null, null);
 * Tensor hN = out.hN();                             // (D·num_layers, 3, H_out), caller's order
 * Rnn.PaddedSequence unpacked = Rnn.padPackedSequence(out.output(), true, 0f, null);
 * unpacked.padded();                                 // (3, 5, D·H_out), zeros past each length
 * unpacked.lengths();                                // [5, 2, 3]
 * }</pre>
 *
 * <p>Shapes: T = padded length, N = batch, * = any trailing dimensions (none for labels,
 * H_in for LSTM input). Padded tensors are (T, N, *) or, with batchFirst, (N, T, *). A packed
 * sequence's data is (R, *) with R = sum of lengths, longest sequence first at every step (see
 * {@link PackedSequence}). With {@code enforceSorted = false} the batch is sorted by decreasing
 * length, ties keeping their order (a stable sort), and the permutation is stored in the packed
 * sequence; with {@code enforceSorted = true} the lengths must already be non-increasing and the
 * indices are null, as in PyTorch.
 *
 * <p>One difference to know about: PyTorch sorts with {@code torch.sort(lengths, descending=True)},
 * which is not stable, so for equal lengths its {@code sorted_indices} (and the order of those
 * rows in the packed data) can differ from lstm4j's. Everything given back in the caller's order
 * (padPackedSequence, and h_n / c_n of {@code LSTM.forward(PackedSequence, ...)}) is the same
 * either way.
 */
public final class Rnn {

    private Rnn() {
    }

    /**
     * The result of {@link #padPackedSequence}: PyTorch's {@code (padded, lengths)} tuple, both in
     * the caller's original batch order.
     *
     * @param padded  (T, N, *) or (N, T, *) with batchFirst; padding value past each length
     * @param lengths (N) each sequence's length
     */
    public record PaddedSequence(Tensor padded, int[] lengths) {
        public PaddedSequence {
            Objects.requireNonNull(padded, "padded");
            lengths = lengths.clone();
        }

        @Override
        public int[] lengths() {
            return lengths.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PaddedSequence p && padded.equals(p.padded) && Arrays.equals(lengths, p.lengths);
        }

        @Override
        public int hashCode() {
            return 31 * padded.hashCode() + Arrays.hashCode(lengths);
        }

        @Override
        public String toString() {
            return "PaddedSequence(padded=" + padded + ", lengths=" + Arrays.toString(lengths) + ")";
        }
    }

    /**
     * Packs a padded batch: PyTorch's {@code pack_padded_sequence(input, lengths, batch_first,
     * enforce_sorted)}.
     *
     * @param input         (T, N, *), or (N, T, *) with batchFirst; T at least max(lengths)
     * @param lengths       (N) length of each sequence, each in [1, T]
     * @param enforceSorted true: lengths must be non-increasing and the result has no indices;
     *                      false: the batch is sorted here (stably, longest first)
     * @throws IllegalArgumentException with PyTorch's wording for empty input, a lengths count
     *                                  other than N, a length ≤ 0 or unsorted lengths with
     *                                  enforceSorted; also for a length greater than T
     */
    public static PackedSequence packPaddedSequence(Tensor input, int[] lengths, boolean batchFirst,
                                                    boolean enforceSorted) {
        Objects.requireNonNull(input, "input");
        PackingMath.PackLayout layout = PackingMath.packLayout(input.shape(), lengths, batchFirst, enforceSorted);
        int[] entries = layout.paddedEntries();
        int inner = PackingMath.entrySize(input.shape());
        float[] src = TensorData.array(input);
        float[] data = new float[entries.length * inner];
        for (int r = 0; r < entries.length; r++) {
            System.arraycopy(src, entries[r] * inner, data, r * inner, inner);
        }
        int[] dataShape = Arrays.copyOfRange(input.shape(), 1, input.dim());
        dataShape[0] = entries.length;
        return new PackedSequence(Tensor.of(data, dataShape), layout.batchSizes(), layout.sortedIndices(),
                layout.unsortedIndices());
    }

    /**
     * Pads a packed batch back: PyTorch's {@code pad_packed_sequence(sequence, batch_first,
     * padding_value, total_length)}. Sequences come back in the caller's original order.
     *
     * @param totalLength T of the result, or null for the longest sequence's length
     * @throws IllegalArgumentException if totalLength is shorter than the longest sequence
     */
    public static PaddedSequence padPackedSequence(PackedSequence sequence, boolean batchFirst, float paddingValue,
                                                   Integer totalLength) {
        Objects.requireNonNull(sequence, "sequence");
        int[] batchSizes = sequence.batchSizes();
        int steps = PackingMath.paddedLength(batchSizes.length, totalLength);
        int batch = sequence.batchSize();
        Tensor data = sequence.data();
        Tensor padded = Tensor.full(paddingValue, PackingMath.paddedShape(data.shape(), steps, batch, batchFirst));
        int inner = PackingMath.entrySize(padded.shape());
        int[] entries = PackingMath.paddedEntries(batchSizes, sequence.sortedIndices(), steps, batch, batchFirst);
        float[] out = TensorData.array(padded);
        float[] src = TensorData.array(data);
        for (int r = 0; r < entries.length; r++) {
            System.arraycopy(src, r * inner, out, entries[r] * inner, inner);
        }
        return new PaddedSequence(padded, sequence.lengths());
    }

    /**
     * Stacks sequences of different lengths into one padded tensor: PyTorch's
     * {@code pad_sequence(sequences, batch_first, padding_value)}.
     *
     * @param sequences each (L_i, *), same trailing dimensions
     * @return (max L_i, N, *), or (N, max L_i, *) with batchFirst
     */
    public static Tensor padSequence(List<Tensor> sequences, boolean batchFirst, float paddingValue) {
        Objects.requireNonNull(sequences, "sequences");
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("received an empty list of sequences");
        }
        int[] first = sequences.get(0).shape();
        if (first.length < 1) {
            throw new IllegalArgumentException("Expected sequences of at least 1 dimension (L, *), got a 0-D tensor"
                    + " at index 0");
        }
        int[] trailing = Arrays.copyOfRange(first, 1, first.length);
        int maxLength = 0;
        for (int i = 0; i < sequences.size(); i++) {
            Tensor s = sequences.get(i);
            int[] shape = s.shape();
            if (shape.length < 1 || !Arrays.equals(Arrays.copyOfRange(shape, 1, shape.length), trailing)) {
                throw new IllegalArgumentException("Expected every sequence to have shape " + lengthShape(trailing)
                        + " like sequences[0], got " + s.shapeString() + " at index " + i);
            }
            maxLength = Math.max(maxLength, shape[0]);
        }
        int batch = sequences.size();
        int inner = (int) Tensor.numel(trailing);
        int[] outShape = new int[first.length + 1];
        outShape[0] = batchFirst ? batch : maxLength;
        outShape[1] = batchFirst ? maxLength : batch;
        System.arraycopy(trailing, 0, outShape, 2, trailing.length);
        Tensor out = Tensor.full(paddingValue, outShape);
        for (int b = 0; b < batch; b++) {
            float[] src = TensorData.array(sequences.get(b));
            int length = sequences.get(b).size(0);
            if (batchFirst) {
                System.arraycopy(src, 0, TensorData.array(out), b * maxLength * inner, length * inner);
            } else {
                for (int t = 0; t < length; t++) {
                    System.arraycopy(src, t * inner, TensorData.array(out), (t * batch + b) * inner, inner);
                }
            }
        }
        return out;
    }

    /**
     * Packs a list of sequences: PyTorch's {@code pack_sequence(sequences, enforce_sorted)}, i.e.
     * {@code packPaddedSequence(padSequence(sequences), lengths, false, enforceSorted)}.
     *
     * @param sequences each (L_i, *), L_i ≥ 1, same trailing dimensions
     */
    public static PackedSequence packSequence(List<Tensor> sequences, boolean enforceSorted) {
        Tensor padded = padSequence(sequences, false, 0f);
        int[] lengths = new int[sequences.size()];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = sequences.get(i).size(0);
        }
        return packPaddedSequence(padded, lengths, false, enforceSorted);
    }

    /** (L, d1, d2, ...) for the given trailing dimensions; (L) when there are none. */
    private static String lengthShape(int[] trailing) {
        StringBuilder sb = new StringBuilder("(L");
        for (int d : trailing) {
            sb.append(", ").append(d);
        }
        return sb.append(')').toString();
    }
}
