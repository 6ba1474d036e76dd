package org.lstm4j.nn.utils;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.lstm4j.internal.TensorData;
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
        PackLayout layout = packLayout(input.shape(), lengths, batchFirst, enforceSorted);
        int[] entries = layout.paddedEntries();
        int inner = entrySize(input.shape());
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
     * How a padded batch packs: the packed sequence's batchSizes and indices, and for each packed
     * row r the entry {@code paddedEntries[r]} of the padded tensor it comes from, counting
     * (t, b) entries in the padded (T, N) or, with batchFirst, (N, T) order. Shared by
     * {@link #packPaddedSequence} and the autograd version, so both check and sort alike.
     */
    public record PackLayout(int[] batchSizes, int[] sortedIndices, int[] unsortedIndices, int[] paddedEntries) {
    }

    /**
     * The layout of {@code packPaddedSequence(input, lengths, batchFirst, enforceSorted)} for an
     * input of shape {@code paddedShape}, with the same checks and messages.
     */
    public static PackLayout packLayout(int[] paddedShape, int[] lengths, boolean batchFirst, boolean enforceSorted) {
        Objects.requireNonNull(paddedShape, "paddedShape");
        Objects.requireNonNull(lengths, "lengths");
        if (paddedShape.length < 2) {
            throw new IllegalArgumentException("pack_padded_sequence expects input of at least 2 dimensions ("
                    + (batchFirst ? "N, T" : "T, N") + ", *), got " + paddedShape.length + "-D input of shape "
                    + Arrays.toString(paddedShape));
        }
        int steps = paddedShape[batchFirst ? 1 : 0];
        int batch = paddedShape[batchFirst ? 0 : 1];
        // Checks in PyTorch's order (aten/src/ATen/native/PackedSequence.cpp), so the same bad
        // input gets the same message.
        if (Tensor.numel(paddedShape) == 0) {
            throw new IllegalArgumentException("Cannot pack empty tensors.");
        }
        if (lengths.length != batch) {
            throw new IllegalArgumentException("Expected `len(lengths)` to be equal to batch_size, but got "
                    + lengths.length + " (batch_size=" + batch + ")");
        }
        int[] sortedIndices = null;
        int[] sortedLengths = lengths;
        if (!enforceSorted) {
            sortedIndices = stableSortDescending(lengths);
            sortedLengths = new int[batch];
            for (int k = 0; k < batch; k++) {
                sortedLengths[k] = lengths[sortedIndices[k]];
            }
        }
        if (sortedLengths[batch - 1] <= 0) {
            throw new IllegalArgumentException("Length of all samples has to be greater than 0, but found an element"
                    + " in 'lengths' that is <= 0");
        }
        for (int k = 1; k < batch; k++) {
            if (sortedLengths[k] > sortedLengths[k - 1]) {
                throw new IllegalArgumentException("`lengths` array must be sorted in decreasing order when"
                        + " `enforce_sorted` is True. You can pass `enforce_sorted=False` to pack_padded_sequence"
                        + " and/or pack_sequence to sidestep this requirement if you do not need ONNX"
                        + " exportability.");
            }
        }
        for (int b = 0; b < batch; b++) {
            if (lengths[b] > steps) {
                throw new IllegalArgumentException("Expected every length to be at most the padded sequence length "
                        + steps + " (input shape " + Arrays.toString(paddedShape) + (batchFirst ? ", batch_first" : "")
                        + "), but got lengths[" + b + "]=" + lengths[b]);
            }
        }
        int maxLength = sortedLengths[0];
        int[] batchSizes = new int[maxLength];
        for (int t = 0; t < maxLength; t++) {
            int live = 0;
            while (live < batch && sortedLengths[live] > t) {
                live++;
            }
            batchSizes[t] = live;
        }
        return new PackLayout(batchSizes, sortedIndices, sortedIndices == null ? null : invert(sortedIndices),
                paddedEntries(batchSizes, sortedIndices, steps, batch, batchFirst));
    }

    /**
     * For each packed row r (step t, sorted position k): its (t, b) entry in a padded tensor of
     * {@code steps} steps, b = sortedIndices[k] (or k when null).
     */
    public static int[] paddedEntries(int[] batchSizes, int[] sortedIndices, int steps, int batch, boolean batchFirst) {
        int rows = 0;
        for (int bs : batchSizes) {
            rows += bs;
        }
        int[] entries = new int[rows];
        int row = 0;
        for (int t = 0; t < batchSizes.length; t++) {
            for (int k = 0; k < batchSizes[t]; k++) {
                int b = sortedIndices == null ? k : sortedIndices[k];
                entries[row++] = batchFirst ? b * steps + t : t * batch + b;
            }
        }
        return entries;
    }

    /**
     * T of a padded result: {@code totalLength}, or the longest sequence's length when null.
     *
     * @throws IllegalArgumentException if totalLength is shorter than the longest sequence
     */
    public static int paddedLength(int longest, Integer totalLength) {
        if (totalLength == null) {
            return longest;
        }
        if (totalLength < longest) {
            throw new IllegalArgumentException("Expected total_length to be at least the length of the longest"
                    + " sequence in input, but got total_length=" + totalLength + " and max sequence length being "
                    + longest);
        }
        return totalLength;
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
        int steps = paddedLength(batchSizes.length, totalLength);
        int batch = sequence.batchSize();
        Tensor data = sequence.data();
        Tensor padded = Tensor.full(paddingValue, paddedShape(data.shape(), steps, batch, batchFirst));
        int inner = entrySize(padded.shape());
        int[] entries = paddedEntries(batchSizes, sequence.sortedIndices(), steps, batch, batchFirst);
        float[] out = TensorData.array(padded);
        float[] src = TensorData.array(data);
        for (int r = 0; r < entries.length; r++) {
            System.arraycopy(src, r * inner, out, entries[r] * inner, inner);
        }
        return new PaddedSequence(padded, sequence.lengths());
    }

    /** (T, N, *) or (N, T, *) for packed data of shape (R, *). */
    public static int[] paddedShape(int[] dataShape, int steps, int batch, boolean batchFirst) {
        int[] shape = new int[dataShape.length + 1];
        shape[0] = batchFirst ? batch : steps;
        shape[1] = batchFirst ? steps : batch;
        System.arraycopy(dataShape, 1, shape, 2, dataShape.length - 1);
        return shape;
    }

    /** Elements of one (t, b) entry of a padded shape: the product of the dimensions after the first two. */
    public static int entrySize(int[] paddedShape) {
        int size = 1;
        for (int d = 2; d < paddedShape.length; d++) {
            size *= paddedShape[d];
        }
        return size;
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

    /** Batch indices by decreasing length; equal lengths keep their order. */
    private static int[] stableSortDescending(int[] lengths) {
        Integer[] order = new Integer[lengths.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        // Arrays.sort on objects is a stable merge sort.
        Arrays.sort(order, (a, b) -> Integer.compare(lengths[b], lengths[a]));
        int[] result = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            result[i] = order[i];
        }
        return result;
    }

    private static int[] invert(int[] permutation) {
        int[] inverse = new int[permutation.length];
        for (int k = 0; k < permutation.length; k++) {
            inverse[permutation[k]] = k;
        }
        return inverse;
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
