package org.lstm4j.tensor;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;
import org.lstm4j.internal.ArraySizes;
import org.lstm4j.internal.TensorData;

/**
 * A small float32 N-d array: a row-major {@code float[]} plus a shape. Always contiguous.
 *
 * <p>This is deliberately not a general tensor library: it has what an LSTM and its users need
 * (factories, element access, reshape / permute / transpose, comparison) and nothing more.
 *
 * <pre>{@code
 * Tensor x = Tensor.randn(42, 5, 3, 10);   // (L=5, N=3, H_in=10)
 * float v = x.get(4, 2, 9);
 * Tensor last = x.select(0, -1);           // (3, 10), like x[-1] in PyTorch
 * }</pre>
 *
 * <p>{@link #data()} returns the backing array itself (no copy); {@link #reshape} shares it too.
 * Every other operation returns a new tensor.
 *
 * <p>Like a PyTorch tensor, a tensor counts its in-place changes in {@link #version()} (shared
 * with its reshaped views): {@link #set} and {@link #data()} move it. Layers use it to notice
 * that weights changed since they were laid out into panels, and the backward pass to refuse
 * gradients of values that changed since the forward pass.
 */
public final class Tensor {

    static {
        TensorData.install(tensor -> tensor.data);
    }

    /** PyTorch's {@code _version}: one counter shared by a tensor and its views. */
    private static final class VersionCounter {
        int value;
    }

    private final float[] data;
    private final int[] shape;
    private final VersionCounter version;

    private Tensor(float[] data, int[] shape) {
        this(data, shape, new VersionCounter());
    }

    private Tensor(float[] data, int[] shape, VersionCounter version) {
        this.data = data;
        this.shape = shape;
        this.version = version;
    }

    /** Wraps {@code data} (no copy) as a tensor of the given shape. */
    public static Tensor of(float[] data, int... shape) {
        Objects.requireNonNull(data, "data");
        int[] s = checkedShape(shape);
        long n = numel(s);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(s) + " needs " + n
                    + " elements, got " + data.length);
        }
        return new Tensor(data, s);
    }

    /** A 0-d tensor holding one value. */
    public static Tensor scalar(float value) {
        return new Tensor(new float[] {value}, new int[0]);
    }

    public static Tensor zeros(int... shape) {
        int[] s = checkedShape(shape);
        int length = allocationSize(s);
        try {
            return new Tensor(new float[length], s);
        } catch (OutOfMemoryError e) {
            throw ArraySizes.outOfMemory("a tensor of shape " + Arrays.toString(s), length);
        }
    }

    public static Tensor full(float value, int... shape) {
        Tensor t = zeros(shape);
        Arrays.fill(t.data, value);
        return t;
    }

    /** Standard normal samples from a generator seeded with {@code seed}; same seed, same tensor. */
    public static Tensor randn(long seed, int... shape) {
        Tensor t = zeros(shape);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < t.data.length; i++) {
            t.data[i] = (float) random.nextGaussian();
        }
        return t;
    }

    /** Uniform samples in [low, high) from a generator seeded with {@code seed}. */
    public static Tensor uniform(long seed, float low, float high, int... shape) {
        Tensor t = zeros(shape);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < t.data.length; i++) {
            t.data[i] = (float) random.nextDouble(low, high);
        }
        return t;
    }

    /**
     * The backing array, row-major. Not a copy: writes are visible through this tensor.
     *
     * <p>Handing out the writable array counts as a change: {@link #version()} moves, so a layer
     * whose weights these are repacks them before its next forward pass, and a backward pass
     * that needs these values refuses to run on changed ones. Write before the next call that
     * reads this tensor; if you keep the array and write to it later, call {@link #markChanged()}
     * after writing. To read without marking a change use {@link #get} or {@link #copy()}.
     */
    public float[] data() {
        version.value++;
        return data;
    }

    /**
     * How many times the values were changed in place (PyTorch's {@code tensor._version}); shared
     * with views made by {@link #reshape}. {@link #set}, {@link #data()} and
     * {@link #markChanged()} move it.
     */
    public int version() {
        return version.value;
    }

    /** Records that the values were changed in place (through an array kept from {@link #data()}). */
    public void markChanged() {
        version.value++;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    public int dim() {
        return shape.length;
    }

    public int numel() {
        return data.length;
    }

    /** Size of dimension {@code dim}; negative dims count from the end as in PyTorch. */
    public int size(int dim) {
        return shape[normalizeDim(dim, shape.length)];
    }

    public float get(int... index) {
        return data[offset(index)];
    }

    public void set(float value, int... index) {
        data[offset(index)] = value;
        version.value++;
    }

    /** The single value of a one-element tensor. */
    public float item() {
        if (data.length != 1) {
            throw new IllegalArgumentException("item() needs a tensor with one element, got shape "
                    + Arrays.toString(shape));
        }
        return data[0];
    }

    public Tensor copy() {
        return new Tensor(data.clone(), shape.clone());
    }

    /**
     * Same data, new shape (a view: shares the backing array and the {@link #version()} counter).
     * One dimension may be -1.
     */
    public Tensor reshape(int... newShape) {
        int[] s = newShape.clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (inferred >= 0) {
                    throw new IllegalArgumentException("only one dimension can be inferred, got "
                            + Arrays.toString(newShape));
                }
                inferred = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException("invalid shape dimension " + s[i] + " in "
                        + Arrays.toString(newShape));
            } else {
                known *= s[i];
            }
        }
        if (inferred >= 0) {
            if (known == 0 || data.length % known != 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(newShape)
                        + " is invalid for input of size " + data.length);
            }
            s[inferred] = (int) (data.length / known);
        }
        if (numel(s) != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(newShape)
                    + " is invalid for input of size " + data.length);
        }
        return new Tensor(data, s, version);
    }

    /** A copy with dimensions reordered: result dim i is this tensor's dim {@code dims[i]}. */
    public Tensor permute(int... dims) {
        int n = shape.length;
        if (dims.length != n) {
            throw new IllegalArgumentException("permute: expected " + n + " dims, got "
                    + Arrays.toString(dims));
        }
        int[] order = new int[n];
        boolean[] seen = new boolean[n];
        for (int i = 0; i < n; i++) {
            order[i] = normalizeDim(dims[i], n);
            if (seen[order[i]]) {
                throw new IllegalArgumentException("permute: repeated dim in " + Arrays.toString(dims));
            }
            seen[order[i]] = true;
        }
        int[] newShape = new int[n];
        for (int i = 0; i < n; i++) {
            newShape[i] = shape[order[i]];
        }
        int[] srcStrides = strides(shape);
        int[] stridesInNewOrder = new int[n];
        for (int i = 0; i < n; i++) {
            stridesInNewOrder[i] = srcStrides[order[i]];
        }
        float[] out = new float[data.length];
        int[] index = new int[n];
        int src = 0;
        for (int dst = 0; dst < out.length; dst++) {
            out[dst] = data[src];
            // Odometer increment over the new shape, tracking the source offset incrementally.
            for (int d = n - 1; d >= 0; d--) {
                index[d]++;
                src += stridesInNewOrder[d];
                if (index[d] < newShape[d]) {
                    break;
                }
                src -= stridesInNewOrder[d] * newShape[d];
                index[d] = 0;
            }
        }
        return new Tensor(out, newShape);
    }

    /** A copy with dimensions {@code dim0} and {@code dim1} swapped. */
    public Tensor transpose(int dim0, int dim1) {
        int n = shape.length;
        int[] dims = new int[n];
        for (int i = 0; i < n; i++) {
            dims[i] = i;
        }
        int a = normalizeDim(dim0, n);
        int b = normalizeDim(dim1, n);
        dims[a] = b;
        dims[b] = a;
        return permute(dims);
    }

    /** A copy of index {@code index} along {@code dim}, that dim removed (PyTorch's x[..., i, ...]). */
    public Tensor select(int dim, int index) {
        int d = normalizeDim(dim, shape.length);
        int i = normalizeIndex(index, shape[d], d);
        Tensor slice = narrow(d, i, 1);
        int[] newShape = new int[shape.length - 1];
        for (int k = 0, j = 0; k < shape.length; k++) {
            if (k != d) {
                newShape[j++] = shape[k];
            }
        }
        return new Tensor(slice.data, newShape);
    }

    /** A copy of {@code length} entries starting at {@code start} along {@code dim}. */
    public Tensor narrow(int dim, int start, int length) {
        int d = normalizeDim(dim, shape.length);
        if (start < 0 || length < 0 || start + length > shape[d]) {
            throw new IllegalArgumentException("narrow: range [" + start + ", " + (start + length)
                    + ") out of bounds for dimension " + d + " of size " + shape[d]);
        }
        int outer = 1;
        for (int k = 0; k < d; k++) {
            outer *= shape[k];
        }
        int inner = 1;
        for (int k = d + 1; k < shape.length; k++) {
            inner *= shape[k];
        }
        int[] newShape = shape.clone();
        newShape[d] = length;
        float[] out = new float[outer * length * inner];
        for (int o = 0; o < outer; o++) {
            System.arraycopy(data, (o * shape[d] + start) * inner, out, o * length * inner, length * inner);
        }
        return new Tensor(out, newShape);
    }

    /** Largest |this - other| over all elements; shapes must match. */
    public float maxAbsDiff(Tensor other) {
        requireSameShape(other);
        float max = 0f;
        for (int i = 0; i < data.length; i++) {
            float diff = Math.abs(data[i] - other.data[i]);
            if (Float.isNaN(diff)) {
                return Float.NaN;
            }
            max = Math.max(max, diff);
        }
        return max;
    }

    /** PyTorch's allclose: |a - b| ≤ atol + rtol·|b| everywhere; false on shape mismatch or NaN. */
    public boolean allClose(Tensor other, double rtol, double atol) {
        if (!Arrays.equals(shape, other.shape)) {
            return false;
        }
        for (int i = 0; i < data.length; i++) {
            double a = data[i];
            double b = other.data[i];
            if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) {
                return false;
            }
        }
        return true;
    }

    /** PyTorch's default tolerances: rtol 1e-5, atol 1e-8. */
    public boolean allClose(Tensor other) {
        return allClose(other, 1e-5, 1e-8);
    }

    /** Equal shapes and bit-identical values. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    /** Shape and the first few values, e.g. {@code Tensor(shape=[2, 3], data=[0.1, 0.2, ...])}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor(shape=").append(Arrays.toString(shape)).append(", data=[");
        int shown = Math.min(data.length, 6);
        for (int i = 0; i < shown; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(data[i]);
        }
        if (shown < data.length) {
            sb.append(", ... (").append(data.length - shown).append(" more)");
        }
        return sb.append("])").toString();
    }

    /** Shape formatted as PyTorch prints it in error messages: {@code [2, 4, 20]}. */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    void requireSameShape(Tensor other) {
        if (!Arrays.equals(shape, other.shape)) {
            throw new IllegalArgumentException("shape mismatch: " + Arrays.toString(shape) + " vs "
                    + Arrays.toString(other.shape));
        }
    }

    private int offset(int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("expected " + shape.length + " indices, got " + index.length);
        }
        int off = 0;
        for (int d = 0; d < shape.length; d++) {
            off = off * shape[d] + normalizeIndex(index[d], shape[d], d);
        }
        return off;
    }

    private static int normalizeIndex(int index, int size, int dim) {
        int i = index < 0 ? index + size : index;
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("index " + index + " is out of bounds for dimension "
                    + dim + " with size " + size);
        }
        return i;
    }

    private static int normalizeDim(int dim, int rank) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) {
            throw new IllegalArgumentException("Dimension out of range (expected to be in range of ["
                    + -rank + ", " + (rank - 1) + "], but got " + dim + ")");
        }
        return d;
    }

    private static int[] strides(int[] shape) {
        int[] strides = new int[shape.length];
        int s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = s;
            s *= shape[d];
        }
        return strides;
    }

    private static int[] checkedShape(int[] shape) {
        Objects.requireNonNull(shape, "shape");
        for (int s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
        }
        return shape.clone();
    }

    /**
     * Number of elements of {@code shape}, exactly (a long product of ints cannot overflow for up
     * to two dims; beyond that an overflow is an error, not a saturated or wrapped count).
     *
     * @throws IllegalArgumentException if a dim is negative or the count exceeds a long
     */
    public static long numel(int[] shape) {
        long n = 1;
        for (int s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, s);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more elements than a long"
                        + " can count");
            }
        }
        return n;
    }

    private static int allocationSize(int[] shape) {
        long n = numel(shape);
        if (n > ArraySizes.MAX_LENGTH) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + n
                    + " elements, more than a Java array holds (" + ArraySizes.MAX_LENGTH + ")");
        }
        return (int) n;
    }
}
