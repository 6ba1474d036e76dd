package org.lstm4j.io;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the legacy {@code torch.save} format (before PyTorch 1.6, or
 * {@code _use_new_zipfile_serialization=False}) as {@code torch/serialization.py}'s
 * {@code _legacy_load} does, without running anything. The file is five pickles and the raw data:
 * <ol>
 *   <li>the magic number 0x1950a86a20f9469cfc6c, then the protocol version 1001, then the sys
 *       info dict (byte order and C type sizes; not needed: storages are always little-endian);
 *   <li>the object, whose storages are persistent ids {@code ('storage', torch.FloatStorage, key,
 *       location, numel, None)}; a whole model's classes are {@code ('module', class, source_file,
 *       source)}, whose source code is never read;
 *   <li>the storage keys, sorted, as a list of strings;
 *   <li>for each key in that order: numel as int64 little-endian, then numel elements,
 *       little-endian.
 * </ol>
 * Each storage's numel must equal what the object pickle declared (PyTorch: "storage has wrong byte
 * size"), and every size is checked against the file before anything is allocated. The whole file
 * is read into memory once (legacy files are below 2 GiB).
 */
final class TorchLegacy {
    static final BigInteger MAGIC_NUMBER = new BigInteger("1950a86a20f9469cfc6c", 16);
    static final long PROTOCOL_VERSION = 1001;

    private TorchLegacy() {
    }

    static TorchZip.Loaded load(ByteSource src) throws IOException {
        byte[] data = src.read(0, src.size(), "legacy torch.save file");
        Unpickler magic = new Unpickler(data, 0, src.name(), "the file", 0);
        if (!MAGIC_NUMBER.equals(magic.load())) {
            throw src.error("invalid magic number; corrupt file?");
        }
        Unpickler protocol = new Unpickler(data, magic.end(), src.name(), "the file", 0);
        Object version = protocol.load();
        if (!Long.valueOf(PROTOCOL_VERSION).equals(version)) {
            throw src.error("invalid protocol version: " + version + " (expected " + PROTOCOL_VERSION + ")");
        }
        Unpickler sysInfo = new Unpickler(data, protocol.end(), src.name(), "the file", 0);
        if (!(sysInfo.load() instanceof Map)) {
            throw src.error("the sys info after the protocol version is not a dict");
        }
        Unpickler object = new Unpickler(data, sysInfo.end(), src.name(), "the file", TorchZip.elementBudget(src));
        Object root = object.load();
        Unpickler keysPickle = new Unpickler(data, object.end(), src.name(), "the file", 0);
        if (!(keysPickle.load() instanceof List<?> keys)) {
            throw src.error("the storage keys after the object are not a list");
        }
        Map<String, Integer> dataOffsets = storageOffsets(data, keysPickle.end(), keys, object.storages(), src);
        object.fillTensors((key, dtype, numel) -> {
            Integer offset = dataOffsets.get(key);
            if (offset == null) {
                throw src.error("storage '" + key + "' is used by a tensor but its data is not in the file");
            }
            float[] values = new float[(int) numel];
            dtype.toFloat(data, offset, values.length, ByteOrder.LITTLE_ENDIAN, values);
            return values;
        });
        return new TorchZip.Loaded(FileFormat.TORCH_LEGACY, root, object.tensorDTypes());
    }

    /** Where each storage's elements start: walks the raw section, checking each size header. */
    private static Map<String, Integer> storageOffsets(byte[] data, int start, List<?> keys,
                                                       Map<String, Unpickler.Storage> declared, ByteSource src)
            throws IOException {
        Map<String, Integer> offsets = new HashMap<>();
        long offset = start;
        for (Object k : keys) {
            Unpickler.Storage storage = k instanceof String key ? declared.get(key) : null;
            if (storage == null) {
                throw src.error(offset, "storage key " + k + " in the key list is not declared by the object pickle");
            }
            if (offsets.containsKey(storage.key())) {
                throw src.error(offset, "storage key '" + storage.key() + "' is listed twice");
            }
            if (data.length - offset < 8) {
                throw src.error(offset, "the size of storage '" + storage.key() + "' runs past the end of the file");
            }
            long numel = LittleEndian.i64(data, (int) offset);
            if (numel != storage.numel()) {
                throw src.error(offset, "storage has wrong byte size: storage '" + storage.key() + "' is declared with "
                        + storage.numel() + " elements but the file stores " + numel);
            }
            offset += 8;
            int itemSize = storage.dtype().itemSize;
            if (numel > (data.length - offset) / itemSize) {
                throw src.error(offset, "storage '" + storage.key() + "' of " + numel + " × "
                        + storage.dtype().pytorchName + " runs past the end of the file");
            }
            offsets.put(storage.key(), (int) offset);
            offset += numel * itemSize;
        }
        return offsets;
    }
}
