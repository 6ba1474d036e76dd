package org.lstm4j.math;

import java.util.Arrays;
import java.util.Objects;
import org.lstm4j.tensor.Tensor;

/**
 * Where each row of a packed sequence comes from in the padded batch, and back: the layout
 * arithmetic of PyTorch's {@code pack_padded_sequence} / {@code pad_packed_sequence}, with its
 * checks and messages. One place for the tensor version ({@code nn.utils.Rnn}) and the autograd
 * version ({@code nn.PackedVariable}), so both check and sort alike.
 *
 * <p>Shapes: T = padded length, N = batch, * = trailing dimensions; padded (T, N, *) or, with
 * batchFirst, (N, T, *); packed data (R, *) with R = the sum of the lengths.
 */
public final class PackingMath {

    private PackingMath() {
    }

    /**
     * How a padded batch packs: the packed sequence's batchSizes and indices, and for each packed
     * row r the entry {@code paddedEntries[r]} of the padded tensor it comes from, counting
     * (t, b) entries in the padded (T, N) or, with batchFirst, (N, T) order. Shared by
     * {@code Rnn.packPaddedSequence} and {@code PackedVariable.pack}, so both check and sort alike.
     */
    public record PackLayout(int[] batchSizes, int[] sortedIndices, int[] unsortedIndices, int[] paddedEntries) {
    }

    /**
     * The layout of {@code Rnn.packPaddedSequence(input, lengths, batchFirst, enforceSorted)} for an
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
}
