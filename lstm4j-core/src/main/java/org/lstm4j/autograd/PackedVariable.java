package org.lstm4j.autograd;

import java.util.Arrays;
import java.util.Objects;
import org.lstm4j.nn.PackedSequence;
import org.lstm4j.tensor.Tensor;

/**
 * A {@link PackedSequence} whose data is a {@link Variable}, so gradients flow through packing,
 * the LSTM and unpacking: PyTorch's {@code pack_padded_sequence} / {@code pad_packed_sequence}
 * on tensors that require grad.
 *
 * <pre>{@code
 * Variable embedded = embedding.forward(tokens, 4, 7);                 // (N=4, L=7, E)
 * PackedVariable packed = PackedVariable.pack(embedded, lengths, true, false);
 * LSTM.PackedVariableOutput out = lstm.forward(packed, null, null);
 * Variable padded = out.output().pad(true, 0f, 0);                    // (4, 7, D·H_out)
 * }</pre>
 *
 * Layout as in {@link PackedSequence}: data (R, *), step t owns batchSizes[t] rows, longest
 * sequence first; sortedIndices / unsortedIndices are null when the batch was already sorted.
 */
public record PackedVariable(Variable data, int[] batchSizes, int[] sortedIndices, int[] unsortedIndices) {

    public PackedVariable {
        Objects.requireNonNull(data, "data");
        // PackedSequence validates the layout and copies the arrays.
        PackedSequence layout = new PackedSequence(data.value(), batchSizes, sortedIndices, unsortedIndices);
        batchSizes = layout.batchSizes();
        sortedIndices = layout.sortedIndices();
        unsortedIndices = layout.unsortedIndices();
    }

    /** A packed sequence as constant data (no gradient for it). */
    public static PackedVariable of(PackedSequence sequence) {
        return new PackedVariable(Variable.of(sequence.data()), sequence.batchSizes(), sequence.sortedIndices(),
                sequence.unsortedIndices());
    }

    /** The layout with the current value of the data. */
    public PackedSequence toPackedSequence() {
        return new PackedSequence(data.value(), batchSizes, sortedIndices, unsortedIndices);
    }

    /** The number of sequences, batchSizes[0]. */
    public int batchSize() {
        return batchSizes[0];
    }

    /** Each sequence's length, in the caller's batch order. */
    public int[] lengths() {
        int batch = batchSize();
        int[] lengths = new int[batch];
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

    /**
     * {@code pack_padded_sequence(padded, lengths, batchFirst, enforceSorted)}: padded is
     * (L, N, *) or (N, L, *) with batchFirst; lengths[k] is sequence k's length.
     */
    public static PackedVariable pack(Variable padded, int[] lengths, boolean batchFirst, boolean enforceSorted) {
        Objects.requireNonNull(padded, "padded");
        Objects.requireNonNull(lengths, "lengths");
        int[] shape = padded.shape();
        if (shape.length < 2) {
            throw new IllegalArgumentException("pack expects padded input of at least 2 dimensions, got "
                    + padded.value().shapeString());
        }
        int steps = shape[batchFirst ? 1 : 0];
        int batch = shape[batchFirst ? 0 : 1];
        if (lengths.length != batch) {
            throw new IllegalArgumentException("Expected `len(lengths)` to be equal to batch_size, but got "
                    + lengths.length + " (batch_size=" + batch + ")");
        }
        Integer[] order = new Integer[batch];
        for (int k = 0; k < batch; k++) {
            if (lengths[k] <= 0) {
                throw new IllegalArgumentException("Length of all samples has to be greater than 0, but found an"
                        + " element in 'lengths' that is <= 0: " + Arrays.toString(lengths));
            }
            if (lengths[k] > steps) {
                throw new IllegalArgumentException("lengths must not exceed the padded length " + steps + ", got "
                        + Arrays.toString(lengths));
            }
            if (enforceSorted && k > 0 && lengths[k] > lengths[k - 1]) {
                throw new IllegalArgumentException("`lengths` array must be sorted in decreasing order when"
                        + " `enforce_sorted` is True. You can pass `enforce_sorted=False` to pack_padded_sequence"
                        + " and/or pack_sequence to sidestep this requirement if you do not need ONNX"
                        + " exportability. Got " + Arrays.toString(lengths));
            }
            order[k] = k;
        }
        Arrays.sort(order, (a, b) -> Integer.compare(lengths[b], lengths[a])); // stable
        int[] sorted = new int[batch];
        int[] unsorted = new int[batch];
        boolean identity = true;
        for (int k = 0; k < batch; k++) {
            sorted[k] = order[k];
            unsorted[order[k]] = k;
            identity &= order[k] == k;
        }
        int maxLength = lengths[sorted[0]];
        int[] batchSizes = new int[maxLength];
        for (int t = 0; t < maxLength; t++) {
            int live = 0;
            while (live < batch && lengths[sorted[live]] > t) {
                live++;
            }
            batchSizes[t] = live;
        }
        int[] sortedOrNull = identity ? null : sorted; // enforceSorted input is already in order
        int[] rowSource = paddedRows(batchSizes, sorted, batchFirst, steps, batch);
        int feature = featureSize(shape);
        int rows = rowSource.length;
        float[] src = padded.value().data();
        float[] dst = new float[rows * feature];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src, rowSource[r] * feature, dst, r * feature, feature);
        }
        int[] dataShape = Arrays.copyOfRange(shape, 1, shape.length);
        dataShape[0] = rows;
        Variable data = Autograd.record("pack", new Variable[] {padded}, false, Tensor.of(dst, dataShape),
                (dOut, dIn) -> scatterRows(dOut[0].data(), dIn[0].data(), rowSource, feature));
        return new PackedVariable(data, batchSizes, sortedOrNull, sortedOrNull == null ? null : unsorted);
    }

    /**
     * {@code pad_packed_sequence(self, batchFirst, paddingValue, totalLength)}: (T, N, *) or
     * (N, T, *) with batchFirst, T = totalLength, or the longest length when totalLength is 0.
     * Use {@link #lengths()} for the lengths PyTorch returns alongside.
     */
    public Variable pad(boolean batchFirst, float paddingValue, int totalLength) {
        int steps = batchSizes.length;
        if (totalLength != 0 && totalLength < steps) {
            throw new IllegalArgumentException("Expected total_length to be at least the length of the longest"
                    + " sequence in input, but got total_length=" + totalLength + " and max sequence length being "
                    + steps);
        }
        int paddedSteps = totalLength == 0 ? steps : totalLength;
        int batch = batchSize();
        int[] order = sortedIndices;
        if (order == null) {
            order = new int[batch];
            Arrays.setAll(order, k -> k);
        }
        int[] rowTarget = paddedRows(batchSizes, order, batchFirst, paddedSteps, batch);
        int[] dataShape = data.shape();
        int feature = featureSizeOfRows(dataShape);
        float[] out = new float[paddedSteps * batch * feature];
        Arrays.fill(out, paddingValue);
        float[] src = data.value().data();
        for (int r = 0; r < rowTarget.length; r++) {
            System.arraycopy(src, r * feature, out, rowTarget[r] * feature, feature);
        }
        int[] shape = new int[dataShape.length + 1];
        shape[0] = batchFirst ? batch : paddedSteps;
        shape[1] = batchFirst ? paddedSteps : batch;
        System.arraycopy(dataShape, 1, shape, 2, dataShape.length - 1);
        return Autograd.record("pad", new Variable[] {data}, false, Tensor.of(out, shape), (dOut, dIn) -> {
            float[] dy = dOut[0].data();
            float[] dx = dIn[0].data();
            for (int r = 0; r < rowTarget.length; r++) {
                int s = rowTarget[r] * feature;
                int d = r * feature;
                for (int j = 0; j < feature; j++) {
                    dx[d + j] += dy[s + j];
                }
            }
        });
    }

    /** For packed row r (step t, sorted position k): its row in the padded (steps, batch) or (batch, steps) grid. */
    private static int[] paddedRows(int[] batchSizes, int[] sorted, boolean batchFirst, int steps, int batch) {
        int rows = 0;
        for (int bs : batchSizes) {
            rows += bs;
        }
        int[] target = new int[rows];
        int r = 0;
        for (int t = 0; t < batchSizes.length; t++) {
            for (int k = 0; k < batchSizes[t]; k++) {
                int n = sorted[k];
                target[r++] = batchFirst ? n * steps + t : t * batch + n;
            }
        }
        return target;
    }

    private static void scatterRows(float[] dPacked, float[] dPadded, int[] rowSource, int feature) {
        for (int r = 0; r < rowSource.length; r++) {
            int d = rowSource[r] * feature;
            int s = r * feature;
            for (int j = 0; j < feature; j++) {
                dPadded[d + j] += dPacked[s + j];
            }
        }
    }

    /** Elements per (t, n) slot of a padded shape: the product of dims after the first two. */
    private static int featureSize(int[] paddedShape) {
        int f = 1;
        for (int d = 2; d < paddedShape.length; d++) {
            f *= paddedShape[d];
        }
        return f;
    }

    /** Elements per packed row: the product of dims after the first. */
    private static int featureSizeOfRows(int[] dataShape) {
        int f = 1;
        for (int d = 1; d < dataShape.length; d++) {
            f *= dataShape[d];
        }
        return f;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PackedVariable p && data == p.data && Arrays.equals(batchSizes, p.batchSizes)
                && Arrays.equals(sortedIndices, p.sortedIndices);
    }

    @Override
    public int hashCode() {
        return Objects.hash(System.identityHashCode(data), Arrays.hashCode(batchSizes));
    }

    @Override
    public String toString() {
        return "PackedVariable(data=" + data + ", batchSizes=" + Arrays.toString(batchSizes) + ", sortedIndices="
                + Arrays.toString(sortedIndices) + ")";
    }
}
