package org.lstm4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.lstm4j.io.OnnxProto.TensorProto;
import org.lstm4j.tensor.Tensor;

/**
 * An ONNX TensorProto's values as float32, from wherever the file keeps them: {@code raw_data}
 * (little-endian), the typed fields ({@code float_data}, {@code double_data}, {@code int64_data},
 * {@code int32_data}, which also carries float16/bfloat16 bit patterns), or an external data file.
 *
 * <pre>{@code
 * Tensor w = OnnxTensors.toFloat(initializer, source);   // source: the model file's ByteSource
 * }</pre>
 *
 * <p>Checks, before anything is allocated: every dim is non-negative and their product fits a
 * Java array; the data present is exactly dims' product × the type's size (so a header claiming
 * 2^40 floats over 48 bytes is refused); external data is a relative path that stays inside the
 * model's folder (also after symbolic links are resolved), and its offset and length lie inside
 * that file.
 */
final class OnnxTensors {
    private OnnxTensors() {
    }

    /** The DType of an ONNX data type, or null if lstm4j does not read it. */
    static DType dtype(int dataType) {
        return switch (dataType) {
            case OnnxProto.FLOAT -> DType.FLOAT32;
            case OnnxProto.UINT8 -> DType.UINT8;
            case OnnxProto.INT8 -> DType.INT8;
            case OnnxProto.INT16 -> DType.INT16;
            case OnnxProto.INT32 -> DType.INT32;
            case OnnxProto.INT64 -> DType.INT64;
            case OnnxProto.BOOL -> DType.BOOL;
            case OnnxProto.FLOAT16 -> DType.FLOAT16;
            case OnnxProto.DOUBLE -> DType.FLOAT64;
            case OnnxProto.BFLOAT16 -> DType.BFLOAT16;
            default -> null;
        };
    }

    /**
     * The number of elements dims declare, saturating at Long.MAX_VALUE (so a hostile header is
     * compared with the data it holds before anything is allocated).
     *
     * @throws IOException for a negative dim
     */
    static long declaredElements(TensorProto t, ByteSource src) throws IOException {
        long n = 1;
        for (long d : t.dims()) {
            if (d < 0) {
                throw src.error(describe(t) + ": dim " + d + " is negative");
            }
            n = n == 0 || d == 0 ? 0 : n > Long.MAX_VALUE / d ? Long.MAX_VALUE : n * d;
        }
        return n;
    }

    /** The shape as ints, once the data it declares is known to be present. */
    private static int[] shape(TensorProto t, long declared, ByteSource src) throws IOException {
        if (declared > Integer.MAX_VALUE - 8) {
            throw src.error(describe(t) + ": dims " + Arrays.toString(t.dims()) + " declare " + declared
                    + " elements, more than one Java array can hold");
        }
        int[] shape = new int[t.dims().length];
        for (int i = 0; i < shape.length; i++) {
            long d = t.dims()[i];
            if (d > Integer.MAX_VALUE) { // possible only beside a zero dim
                throw src.error(describe(t) + ": dim " + d + " is too large");
            }
            shape[i] = (int) d;
        }
        return shape;
    }

    /**
     * The tensor's values converted to float32 (see {@link DType} for the rounding of float64 and
     * integers).
     *
     * @throws IOException for an unsupported type, data of the wrong size, or bad external data
     */
    static Tensor toFloat(TensorProto t, ByteSource src) throws IOException {
        DType dtype = dtype(t.dataType());
        if (dtype == null) {
            throw src.error(describe(t) + ": data_type " + t.dataType() + " is not supported (supported: float, "
                    + "float16, bfloat16, double, int64, int32, int16, int8, uint8, bool)");
        }
        long declared = declaredElements(t, src);
        long expectedBytes = declared > Long.MAX_VALUE / dtype.itemSize ? Long.MAX_VALUE : declared * dtype.itemSize;
        boolean external = t.dataLocation() == OnnxProto.EXTERNAL;
        if (t.rawData() != null || external) {
            long present = external ? externalLength(t, expectedBytes, src) : t.rawData().remaining();
            if (present != expectedBytes) {
                throw src.error(describe(t) + ": dims " + Arrays.toString(t.dims()) + " declare " + declared + " "
                        + dtype.pytorchName + " values (" + expectedBytes + " bytes) but " + (external ? "external data"
                        : "raw_data") + " holds " + present + " bytes");
            }
            int[] shape = shape(t, declared, src);
            float[] values = new float[(int) declared];
            if (external) {
                dtype.toFloat(readExternal(t, expectedBytes, src), 0, values.length, ByteOrder.LITTLE_ENDIAN, values);
            } else {
                ByteBuffer raw = t.rawData();
                dtype.toFloat(raw.array(), raw.arrayOffset() + raw.position(), values.length, ByteOrder.LITTLE_ENDIAN,
                        values);
            }
            return Tensor.of(values, shape);
        }
        long[] typed = typedField(t, dtype);
        if (typed.length != declared) {
            throw src.error(describe(t) + ": dims " + Arrays.toString(t.dims()) + " declare " + declared + " "
                    + dtype.pytorchName + " values but " + typedFieldName(dtype) + " holds " + typed.length);
        }
        int[] shape = shape(t, declared, src);
        float[] values = new float[typed.length];
        for (int i = 0; i < values.length; i++) {
            long v = typed[i];
            values[i] = switch (dtype) {
                case FLOAT32 -> Float.intBitsToFloat((int) v);
                case FLOAT64 -> (float) Double.longBitsToDouble(v);
                case FLOAT16 -> DType.halfToFloat((short) v);
                case BFLOAT16 -> Float.intBitsToFloat(((int) v & 0xFFFF) << 16);
                case BOOL -> v != 0 ? 1f : 0f;
                case UINT8 -> (float) (v & 0xFF);
                case INT8 -> (float) (byte) v;
                case INT16 -> (float) (short) v;
                case INT32 -> (float) (int) v;
                case INT64 -> (float) v;
            };
        }
        return Tensor.of(values, shape);
    }

    /** "tensor 'name'" for messages. */
    static String describe(TensorProto t) {
        return "tensor '" + t.name() + "'";
    }

    /** The typed field that holds values of {@code dtype} when raw_data is absent (onnx.proto's rules). */
    private static long[] typedField(TensorProto t, DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> t.floatData();
            case FLOAT64 -> t.doubleData();
            case INT64 -> t.int64Data();
            default -> t.int32Data();
        };
    }

    private static String typedFieldName(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> "float_data";
            case FLOAT64 -> "double_data";
            case INT64 -> "int64_data";
            default -> "int32_data";
        };
    }

    /** The external data's length: the {@code length} entry if given, else what the file has past {@code offset}. */
    private static long externalLength(TensorProto t, long expectedBytes, ByteSource src) throws IOException {
        Map<String, String> entries = t.externalData();
        if (entries.containsKey("length")) {
            return number(entries, "length", t, src);
        }
        Path file = externalFile(t, src);
        long offset = entries.containsKey("offset") ? number(entries, "offset", t, src) : 0;
        return Math.max(0, Files.size(file) - offset);
    }

    private static byte[] readExternal(TensorProto t, long bytes, ByteSource src) throws IOException {
        Path file = externalFile(t, src);
        long offset = t.externalData().containsKey("offset") ? number(t.externalData(), "offset", t, src) : 0;
        try (ByteSource data = ByteSource.open(file)) {
            return data.read(offset, bytes, "external data of " + describe(t) + " in " + src.name());
        }
    }

    /**
     * The external data file: {@code location} resolved against the model's folder, refused if it
     * is absolute or leaves the folder (by "..", or by a symbolic link).
     */
    static Path externalFile(TensorProto t, ByteSource src) throws IOException {
        String location = t.externalData().get("location");
        if (location == null || location.isEmpty()) {
            throw src.error(describe(t) + ": external data without a location");
        }
        if (src.file() == null) {
            throw src.error(describe(t) + ": external data '" + location + "' needs the model's folder, and this model"
                    + " was not read from a file");
        }
        Path folder = src.file().toAbsolutePath().getParent();
        Path relative;
        try {
            relative = Path.of(location);
        } catch (InvalidPathException e) {
            throw src.error(describe(t) + ": external data location '" + location + "' is not a valid path");
        }
        Path resolved = folder.resolve(relative).normalize();
        if (relative.isAbsolute() || location.startsWith("/") || location.startsWith("\\")
                || !resolved.startsWith(folder.normalize())) {
            throw src.error(describe(t) + ": external data location '" + location + "' points outside the model's folder "
                    + folder + "; only paths inside it are read");
        }
        if (!Files.isRegularFile(resolved)) {
            throw src.error(describe(t) + ": external data file " + resolved + " does not exist or is not a file");
        }
        if (!resolved.toRealPath().startsWith(folder.toRealPath())) {
            throw src.error(describe(t) + ": external data location '" + location + "' is a link to "
                    + resolved.toRealPath() + ", outside the model's folder " + folder + "; only files inside it are read");
        }
        return resolved;
    }

    private static long number(Map<String, String> entries, String key, TensorProto t, ByteSource src)
            throws IOException {
        String text = entries.get(key);
        if (text.isEmpty() || text.length() > 18 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw src.error(describe(t) + ": external data " + key + " '" + text + "' is not a non-negative integer");
        }
        return Long.parseLong(text);
    }
}
