package org.lstm4j.nn;

import java.util.Arrays;
import java.util.Objects;
import org.lstm4j.autograd.Autograd;
import org.lstm4j.autograd.Variable;
import org.lstm4j.internal.TensorData;
import org.lstm4j.math.PackingMath;
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
 * Variable padded = out.output().pad(true, 0f, null);                 // (4, 7, D·H_out)
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
        return PackedSequence.lengths(batchSizes, sortedIndices);
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
     * {@code pack_padded_sequence(padded, lengths, batchFirst, enforceSorted)} on the tape:
     * padded is (T, N, *) or (N, T, *) with batchFirst; same checks and layout as
     * {@link org.lstm4j.nn.utils.Rnn#packPaddedSequence}.
     */
    public static PackedVariable pack(Variable padded, int[] lengths, boolean batchFirst, boolean enforceSorted) {
        Objects.requireNonNull(padded, "padded");
        int[] shape = padded.shape();
        PackingMath.PackLayout layout = PackingMath.packLayout(shape, lengths, batchFirst, enforceSorted);
        int[] entries = layout.paddedEntries();
        int inner = PackingMath.entrySize(shape);
        float[] src = TensorData.array(padded.value());
        float[] dst = new float[entries.length * inner];
        for (int r = 0; r < entries.length; r++) {
            System.arraycopy(src, entries[r] * inner, dst, r * inner, inner);
        }
        int[] dataShape = Arrays.copyOfRange(shape, 1, shape.length);
        dataShape[0] = entries.length;
        Variable data = Autograd.record("pack", new Variable[] {padded}, false, Tensor.of(dst, dataShape),
                (dOut, dIn) -> addRows(TensorData.array(dOut[0]), TensorData.array(dIn[0]), entries, inner, false));
        return new PackedVariable(data, layout.batchSizes(), layout.sortedIndices(), layout.unsortedIndices());
    }

    /**
     * {@code pad_packed_sequence(self, batchFirst, paddingValue, totalLength)} on the tape:
     * (T, N, *) or (N, T, *) with batchFirst, T = totalLength, or the longest length when null.
     * Use {@link #lengths()} for the lengths PyTorch returns alongside.
     */
    public Variable pad(boolean batchFirst, float paddingValue, Integer totalLength) {
        int steps = PackingMath.paddedLength(batchSizes.length, totalLength);
        int batch = batchSize();
        int[] shape = PackingMath.paddedShape(data.shape(), steps, batch, batchFirst);
        int inner = PackingMath.entrySize(shape);
        int[] entries = PackingMath.paddedEntries(batchSizes, sortedIndices, steps, batch, batchFirst);
        Tensor out = Tensor.full(paddingValue, shape);
        float[] src = TensorData.array(data.value());
        for (int r = 0; r < entries.length; r++) {
            System.arraycopy(src, r * inner, TensorData.array(out), entries[r] * inner, inner);
        }
        return Autograd.record("pad", new Variable[] {data}, false, out,
                (dOut, dIn) -> addRows(TensorData.array(dOut[0]), TensorData.array(dIn[0]), entries, inner, true));
    }

    /**
     * Backward of pack / pad: adds gradient rows between packed row r and padded entry
     * entries[r] — packed into padded ({@code fromPadded} false) or padded into packed (true).
     */
    private static void addRows(float[] dOut, float[] dIn, int[] entries, int inner, boolean fromPadded) {
        for (int r = 0; r < entries.length; r++) {
            int packed = r * inner;
            int padded = entries[r] * inner;
            int src = fromPadded ? padded : packed;
            int dst = fromPadded ? packed : padded;
            for (int j = 0; j < inner; j++) {
                dIn[dst + j] += dOut[src + j];
            }
        }
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
