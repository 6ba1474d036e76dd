package org.lstm4j.io;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lstm4j.tensor.Tensor;

/**
 * Turns what a torch.save file holds (nested dicts and lists around tensors) into a flat state
 * dict with dotted keys. The rules (nesting, wrapper stripping, other entries) are documented on
 * {@link TorchZip}, where users read them; this class implements exactly those.
 */
final class Checkpoints {
    static final List<String> WRAPPERS = List.of("state_dict", "model_state_dict", "model_state", "model", "net",
            "network");

    private Checkpoints() {
    }

    static StateDictFile flatten(Object root, Map<Tensor, DType> dtypes, String singleName, String source)
            throws IOException {
        Map<String, Object> leaves = new LinkedHashMap<>();
        String wrapper = root instanceof Map<?, ?> top ? wrapperToStrip(top) : null;
        if (root instanceof Map || (root instanceof List<?> list && holdsContainer(list))) {
            flattenInto("", root, leaves, source);
        } else {
            leaves.put(singleName, leaf(root));
        }
        String tensorPrefix = wrapper == null ? "" : wrapper + ".";
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> tensorDTypes = new LinkedHashMap<>();
        Map<String, Object> others = new LinkedHashMap<>();
        for (Map.Entry<String, Object> leaf : leaves.entrySet()) {
            String key = leaf.getKey();
            if (leaf.getValue() instanceof Tensor t && key.startsWith(tensorPrefix)) {
                String name = key.substring(tensorPrefix.length());
                tensors.put(name, t);
                DType dtype = dtypes.get(t);
                tensorDTypes.put(name, (dtype != null ? dtype : DType.FLOAT32).pytorchName);
            } else {
                others.put(key, leaf.getValue());
            }
        }
        return new StateDictFile(FileFormat.TORCH_ZIP, tensors, tensorDTypes, others, Map.of());
    }

    /** The top-level key to strip (rule 2 of the class comment), or null. */
    private static String wrapperToStrip(Map<?, ?> top) {
        String wrapper = null;
        for (Map.Entry<?, ?> e : top.entrySet()) {
            if (!holdsTensor(e.getValue())) {
                continue;
            }
            String key = String.valueOf(e.getKey());
            if (e.getKey() instanceof String && WRAPPERS.contains(key) && e.getValue() instanceof Map) {
                if (wrapper != null) {
                    return null;
                }
                wrapper = key;
            } else if (!key.contains("optim")) {
                return null;
            }
        }
        return wrapper;
    }

    private static boolean holdsTensor(Object value) {
        if (value instanceof Tensor) {
            return true;
        }
        Iterable<?> children = value instanceof Map<?, ?> m ? m.values() : value instanceof List<?> l ? l : List.of();
        for (Object child : children) {
            if (holdsTensor(child)) {
                return true;
            }
        }
        return false;
    }

    private static boolean holdsContainer(List<?> list) {
        for (Object v : list) {
            if (v instanceof Tensor || v instanceof Map || v instanceof List) {
                return true;
            }
        }
        return false;
    }

    private static void flattenInto(String prefix, Object value, Map<String, Object> leaves, String source)
            throws IOException {
        if (value instanceof Map<?, ?> map && !map.isEmpty()) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                flattenInto(join(prefix, keyString(e.getKey())), e.getValue(), leaves, source);
            }
        } else if (value instanceof List<?> list && holdsContainer(list)) {
            for (int i = 0; i < list.size(); i++) {
                flattenInto(join(prefix, Integer.toString(i)), list.get(i), leaves, source);
            }
        } else {
            if (leaves.containsKey(prefix)) {
                throw new IOException(source + ": two entries flatten to the same key '" + prefix + "'");
            }
            leaves.put(prefix, leaf(value));
        }
    }

    /** A value as other entries hold it: empty dicts as an empty map, lists as unmodifiable copies. */
    private static Object leaf(Object value) {
        if (value instanceof Map) {
            return Map.of();
        }
        return value instanceof List<?> list ? Collections.unmodifiableList(new ArrayList<>(list)) : value;
    }

    private static String join(String prefix, String key) {
        return prefix.isEmpty() ? key : prefix + "." + key;
    }

    /** Dict keys as Python's str() prints them. */
    private static String keyString(Object key) {
        if (key == null) {
            return "None";
        } else if (key instanceof Boolean b) {
            return b ? "True" : "False";
        }
        return key.toString();
    }
}
