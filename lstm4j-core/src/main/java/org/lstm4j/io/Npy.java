package org.lstm4j.io;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.lstm4j.internal.TensorData;
import org.lstm4j.tensor.Tensor;

/**
 * Reads and writes numpy's {@code .npy} arrays and {@code .npz} archives of them.
 *
 * <pre>{@code
 * Npy.write(Path.of("x.npy"), x);                       // np.load("x.npy") -> float32 array
 * Npy.write(Path.of("lengths.npy"), new long[] {5, 3}, 2); // int64 array of shape (2,)
 * Tensor y = Npy.read(Path.of("y.npy"));                // any supported dtype, as float32
 * StateDictFile arrays = Npy.readNpz(Path.of("weights.npz"));
 * }</pre>
 *
 * <p>Reading accepts {@code f2 f4 f8 i1 i2 i4 i8 u1 b1} in either byte order ({@code '<'},
 * {@code '>'}; {@code '|'} for one-byte types; {@code '='} means this machine's order, as in numpy),
 * C or Fortran order (Fortran arrays are transposed into C order), format versions 1.0 to 3.0. The
 * header dict is parsed by a small strict parser, never evaluated; object arrays (pickles),
 * structured, complex and string dtypes are refused. The data must be exactly numel × itemsize
 * bytes. An npz is a zip of such arrays, stored or deflated; keys drop the {@code .npy} suffix, as
 * {@code np.load} does.
 *
 * <p>Writing produces version 1.0 headers padded so the data starts on a 64-byte boundary, as numpy
 * does; npz entries are stored uncompressed, as {@code np.savez} does.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy aligns the data to 64 bytes since 1.14. */
    private static final int ALIGNMENT = 64;
    /** Far above any header numpy writes for the dtypes we read (numpy itself refuses over 10000 by default). */
    private static final int MAX_HEADER_BYTES = 1 << 20;

    private Npy() {
    }

    /** An array as read: its stored dtype and its values as float32 in C order. */
    record Array(DType dtype, Tensor tensor) {
    }

    /** Reads one {@code .npy} file as float32 (see the class comment for what is accepted). */
    public static Tensor read(Path file) throws IOException {
        return ByteSource.parse(file, Npy::parse).tensor();
    }

    /** Reads every array of an {@code .npz} file, in archive order. */
    public static StateDictFile readNpz(Path file) throws IOException {
        return ByteSource.parse(file, Npy::readNpz);
    }

    /** Writes {@code tensor} as a little-endian float32 ({@code '<f4'}) array, C order. */
    public static void write(Path file, Tensor tensor) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(tensor, "tensor");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            writeNpy(out, tensor);
        }
    }

    /**
     * Writes {@code values} as a little-endian int64 ({@code '<i8'}) array of {@code shape}, C order;
     * e.g. sequence lengths. No shape means 1-d.
     */
    public static void write(Path file, long[] values, int... shape) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(values, "values");
        int[] s = shape.length == 0 ? new int[] {values.length} : shape.clone();
        for (int d : s) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(s));
            }
        }
        long numel = Tensor.numel(s);
        if (numel != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(s) + " needs " + numel
                    + " values, got " + values.length);
        }
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            out.write(header("<i8", s));
            ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < values.length; ) {
                buffer.clear();
                int n = Math.min(values.length - i, buffer.capacity() / 8);
                buffer.asLongBuffer().put(values, i, n);
                out.write(buffer.array(), 0, n * 8);
                i += n;
            }
        }
    }

    /**
     * Writes {@code tensors} as an npz (stored zip entries {@code <name>.npy}, float32), in map
     * order; {@code np.load(file)[name]} gives each back.
     */
    public static void writeNpz(Path file, Map<String, Tensor> tensors) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(tensors, "tensors");
        try (ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                String name = Objects.requireNonNull(e.getKey(), "array name");
                if (name.isEmpty()) {
                    throw new IllegalArgumentException("npz array names must not be empty");
                }
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                writeNpy(bytes, Objects.requireNonNull(e.getValue(), "array " + name));
                byte[] npy = bytes.toByteArray();
                ZipEntry entry = new ZipEntry(name + ".npy");
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(npy.length);
                entry.setCompressedSize(npy.length);
                CRC32 crc = new CRC32();
                crc.update(npy);
                entry.setCrc(crc.getValue());
                // A fixed timestamp: the same tensors always give the same bytes.
                entry.setTimeLocal(LocalDateTime.of(1980, 1, 1, 0, 0));
                zip.putNextEntry(entry);
                zip.write(npy);
                zip.closeEntry();
            }
        }
    }

    static StateDictFile readNpz(ByteSource src) throws IOException {
        ZipArchive zip = ZipArchive.read(src);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> dtypes = new LinkedHashMap<>();
        for (ZipArchive.Entry entry : zip.entries()) {
            if (!entry.name().endsWith(".npy")) {
                throw src.error("npz entry '" + entry.name() + "' is not a .npy array");
            }
            String key = entry.name().substring(0, entry.name().length() - 4);
            Array array = parse(ByteSource.of(zip.read(entry), src.name() + "!" + entry.name()));
            tensors.put(key, array.tensor());
            dtypes.put(key, array.dtype().pytorchName);
        }
        return new StateDictFile(FileFormat.NPZ, tensors, dtypes, Map.of(), Map.of());
    }

    /** Reads a single .npy as a one-entry state dict called {@code name}. */
    static StateDictFile readAsStateDict(ByteSource src, String name) throws IOException {
        Array array = parse(src);
        return new StateDictFile(FileFormat.NPY, Map.of(name, array.tensor()),
                Map.of(name, array.dtype().pytorchName), Map.of(), Map.of());
    }

    static Array parse(ByteSource src) throws IOException {
        if (src.size() < 10) {
            throw src.error("too short for a .npy file: " + src.size() + " bytes");
        }
        byte[] prefix = src.read(0, 10, "npy magic");
        if (!Arrays.equals(Arrays.copyOf(prefix, 6), MAGIC)) {
            throw src.error("not a .npy file: expected the magic \\x93NUMPY");
        }
        int major = prefix[6];
        int minor = prefix[7];
        long headerLength;
        long headerStart;
        if (major == 1 && minor == 0) {
            headerLength = LittleEndian.u16(prefix, 8);
            headerStart = 10;
        } else if ((major == 2 || major == 3) && minor == 0) {
            headerLength = LittleEndian.u32(src.read(8, 4, "npy header length"), 0);
            headerStart = 12;
        } else {
            throw src.error(6, "npy format version " + major + "." + minor + " is not supported (1.0, 2.0, 3.0 are)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw src.error(8, "npy header length " + headerLength + " is over the " + MAX_HEADER_BYTES + "-byte limit");
        }
        byte[] headerBytes = src.read(headerStart, headerLength, "npy header");
        // Versions 1 and 2 are latin-1; version 3 is UTF-8.
        String headerText = major == 3 ? src.utf8(headerBytes, headerStart, "npy header")
                : new String(headerBytes, StandardCharsets.ISO_8859_1);
        Header header = HeaderParser.parse(headerText, src.name());
        DType dtype = dtype(header.descr, src);
        ByteOrder order = byteOrder(header.descr, dtype, src);

        int[] shape = new int[header.shape.length];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (header.shape[i] > Integer.MAX_VALUE) {
                throw src.error("npy shape dimension " + header.shape[i] + " is too large");
            }
            shape[i] = (int) header.shape[i];
            numel *= shape[i];
            if (numel > Integer.MAX_VALUE - 8) {
                throw src.error("npy shape " + Arrays.toString(header.shape) + " has more elements than a Java array can hold");
            }
        }
        long dataStart = headerStart + headerLength;
        long needed = numel * dtype.itemSize;
        long available = src.size() - dataStart;
        if (available < needed) {
            throw src.error("npy data truncated: shape " + Arrays.toString(shape) + " of " + header.descr + " needs "
                    + needed + " bytes, the file has " + available + " after the header");
        }
        if (available > needed) {
            throw src.error((available - needed) + " unexpected bytes after the npy array data (shape "
                    + Arrays.toString(shape) + " of " + header.descr + " needs " + needed + ")");
        }
        byte[] data = src.read(dataStart, needed, "npy array data");
        float[] values = new float[(int) numel];
        dtype.toFloat(data, 0, values.length, order, values);
        if (!header.fortranOrder || shape.length < 2) {
            return new Array(dtype, Tensor.of(values, shape));
        }
        // Fortran order: memory holds the C-order array of the reversed shape; permuting its dims
        // back (d-1, ..., 0) gives the C-order array of the real shape.
        int[] reversedShape = new int[shape.length];
        int[] reverse = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            reversedShape[i] = shape[shape.length - 1 - i];
            reverse[i] = shape.length - 1 - i;
        }
        return new Array(dtype, Tensor.of(values, reversedShape).permute(reverse));
    }

    private static DType dtype(String descr, ByteSource src) throws IOException {
        if (descr.length() < 2 || "<>|=".indexOf(descr.charAt(0)) < 0) {
            throw src.error("npy dtype '" + descr + "' is not a simple numeric dtype");
        }
        String kindAndSize = descr.substring(1);
        DType dtype = switch (kindAndSize) {
            case "f2" -> DType.FLOAT16;
            case "f4" -> DType.FLOAT32;
            case "f8" -> DType.FLOAT64;
            case "i1" -> DType.INT8;
            case "i2" -> DType.INT16;
            case "i4" -> DType.INT32;
            case "i8" -> DType.INT64;
            case "u1" -> DType.UINT8;
            case "b1" -> DType.BOOL;
            default -> null;
        };
        if (dtype == null) {
            String why = switch (kindAndSize.charAt(0)) {
                case 'O' -> "an object array (pickled Python objects, never unpickled here)";
                case 'c' -> "complex";
                case 'U', 'S', 'a' -> "a string array";
                case 'V' -> "a raw or structured record";
                case 'M', 'm' -> "a date/time";
                default -> "not supported";
            };
            throw src.error("npy dtype '" + descr + "' is " + why
                    + "; supported: f2, f4, f8, i1, i2, i4, i8, u1, b1");
        }
        return dtype;
    }

    private static ByteOrder byteOrder(String descr, DType dtype, ByteSource src) throws IOException {
        return switch (descr.charAt(0)) {
            case '<' -> ByteOrder.LITTLE_ENDIAN;
            case '>' -> ByteOrder.BIG_ENDIAN;
            case '=' -> ByteOrder.nativeOrder();
            default -> {
                if (dtype.itemSize != 1) {
                    throw src.error("npy dtype '" + descr + "': '|' (no byte order) is only valid for one-byte types");
                }
                yield ByteOrder.LITTLE_ENDIAN;
            }
        };
    }

    private static void writeNpy(OutputStream out, Tensor tensor) throws IOException {
        out.write(header("<f4", tensor.shape()));
        SafeTensors.writeFloats(out, TensorData.array(tensor));
    }

    /** Magic, version, header length and the header dict, padded with spaces and a newline to 64 bytes. */
    static byte[] header(String descr, int[] shape) {
        StringBuilder dict = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            dict.append(i > 0 ? ", " : "").append(shape[i]);
        }
        dict.append(shape.length == 1 ? ",), }" : "), }");
        int prefix = 10;
        int total = (prefix + dict.length() + 1 + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        boolean version2 = total - prefix > 0xFFFF;
        if (version2) {
            prefix = 12;
            total = (prefix + dict.length() + 1 + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        }
        while (dict.length() < total - prefix - 1) {
            dict.append(' ');
        }
        dict.append('\n');
        ByteBuffer header = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).put((byte) (version2 ? 2 : 1)).put((byte) 0);
        if (version2) {
            header.putInt(dict.length());
        } else {
            header.putShort((short) dict.length());
        }
        header.put(dict.toString().getBytes(StandardCharsets.ISO_8859_1));
        return header.array();
    }

    /** The three keys numpy writes, all required. */
    private record Header(String descr, boolean fortranOrder, long[] shape) {
    }

    /**
     * The header is a Python dict literal: {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}.
     * This parses exactly that grammar (strings without escapes, True/False, tuples of non-negative
     * integers, optional trailing commas) and refuses everything else.
     */
    private static final class HeaderParser {
        private final String text;
        private final String source;
        private int pos;

        private HeaderParser(String text, String source) {
            this.text = text;
            this.source = source;
        }

        static Header parse(String text, String source) throws IOException {
            HeaderParser p = new HeaderParser(text, source);
            String descr = null;
            Boolean fortranOrder = null;
            long[] shape = null;
            p.skipSpaces();
            p.expect('{');
            while (true) {
                p.skipSpaces();
                if (p.peek() == '}') {
                    p.pos++;
                    break;
                }
                String key = p.string();
                p.skipSpaces();
                p.expect(':');
                p.skipSpaces();
                switch (key) {
                    case "descr" -> {
                        if (descr != null) {
                            throw p.error("duplicate key 'descr'");
                        }
                        if (p.peek() == '[') {
                            throw p.error("structured dtypes (a list of fields) are not supported");
                        }
                        descr = p.string();
                    }
                    case "fortran_order" -> {
                        if (fortranOrder != null) {
                            throw p.error("duplicate key 'fortran_order'");
                        }
                        fortranOrder = p.bool();
                    }
                    case "shape" -> {
                        if (shape != null) {
                            throw p.error("duplicate key 'shape'");
                        }
                        shape = p.tuple();
                    }
                    default -> throw p.error("unexpected key '" + key + "' (expected descr, fortran_order, shape)");
                }
                p.skipSpaces();
                if (p.peek() == ',') {
                    p.pos++;
                } else if (p.peek() != '}') {
                    throw p.error("expected ',' or '}'");
                }
            }
            p.skipSpaces();
            if (p.pos != text.length()) {
                throw p.error("unexpected text after the header dict");
            }
            if (descr == null || fortranOrder == null || shape == null) {
                throw p.error("header must have 'descr', 'fortran_order' and 'shape'");
            }
            return new Header(descr, fortranOrder, shape);
        }

        private String string() throws IOException {
            char quote = peek();
            if (quote != '\'' && quote != '"') {
                throw error("expected a quoted string");
            }
            int start = ++pos;
            while (pos < text.length() && text.charAt(pos) != quote) {
                if (text.charAt(pos) == '\\') {
                    throw error("escapes are not allowed in npy header strings");
                }
                pos++;
            }
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            return text.substring(start, pos++);
        }

        private boolean bool() throws IOException {
            if (text.startsWith("True", pos)) {
                pos += 4;
                return true;
            } else if (text.startsWith("False", pos)) {
                pos += 5;
                return false;
            }
            throw error("expected True or False");
        }

        /** {@code ()}, {@code (5,)}, {@code (2, 3)} or {@code (2, 3,)}; Python 2's {@code 3L} accepted. */
        private long[] tuple() throws IOException {
            expect('(');
            skipSpaces();
            long[] values = new long[0];
            if (peek() == ')') {
                pos++;
                return values;
            }
            while (true) {
                if (values.length == 64) {
                    throw error("shape has more than 64 dimensions");
                }
                values = Arrays.copyOf(values, values.length + 1);
                values[values.length - 1] = integer();
                skipSpaces();
                if (peek() == ')') {
                    if (values.length == 1) {
                        throw error("a one-element shape must be written (n,)");
                    }
                    pos++;
                    return values;
                }
                expect(',');
                skipSpaces();
                if (peek() == ')') {
                    pos++;
                    return values;
                }
            }
        }

        private long integer() throws IOException {
            int start = pos;
            while (pos < text.length() && Character.isDigit(text.charAt(pos)) && text.charAt(pos) < 0x80) {
                pos++;
            }
            if (pos == start) {
                throw error("expected a non-negative integer in the shape");
            }
            if (pos - start > 18) {
                throw error("shape dimension " + text.substring(start, pos) + " is too large");
            }
            long value = Long.parseLong(text.substring(start, pos));
            if (peek() == 'L') {
                pos++;
            }
            return value;
        }

        private void skipSpaces() {
            while (pos < text.length() && (text.charAt(pos) == ' ' || text.charAt(pos) == '\n')) {
                pos++;
            }
        }

        private char peek() {
            return pos < text.length() ? text.charAt(pos) : '\0';
        }

        private void expect(char c) throws IOException {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            pos++;
        }

        private IOException error(String message) {
            return new IOException(source + ": npy header: " + message + " at character " + pos + " of "
                    + abbreviate(text));
        }

        private static String abbreviate(String s) {
            String printable = s.replaceAll("[^\\x20-\\x7E]", "?");
            return printable.length() <= 120 ? "\"" + printable.strip() + "\"" : "\"" + printable.substring(0, 117) + "...\"";
        }
    }
}
