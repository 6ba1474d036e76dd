package org.lstm4j.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a file says about one tensor: its name, its element type as stored, and its shape.
 *
 * <pre>{@code
 * for (TensorInfo info : StateDicts.read(Path.of("lstm.pt")).infos()) {
 *     System.out.println(info);   // lstm.weight_ih_l0  float32  [512, 31]
 * }
 * }</pre>
 *
 * @param name  the tensor's key, dotted for nested dicts ({@code "lstm.weight_ih_l0"})
 * @param dtype the stored type as PyTorch names it: {@code float32}, {@code float16},
 *              {@code bfloat16}, {@code float64}, {@code int64}, {@code int32}, {@code int16},
 *              {@code int8}, {@code uint8}, {@code bool}; the loaded tensor is float32 regardless
 * @param shape the shape ({@code []} for a 0-d tensor)
 */
public record TensorInfo(String name, String dtype, int[] shape) {
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = Objects.requireNonNull(shape, "shape").clone();
    }

    /** A copy of the shape. */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Number of elements, as a long (product of the shape). */
    public long numel() {
        long n = 1;
        for (int s : shape) {
            n *= s;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype.equals(t.dtype)
                && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape));
    }

    /** {@code name  dtype  [d0, d1, ...]}. */
    @Override
    public String toString() {
        return name + "  " + dtype + "  " + Arrays.toString(shape);
    }
}
