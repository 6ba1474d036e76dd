package org.lstm4j.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.lstm4j.internal.TensorData;
import org.lstm4j.tensor.Tensor;

/**
 * Reads and writes <a href="https://github.com/huggingface/safetensors">safetensors</a> files.
 *
 * <pre>{@code
 * SafeTensors.write(Path.of("lstm.safetensors"), lstmStateDict, Map.of("format", "pt"));
 * StateDictFile file = SafeTensors.read(Path.of("lstm.safetensors"));
 * // PyTorch: safetensors.torch.load_file("lstm.safetensors")
 * }</pre>
 *
 * <p>Layout: an 8-byte little-endian header length N, N bytes of JSON
 * ({@code {"__metadata__": {...}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}}}),
 * then the data; offsets count from the end of the header.
 *
 * <p>Reading accepts F32, F16, BF16, F64, I64, I32, I16, I8, U8 and BOOL and converts all to float32
 * (integers above 2^24 round). It is as strict as the reference implementation: header at most
 * 100 MB and inside the file, every tensor's byte range exactly numel × itemsize, the ranges tiling
 * the data with no gap, overlap or trailing bytes. Tensors come back in data-offset order, which for
 * files written here is the order of the map they were written from (the reference writer sorts by
 * dtype, then name).
 *
 * <p>Writing produces F32 only, tensors in map order with increasing offsets, the header padded
 * with spaces to a multiple of 8 bytes as the reference writer does.
 */
public final class SafeTensors {
    /** The reference implementation's limit on the JSON header. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA_KEY = "__metadata__";

    private SafeTensors() {
    }

    /** Reads every tensor of a safetensors file; see the class comment for what is checked. */
    public static StateDictFile read(Path file) throws IOException {
        return ByteSource.parse(file, SafeTensors::read);
    }

    /** Writes {@code tensors} as F32 with no metadata. */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /**
     * Writes {@code tensors} as F32, in map order, with {@code metadata} as {@code __metadata__}
     * (omitted when empty; {@code transformers} expects {@code {"format": "pt"}}).
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(tensors, "tensors");
        Objects.requireNonNull(metadata, "metadata");
        byte[] header = header(tensors, metadata);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            byte[] length = new byte[8];
            ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
            out.write(length);
            out.write(header);
            for (Tensor t : tensors.values()) {
                writeFloats(out, TensorData.array(t));
            }
        }
    }

    static StateDictFile read(ByteSource src) throws IOException {
        if (src.size() < 8) {
            throw src.error("too short for a safetensors file: expected at least 8 bytes (the header length), got "
                    + src.size());
        }
        long headerLength = LittleEndian.i64(src.read(0, 8, "header length"), 0);
        long available = src.size() - 8;
        if (headerLength < 0 || headerLength > available) {
            throw src.error("safetensors header claims " + Long.toUnsignedString(headerLength)
                    + " bytes but the file has only " + available + " bytes after the length field");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw src.error("safetensors header is " + headerLength + " bytes, over the "
                    + MAX_HEADER_BYTES + "-byte limit");
        }
        String headerText = src.utf8(src.read(8, headerLength, "header"), 8, "safetensors header");
        Object parsed = Json.parse(headerText, src.name() + ": safetensors header");
        if (!(parsed instanceof Map<?, ?> header)) {
            throw src.error("safetensors header must be a JSON object, got " + typeName(parsed));
        }
        long dataStart = 8 + headerLength;
        long dataLength = src.size() - dataStart;

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA_KEY)) {
                metadata = metadata(e.getValue(), src);
            } else {
                entries.add(entry(name, e.getValue(), dataLength, src));
            }
        }
        // Like the reference implementation: the byte ranges, sorted, must tile the data exactly.
        entries.sort(Comparator.comparingLong(Entry::begin));
        long expectedBegin = 0;
        for (Entry entry : entries) {
            if (entry.begin != expectedBegin) {
                throw src.error("tensor '" + entry.name + "' data_offsets start at " + entry.begin + ", expected "
                        + expectedBegin + (entry.begin < expectedBegin ? " (overlaps the previous tensor)"
                        : " (gap after the previous tensor)"));
            }
            expectedBegin = entry.end;
        }
        if (expectedBegin != dataLength) {
            throw src.error("tensors cover " + expectedBegin + " bytes of data but the file has " + dataLength
                    + " bytes after the header");
        }

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> dtypes = new LinkedHashMap<>();
        for (Entry entry : entries) {
            byte[] bytes = src.read(dataStart + entry.begin, entry.end - entry.begin, "tensor '" + entry.name + "'");
            float[] values = new float[entry.numel];
            entry.dtype.toFloat(bytes, 0, entry.numel, ByteOrder.LITTLE_ENDIAN, values);
            tensors.put(entry.name, Tensor.of(values, entry.shape));
            dtypes.put(entry.name, entry.dtype.pytorchName);
        }
        return new StateDictFile(FileFormat.SAFETENSORS, tensors, dtypes, Map.of(), metadata);
    }

    /** One tensor's header entry, checked against the data section's length. */
    private record Entry(String name, DType dtype, int[] shape, int numel, long begin, long end) {
    }

    private static Entry entry(String name, Object value, long dataLength, ByteSource src) throws IOException {
        String where = "tensor '" + name + "'";
        if (!(value instanceof Map<?, ?> info)) {
            throw src.error(where + ": expected an object with dtype, shape and data_offsets, got " + typeName(value));
        }
        if (!(info.get("dtype") instanceof String dtypeName)) {
            throw src.error(where + ": \"dtype\" must be a string, got " + typeName(info.get("dtype")));
        }
        DType dtype = dtype(dtypeName);
        if (dtype == null) {
            throw src.error(where + ": dtype " + dtypeName
                    + " is not supported (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
        }
        long[] shape = integers(info.get("shape"), where + ": \"shape\"", src);
        long[] offsets = integers(info.get("data_offsets"), where + ": \"data_offsets\"", src);
        if (offsets.length != 2) {
            throw src.error(where + ": \"data_offsets\" must be [begin, end], got " + offsets.length + " numbers");
        }
        int[] intShape = new int[shape.length];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) {
                throw src.error(where + ": dimension " + shape[i] + " is too large");
            }
            intShape[i] = (int) shape[i];
            numel *= shape[i];
            if (numel > Integer.MAX_VALUE - 8) {
                throw src.error(where + ": shape has more elements than a Java array can hold");
            }
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataLength) {
            throw src.error(where + ": data_offsets [" + begin + ", " + end + "] are outside the "
                    + dataLength + " bytes of data");
        }
        long expectedBytes = numel * dtype.itemSize;
        if (end - begin != expectedBytes) {
            throw src.error(where + ": shape needs " + numel + " × " + dtype.itemSize + " = " + expectedBytes
                    + " bytes, data_offsets span " + (end - begin));
        }
        return new Entry(name, dtype, intShape, (int) numel, begin, end);
    }

    /** A JSON array of non-negative integers. */
    private static long[] integers(Object value, String where, ByteSource src) throws IOException {
        if (!(value instanceof List<?> list)) {
            throw src.error(where + " must be an array of integers, got " + typeName(value));
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long n)) {
                throw src.error(where + " must hold integers, got " + typeName(list.get(i)));
            }
            if (n < 0) {
                throw src.error(where + " must not be negative, got " + n);
            }
            out[i] = n;
        }
        return out;
    }

    private static Map<String, String> metadata(Object value, ByteSource src) throws IOException {
        if (!(value instanceof Map<?, ?> map)) {
            throw src.error("__metadata__ must be an object of strings, got " + typeName(value));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw src.error("__metadata__[\"" + e.getKey() + "\"] must be a string, got " + typeName(e.getValue()));
            }
            metadata.put((String) e.getKey(), s);
        }
        return metadata;
    }

    private static DType dtype(String name) {
        return switch (name) {
            case "F64" -> DType.FLOAT64;
            case "F32" -> DType.FLOAT32;
            case "F16" -> DType.FLOAT16;
            case "BF16" -> DType.BFLOAT16;
            case "I64" -> DType.INT64;
            case "I32" -> DType.INT32;
            case "I16" -> DType.INT16;
            case "I8" -> DType.INT8;
            case "U8" -> DType.UINT8;
            case "BOOL" -> DType.BOOL;
            default -> null;
        };
    }

    static byte[] header(Map<String, Tensor> tensors, Map<String, String> metadata) {
        StringBuilder sb = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            Json.appendString(sb, METADATA_KEY);
            sb.append(":{");
            boolean first = true;
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                Json.appendString(sb, Objects.requireNonNull(e.getKey(), "metadata key"));
                sb.append(':');
                Json.appendString(sb, Objects.requireNonNull(e.getValue(), "metadata value for " + e.getKey()));
            }
            sb.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = Objects.requireNonNull(e.getKey(), "tensor name");
            Tensor t = Objects.requireNonNull(e.getValue(), "tensor " + name);
            if (name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor cannot be named " + METADATA_KEY);
            }
            if (sb.length() > 1) {
                sb.append(',');
            }
            long bytes = 4L * t.numel();
            Json.appendString(sb, name);
            sb.append(":{\"dtype\":\"F32\",\"shape\":[");
            int[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) {
                sb.append(i > 0 ? "," : "").append(shape[i]);
            }
            sb.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        sb.append('}');
        byte[] json = sb.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        if (padded > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("safetensors header would be " + padded + " bytes, over the "
                    + MAX_HEADER_BYTES + "-byte limit readers enforce");
        }
        byte[] header = new byte[padded];
        System.arraycopy(json, 0, header, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            header[i] = ' ';
        }
        return header;
    }

    /** Writes {@code values} as little-endian float32, through a 64 KiB buffer. */
    static void writeFloats(OutputStream out, float[] values) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; ) {
            buffer.clear();
            int n = Math.min(values.length - i, buffer.capacity() / 4);
            buffer.asFloatBuffer().put(values, i, n);
            out.write(buffer.array(), 0, n * 4);
            i += n;
        }
    }

    private static String typeName(Object value) {
        if (value == null) {
            return "null";
        } else if (value instanceof Map) {
            return "an object";
        } else if (value instanceof List) {
            return "an array";
        } else if (value instanceof String) {
            return "a string";
        } else if (value instanceof Long) {
            return "an integer";
        }
        return value.getClass().getSimpleName();
    }
}
