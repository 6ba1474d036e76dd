package org.lstm4j.nn;

import java.util.Arrays;
import java.util.Objects;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.nn.utils.rnn.PackedSequence}: a batch of variable-length sequences
 * stored time step after time step, without padding.
 *
 * <p>{@code data} is (R, *) where R = sum of {@code batchSizes}; step t holds
 * {@code batchSizes[t]} rows, one for each sequence still running at t, longest sequence first.
 * {@code sortedIndices[k]} is the caller's batch index of the k-th longest sequence and
 * {@code unsortedIndices} is its inverse; both are null when the batch was already sorted
 * ({@code enforceSorted=true}). Build one with {@code org.lstm4j.nn.utils.Rnn.packPaddedSequence}.
 */
public record PackedSequence(Tensor data, int[] batchSizes, int[] sortedIndices, int[] unsortedIndices) {

    public PackedSequence {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(batchSizes, "batchSizes");
        if (data.dim() < 1) {
            throw new IllegalArgumentException("PackedSequence data must have at least 1 dimension, got 0-D");
        }
        if (batchSizes.length == 0) {
            throw new IllegalArgumentException("PackedSequence needs at least one time step, got empty batchSizes");
        }
        long rows = 0;
        for (int t = 0; t < batchSizes.length; t++) {
            if (batchSizes[t] <= 0 || (t > 0 && batchSizes[t] > batchSizes[t - 1])) {
                throw new IllegalArgumentException("batchSizes must be positive and non-increasing, got "
                        + Arrays.toString(batchSizes));
            }
            rows += batchSizes[t];
        }
        if (rows != data.size(0)) {
            throw new IllegalArgumentException("batchSizes sum to " + rows + " rows but data has " + data.size(0)
                    + " rows (shape " + data.shapeString() + ")");
        }
        if ((sortedIndices == null) != (unsortedIndices == null)) {
            throw new IllegalArgumentException("sortedIndices and unsortedIndices must be both given or both null");
        }
        if (sortedIndices != null) {
            int batch = batchSizes[0];
            if (sortedIndices.length != batch || unsortedIndices.length != batch) {
                throw new IllegalArgumentException("sortedIndices and unsortedIndices must have batchSizes[0] = "
                        + batch + " entries, got " + sortedIndices.length + " and " + unsortedIndices.length);
            }
            for (int k = 0; k < batch; k++) {
                int s = sortedIndices[k];
                if (s < 0 || s >= batch || unsortedIndices[s] != k) {
                    throw new IllegalArgumentException("unsortedIndices must be the inverse permutation of"
                            + " sortedIndices, got " + Arrays.toString(sortedIndices) + " and "
                            + Arrays.toString(unsortedIndices));
                }
            }
            sortedIndices = sortedIndices.clone();
            unsortedIndices = unsortedIndices.clone();
        }
        batchSizes = batchSizes.clone();
    }

    /** The number of sequences: batchSizes[0]. */
    public int batchSize() {
        return batchSizes[0];
    }

    /** Each sequence's length, in the caller's batch order. */
    public int[] lengths() {
        return lengths(batchSizes, sortedIndices);
    }

    /** Each sequence's length, in the caller's order, from a packed layout. */
    public static int[] lengths(int[] batchSizes, int[] sortedIndices) {
        int[] lengths = new int[batchSizes[0]];
        for (int bs : batchSizes) {
            for (int k = 0; k < bs; k++) {
                lengths[sortedIndices == null ? k : sortedIndices[k]]++;
            }
        }
        return lengths;
    }

    @Override
    public int[] batchSizes() {
        return batchSizes.clone();
    }

    @Override
    public int[] sortedIndices() {
        return sortedIndices == null ? null : sortedIndices.clone();
    }

    @Override
    public int[] unsortedIndices() {
        return unsortedIndices == null ? null : unsortedIndices.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PackedSequence p && data.equals(p.data) && Arrays.equals(batchSizes, p.batchSizes)
                && Arrays.equals(sortedIndices, p.sortedIndices) && Arrays.equals(unsortedIndices, p.unsortedIndices);
    }

    @Override
    public int hashCode() {
        return Objects.hash(data, Arrays.hashCode(batchSizes), Arrays.hashCode(sortedIndices));
    }

    @Override
    public String toString() {
        return "PackedSequence(data=" + data + ", batchSizes=" + Arrays.toString(batchSizes) + ", sortedIndices="
                + Arrays.toString(sortedIndices) + ", unsortedIndices=" + Arrays.toString(unsortedIndices) + ")";
    }
}
