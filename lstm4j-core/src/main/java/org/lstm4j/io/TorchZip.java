package org.lstm4j.io;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.lstm4j.tensor.Tensor;

/**
 * Reads files written by {@code torch.save} (the zip format of PyTorch ≥ 1.6, and the legacy
 * format before it) and {@code torch.jit.save} (TorchScript archives), without running or
 * importing anything from the file.
 *
 * <pre>{@code
 * // torch.save({"model_state_dict": model.state_dict(), "epoch": 3}, "ckpt.pt")
 * StateDictFile ckpt = TorchZip.read(Path.of("ckpt.pt"));
 * Tensor w = ckpt.tensor("lstm.weight_ih_l0");       // wrapper key stripped
 * long epoch = (Long) ckpt.otherEntries().get("epoch");
 * }</pre>
 *
 * <p>A zip archive holds {@code <archive>/data.pkl} (the pickled object), {@code <archive>/data/<key>}
 * (one raw storage each), {@code <archive>/byteorder} ({@code little} or {@code big}; absent means
 * little) and {@code <archive>/version}; a TorchScript archive also holds {@code constants.pkl} and
 * {@code code/}, which are never read. The legacy format is read by {@link TorchLegacy}.
 * {@code data.pkl} goes through a restricted unpickler ({@link Unpickler}): dicts, OrderedDict,
 * lists, tuples, sets, numbers, strings, numpy scalars, tensors ({@code _rebuild_tensor_v2},
 * {@code _rebuild_parameter}) over float64, float32, float16, bfloat16, int64, int32, int16, int8,
 * uint8 and bool storages. Names that can run code ({@code os.system}, {@code builtins.eval},
 * {@code torch.storage._load_from_bytes}, ...) are refused wherever they occur: "refusing to load
 * global 'os.system' from ckpt.pt: it can run code or reach the system, ...". Any other class
 * (a model class, argparse.Namespace) becomes an inert {@link PickledObject}. Tensors may be views:
 * storage offsets, arbitrary strides and storages shared between tensors are honoured; each tensor
 * comes out as its own contiguous float32 copy.
 *
 * <p>{@link #read} turns the saved object into a flat state dict:
 * <ol>
 *   <li>Nested dicts join their keys with dots, as {@code nn.Module.state_dict()} names submodules:
 *       {@code {"lstm": {"weight_ih_l0": t}}} gives {@code "lstm.weight_ih_l0"}. Lists and tuples
 *       holding tensors or dicts index their items ({@code "layers.0.weight"}); other lists stay one
 *       value.
 *   <li>A model object (a whole {@code nn.Module} from {@code torch.save(model)}, or a TorchScript
 *       module) gives its tensors under the names {@code state_dict()} gives them
 *       ({@code "rnn.weight_ih_l0"}), prefixed by where it sits ({@code {"model": net}} gives
 *       {@code "model.rnn.weight_ih_l0"}); see {@link PickledModules}. Its tree is in
 *       {@link StateDictFile#modules()}.
 *   <li>A wrapper is stripped when that is unambiguous: if the top-level dict has exactly one
 *       tensor-holding dict or model under {@code state_dict}, {@code model_state_dict},
 *       {@code model_state}, {@code model}, {@code net} or {@code network}, and every other
 *       tensor-holding top-level entry is training state (its key contains {@code optim},
 *       {@code sched}, {@code scaler}, {@code callback} or {@code loop}, as in PyTorch Lightning's
 *       checkpoints), the tensors are that entry's, without the prefix.
 *       {@code {"model_state_dict": sd, "optimizer_state_dict": ..., "epoch": 3}} gives the keys of
 *       {@code sd}; {@code {"model": sd1, "ema": sd2}} keeps {@code model.*} and {@code ema.*}.
 *   <li>Everything else (numbers, strings, None, lists and sets of those, empty dicts, the optimizer's
 *       tensors when a wrapper was stripped, and placeholders for other objects) goes to
 *       {@link StateDictFile#otherEntries()} under its full dotted path from the root
 *       ({@code "epoch"}, {@code "arch.h1"}, {@code "optimizer_state_dict.state.0.exp_avg"}); each
 *       placeholder gets a line in {@link StateDictFile#notes()}.
 * </ol>
 * A file holding one bare tensor names it after the file. {@link #readObject} returns the
 * unflattened structure instead.
 *
 * <p>Tensors are copied out of their storages; views that repeat elements (stride 0 from
 * {@code expand}) are materialized, up to {@value #MAX_ELEMENTS_PER_BYTE} elements per byte of
 * file in total.
 *
 * <p>Not supported: sparse and quantized tensors, the storage views written before PyTorch 0.4,
 * the tar-based format of PyTorch 0.1, and TorchScript archives without data.pkl (before 1.5).
 */
public final class TorchZip {
    /** Legacy files start with PROTO 2 and LONG1 of the magic number 0x1950a86a20f9469cfc6c. */
    private static final byte[] LEGACY_MAGIC = {(byte) 0x80, 0x02, (byte) 0x8A, 0x0A, 0x6C, (byte) 0xFC, (byte) 0x9C,
        0x46, (byte) 0xF9, 0x20, 0x6A, (byte) 0xA8, 0x50, 0x19};

    /**
     * Tensors are copied out of their storages, so views that repeat elements (expand's stride 0)
     * could turn a small file into a huge allocation. All tensors of a file together may hold at
     * most this many elements per byte of file, plus 2^20; real state dicts hold at most one per byte.
     */
    static final long MAX_ELEMENTS_PER_BYTE = 16;

    private TorchZip() {
    }

    /** The file's tensors as a flat state dict, plus its other entries and its model's module tree. */
    public static StateDictFile read(Path file) throws IOException {
        return ByteSource.parse(file, src -> read(src, StateDicts.detect(src), stem(file)));
    }

    /**
     * The unpickled object itself: {@code Map} (dict, OrderedDict; insertion order), {@code List}
     * (list, tuple), {@code Set}, {@code Long} / {@code BigInteger}, {@code Double}, {@code String},
     * {@code Boolean}, {@code null}, {@code byte[]}, {@code Tensor}, {@link PickledGlobal},
     * {@link PickledObject} (a whole model, a TorchScript module, ...).
     */
    public static Object readObject(Path file) throws IOException {
        return ByteSource.parse(file, src -> load(src, StateDicts.detect(src)).root());
    }

    /** An unpickled file: the object and the stored dtype of each of its tensors. */
    record Loaded(FileFormat format, Object root, Map<Tensor, DType> dtypes) {
    }

    static StateDictFile read(ByteSource src, FileFormat format, String singleName) throws IOException {
        Loaded loaded = load(src, format);
        return Checkpoints.flatten(loaded, singleName, src.name());
    }

    static Loaded load(ByteSource src, FileFormat format) throws IOException {
        if (format == FileFormat.TORCH_LEGACY) {
            return TorchLegacy.load(src);
        }
        if (format != FileFormat.TORCH_ZIP && format != FileFormat.TORCHSCRIPT) {
            throw src.error("not a torch.save or torch.jit.save file: it is " + format);
        }
        ZipArchive zip = ZipArchive.read(src);
        String prefix = archivePrefix(zip, src);
        ByteOrder order = byteOrder(zip, prefix, src);
        String pickleName = prefix + "/data.pkl";
        byte[] pickle = zip.read(zip.find(pickleName));
        Unpickler unpickler = new Unpickler(pickle, 0, src.name(), pickleName, elementBudget(src));
        Object root = unpickler.load();
        unpickler.fillTensors((key, dtype, numel) -> loadStorage(zip, prefix, key, dtype, numel, order, src));
        return new Loaded(format, root, unpickler.tensorDTypes());
    }

    /** How many tensor elements the tensors of {@code src} may hold together; see {@link #MAX_ELEMENTS_PER_BYTE}. */
    static long elementBudget(ByteSource src) {
        return MAX_ELEMENTS_PER_BYTE * src.size() + (1 << 20);
    }

    static boolean isLegacy(byte[] head) {
        return head.length >= LEGACY_MAGIC.length
                && Arrays.equals(Arrays.copyOf(head, LEGACY_MAGIC.length), LEGACY_MAGIC);
    }

    /** A torch.jit.save archive: next to data.pkl it has constants.pkl or code/ (never read here). */
    static boolean isTorchScript(ZipArchive zip, String prefix) {
        return zip.find(prefix + "/constants.pkl") != null || hasEntryUnder(zip, prefix + "/code/");
    }

    /** The folder all entries live in: the one holding data.pkl (named after the file when saved). */
    private static String archivePrefix(ZipArchive zip, ByteSource src) throws IOException {
        List<String> prefixes = new ArrayList<>();
        for (ZipArchive.Entry e : zip.entries()) {
            String name = e.name();
            int slash = name.indexOf('/');
            if (slash > 0 && name.equals(name.substring(0, slash) + "/data.pkl")) {
                prefixes.add(name.substring(0, slash));
            }
        }
        if (prefixes.size() != 1) {
            throw src.error(prefixes.isEmpty()
                    ? "not a torch.save archive: no <archive>/data.pkl entry"
                    : "torch.save archive has several data.pkl entries: " + prefixes);
        }
        return prefixes.get(0);
    }

    private static boolean hasEntryUnder(ZipArchive zip, String folder) {
        for (ZipArchive.Entry e : zip.entries()) {
            if (e.name().startsWith(folder)) {
                return true;
            }
        }
        return false;
    }

    private static ByteOrder byteOrder(ZipArchive zip, String prefix, ByteSource src) throws IOException {
        ZipArchive.Entry entry = zip.find(prefix + "/byteorder");
        if (entry == null) {
            return ByteOrder.LITTLE_ENDIAN;
        }
        if (entry.size() > 16) {
            throw src.error(prefix + "/byteorder is " + entry.size() + " bytes, expected 'little' or 'big'");
        }
        String value = new String(zip.read(entry), StandardCharsets.US_ASCII).strip();
        return switch (value) {
            case "little" -> ByteOrder.LITTLE_ENDIAN;
            case "big" -> ByteOrder.BIG_ENDIAN;
            default -> throw src.error(prefix + "/byteorder says '" + value + "', expected 'little' or 'big'");
        };
    }

    private static float[] loadStorage(ZipArchive zip, String prefix, String key, DType dtype, long numel,
                                       ByteOrder order, ByteSource src) throws IOException {
        String name = prefix + "/data/" + key;
        ZipArchive.Entry entry = zip.find(name);
        if (entry == null) {
            throw src.error("storage '" + key + "' is missing: no entry " + name);
        }
        if (numel > (Integer.MAX_VALUE - 8) / dtype.itemSize) {
            throw src.error("storage '" + key + "' of " + numel + " × " + dtype.pytorchName + " is too large");
        }
        long expected = numel * dtype.itemSize;
        if (entry.size() != expected) {
            throw src.error("storage '" + key + "': the pickle says " + numel + " × " + dtype.pytorchName + " = "
                    + expected + " bytes, entry " + name + " holds " + entry.size());
        }
        byte[] bytes = zip.read(entry);
        float[] values = new float[(int) numel];
        dtype.toFloat(bytes, 0, values.length, order, values);
        return values;
    }

    /** "ckpt" for ckpt.pt: the name a file holding one bare tensor gives it. */
    static String stem(Path file) {
        Path name = file.getFileName();
        return stem(name == null ? "tensor" : name.toString());
    }

    /** A file name without its extension: {@code x} for {@code x.npy}. */
    static String stem(String s) {
        int dot = s.lastIndexOf('.');
        return dot > 0 ? s.substring(0, dot) : s;
    }
}
