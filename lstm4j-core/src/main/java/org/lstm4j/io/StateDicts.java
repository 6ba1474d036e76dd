package org.lstm4j.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.lstm4j.tensor.Tensor;

/**
 * Reads a state dict from any supported file, telling the format from its content, and writes one
 * in the format its extension names.
 *
 * <pre>{@code
 * StateDictFile sd = StateDicts.read(Path.of("wind_bilstm_1layer.pt"));   // torch.save zip
 * Tensor w = sd.tensor("lstm.weight_ih_l0");                               // (512, 31)
 * StateDicts.write(Path.of("lstm.safetensors"), sd.tensors());            // or .npz, .npy
 * }</pre>
 *
 * <p>Detection by the first bytes, never by the extension:
 * <ul>
 *   <li>{@code PK\3\4} (or an empty zip's {@code PK\5\6}): a zip; {@link FileFormat#TORCHSCRIPT} if
 *       it has {@code <archive>/data.pkl} and {@code constants.pkl} or {@code code/},
 *       {@link FileFormat#TORCH_ZIP} if it has {@code <archive>/data.pkl} only,
 *       {@link FileFormat#NPZ} if it holds only {@code .npy} entries;
 *   <li>{@code \x93NUMPY}: {@link FileFormat#NPY};
 *   <li>a pickle starting with torch's legacy magic number: {@link FileFormat#TORCH_LEGACY};
 *   <li>an 8-byte length followed by an opening brace (the JSON header): {@link FileFormat#SAFETENSORS};
 *   <li>protobuf field 1 (ModelProto.ir_version) as a one-byte varint: {@link FileFormat#ONNX}.
 * </ul>
 *
 * <p>Every reader checks each size the file declares against the real file before allocating, and
 * reports a truncated, corrupt or hostile file as an {@link IOException} naming the file and what
 * was wrong; no other exception escapes for a bad file.
 */
public final class StateDicts {
    private StateDicts() {
    }

    /**
     * Reads every tensor in {@code file} as float32. A single {@code .npy} array, or a torch.save
     * file holding one bare tensor, is named after the file ({@code x} for {@code x.npy}).
     */
    public static StateDictFile read(Path file) throws IOException {
        return ByteSource.parse(file, src -> read(src, TorchZip.stem(file)));
    }

    /**
     * {@link #read(Path)} for a file already in memory (a model fetched from a blob store, a
     * resource). {@code name} stands for the file in error messages and names a single array.
     */
    public static StateDictFile read(byte[] bytes, String name) throws IOException {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(name, "name");
        return ByteSource.guard(ByteSource.of(bytes, name), src -> read(src, TorchZip.stem(name)));
    }

    /**
     * {@link #read(byte[], String)} for the whole of {@code in}, read into memory (no temporary
     * file) and not closed; the formats need random access. At most 2^31 - 9 bytes.
     */
    public static StateDictFile read(InputStream in, String name) throws IOException {
        return read(readAll(Objects.requireNonNull(in, "in"), name), name);
    }

    /** Every byte of {@code in}, refusing more than one array holds instead of running out of memory. */
    private static byte[] readAll(InputStream in, String name) throws IOException {
        final int limit = Integer.MAX_VALUE - 8;
        byte[] buffer = new byte[1 << 16];
        int size = 0;
        while (true) {
            if (size == buffer.length) {
                if (size == limit) {
                    if (in.read() < 0) {
                        return buffer;
                    }
                    throw new IOException(name + ": more than " + limit + " bytes, more than one Java array can hold");
                }
                buffer = Arrays.copyOf(buffer, (int) Math.min(limit, 2L * size));
            }
            int n = in.read(buffer, size, buffer.length - size);
            if (n < 0) {
                return Arrays.copyOf(buffer, size);
            }
            size += n;
        }
    }

    /** The format of {@code file}, from its content (see the class comment). */
    public static FileFormat detect(Path file) throws IOException {
        return ByteSource.parse(file, StateDicts::detect);
    }

    /**
     * Writes {@code tensors} as float32 in the format {@code file}'s extension names:
     * {@code .safetensors}, {@code .npz}, or {@code .npy} (exactly one tensor).
     *
     * @throws IllegalArgumentException for another extension, or several tensors for {@code .npy}
     */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(tensors, "tensors");
        String name = String.valueOf(file.getFileName()).toLowerCase(Locale.ROOT);
        if (name.endsWith(".safetensors")) {
            SafeTensors.write(file, tensors);
        } else if (name.endsWith(".npz")) {
            Npy.writeNpz(file, tensors);
        } else if (name.endsWith(".npy")) {
            if (tensors.size() != 1) {
                throw new IllegalArgumentException("a .npy file holds one array, got " + tensors.size()
                        + " tensors; use .npz or .safetensors");
            }
            Npy.write(file, tensors.values().iterator().next());
        } else if (name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".bin")) {
            throw new IllegalArgumentException("writing torch.save files is not supported; write .safetensors "
                    + "and load it in PyTorch with safetensors.torch.load_file, got " + file);
        } else {
            throw new IllegalArgumentException("expected a file name ending in .safetensors, .npz or .npy, got " + file);
        }
    }

    static StateDictFile read(ByteSource src, String singleName) throws IOException {
        FileFormat format = detect(src);
        return switch (format) {
            case TORCH_ZIP, TORCH_LEGACY, TORCHSCRIPT -> TorchZip.read(src, format, singleName);
            case NPZ -> Npy.readNpz(src);
            case NPY -> Npy.readAsStateDict(src, singleName);
            case SAFETENSORS -> SafeTensors.read(src);
            case ONNX -> Onnx.read(src);
        };
    }

    static FileFormat detect(ByteSource src) throws IOException {
        byte[] head = src.read(0, Math.min(src.size(), 16), "file start");
        if (startsWith(head, 'P', 'K', 3, 4) || startsWith(head, 'P', 'K', 5, 6)) {
            ZipArchive zip = ZipArchive.read(src);
            boolean allNpy = true;
            for (ZipArchive.Entry e : zip.entries()) {
                String name = e.name();
                int slash = name.indexOf('/');
                if (slash > 0 && name.equals(name.substring(0, slash) + "/data.pkl")) {
                    return TorchZip.isTorchScript(zip, name.substring(0, slash)) ? FileFormat.TORCHSCRIPT
                            : FileFormat.TORCH_ZIP;
                }
                allNpy &= name.endsWith(".npy");
            }
            if (allNpy) {
                return FileFormat.NPZ;
            }
            throw src.error("zip file is neither a torch.save archive (no <archive>/data.pkl) nor an npz "
                    + "(not all entries are .npy)");
        }
        if (startsWith(head, 0x93, 'N', 'U', 'M', 'P', 'Y')) {
            return FileFormat.NPY;
        }
        if (TorchZip.isLegacy(head)) {
            return FileFormat.TORCH_LEGACY;
        }
        if (head.length >= 9 && head[8] == '{') {
            return FileFormat.SAFETENSORS;
        }
        if (Onnx.looksLikeModel(head)) {
            return FileFormat.ONNX;
        }
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(head.length, 8); i++) {
            hex.append(String.format("%02x ", head[i] & 0xFF));
        }
        String pickleHint = head.length > 0 && (head[0] & 0xFF) == 0x80
                ? " (it looks like a plain pickle, not one written by torch.save)" : "";
        throw src.error("unrecognised file format: expected a torch.save or torch.jit.save file, safetensors, .npy,"
                + " .npz or .onnx; first bytes " + hex.toString().strip() + pickleHint);
    }

    private static boolean startsWith(byte[] head, int... prefix) {
        if (head.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((head[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
