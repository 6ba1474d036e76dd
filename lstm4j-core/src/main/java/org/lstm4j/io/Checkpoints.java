package org.lstm4j.io;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.lstm4j.tensor.Tensor;

/**
 * Turns what a torch.save or torch.jit.save file holds (nested dicts and lists around tensors,
 * model objects) into a flat state dict with dotted keys. The rules (nesting, models, wrapper
 * stripping, other entries) are documented on {@link TorchZip}, where users read them; this class
 * implements exactly those.
 */
final class Checkpoints {
    static final List<String> WRAPPERS = List.of("state_dict", "model_state_dict", "model_state", "model", "net",
            "network");
    /** Top-level keys next to a wrapper that hold training state, not another model (Lightning's names too). */
    static final List<String> TRAINING_STATE = List.of("optim", "sched", "scaler", "callback", "loop");

    private Checkpoints() {
    }

    /** What one walk over the file's object collects. */
    private static final class Walk {
        final Map<String, Object> leaves = new LinkedHashMap<>();
        final List<ModuleTree> modules = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        final String source;

        Walk(String source) {
            this.source = source;
        }

        void put(String key, Object value) throws IOException {
            if (leaves.containsKey(key)) {
                throw new IOException(source + ": two entries flatten to the same key '" + key + "'");
            }
            leaves.put(key, value);
        }
    }

    static StateDictFile flatten(TorchZip.Loaded loaded, String singleName, String source) throws IOException {
        Object root = loaded.root();
        Walk walk = new Walk(source);
        String wrapper = root instanceof Map<?, ?> top ? wrapperToStrip(top) : null;
        if (root instanceof Map || (root instanceof List<?> list && holdsContainer(list))
                || PickledModules.isModule(root)) {
            flattenInto("", root, walk);
        } else {
            leaf(singleName, root, walk);
        }
        String tensorPrefix = wrapper == null ? "" : wrapper + ".";
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> tensorDTypes = new LinkedHashMap<>();
        Map<String, Object> others = new LinkedHashMap<>();
        for (Map.Entry<String, Object> leaf : walk.leaves.entrySet()) {
            String key = leaf.getKey();
            if (leaf.getValue() instanceof Tensor t && key.startsWith(tensorPrefix)) {
                String name = key.substring(tensorPrefix.length());
                tensors.put(name, t);
                DType dtype = loaded.dtypes().get(t);
                tensorDTypes.put(name, (dtype != null ? dtype : DType.FLOAT32).pytorchName);
            } else {
                others.put(key, leaf.getValue());
            }
        }
        List<ModuleTree> modules = new ArrayList<>();
        for (ModuleTree tree : walk.modules) {
            modules.add(wrapper == null ? tree : withoutPrefix(tree, wrapper));
        }
        return new StateDictFile(loaded.format(), tensors, tensorDTypes, others, Map.of(), modules, walk.notes);
    }

    /** The top-level key to strip (rule 3 on {@link TorchZip}), or null. */
    private static String wrapperToStrip(Map<?, ?> top) {
        String wrapper = null;
        for (Map.Entry<?, ?> e : top.entrySet()) {
            if (!holdsTensor(e.getValue(), 0)) {
                continue;
            }
            String key = keyString(e.getKey());
            if (e.getKey() instanceof String && WRAPPERS.contains(key)
                    && (e.getValue() instanceof Map || PickledModules.isModule(e.getValue()))) {
                if (wrapper != null) {
                    return null;
                }
                wrapper = key;
            } else if (TRAINING_STATE.stream().noneMatch(key::contains)) {
                return null;
            }
        }
        return wrapper;
    }

    /** Whether a tensor is reachable from {@code value}; {@code depth} guards the walk like the unpickler's check. */
    private static boolean holdsTensor(Object value, int depth) {
        if (value instanceof Tensor) {
            return true;
        }
        if (depth > Unpickler.MAX_DEPTH) {
            return false;
        }
        // A placeholder's tensors stay inside it (it is one other entry), unless it is a model.
        Iterable<?> children = value instanceof Map<?, ?> m ? m.values() : value instanceof List<?> l ? l
                : PickledModules.isModule(value) ? ((PickledObject) value).contents() : List.of();
        for (Object child : children) {
            if (holdsTensor(child, depth + 1)) {
                return true;
            }
        }
        return false;
    }

    private static boolean holdsContainer(List<?> list) {
        for (Object v : list) {
            if (v instanceof Tensor || v instanceof Map || v instanceof List || PickledModules.isModule(v)) {
                return true;
            }
        }
        return false;
    }

    private static void flattenInto(String prefix, Object value, Walk walk) throws IOException {
        if (value instanceof Map<?, ?> map && !map.isEmpty()) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                flattenInto(join(prefix, keyString(e.getKey())), e.getValue(), walk);
            }
        } else if (value instanceof List<?> list && holdsContainer(list)) {
            for (int i = 0; i < list.size(); i++) {
                flattenInto(join(prefix, Integer.toString(i)), list.get(i), walk);
            }
        } else if (PickledModules.isModule(value)) {
            walk.modules.add(PickledModules.collect(prefix, (PickledObject) value, walk::put, walk.notes));
        } else {
            leaf(prefix, value, walk);
        }
    }

    /**
     * A value as other entries hold it: empty dicts as an empty map, lists and sets as unmodifiable
     * copies; a placeholder object is kept, with a note.
     */
    private static void leaf(String key, Object value, Walk walk) throws IOException {
        if (value instanceof Map) {
            value = Map.of();
        } else if (value instanceof List<?> list) {
            value = Collections.unmodifiableList(new ArrayList<>(list));
        } else if (value instanceof Set<?> set) {
            value = Collections.unmodifiableSet(new LinkedHashSet<>(set));
        } else if (value instanceof PickledObject object) {
            walk.notes.add(key + ": " + placeholderNote(object));
        }
        walk.put(key, value);
    }

    private static String placeholderNote(PickledObject object) {
        if (object.type().name().equals("scalar") && object.type().module().startsWith("numpy")
                && object.args().get(0) instanceof PickledObject dtype && !dtype.args().isEmpty()) {
            return "a numpy scalar of dtype " + dtype.args().get(0) + ", which is not read (bool, int and float "
                    + "scalars are); kept as a placeholder";
        }
        return object + " is an object of a class lstm4j does not run; kept as a placeholder";
    }

    /** The tree of a model that sat under the stripped wrapper, with its paths as the tensors are now named. */
    private static ModuleTree withoutPrefix(ModuleTree tree, String wrapper) {
        if (!tree.path().equals(wrapper) && !tree.path().startsWith(wrapper + ".")) {
            return tree;
        }
        List<String> tensors = new ArrayList<>();
        for (String name : tree.tensors()) {
            tensors.add(name.substring(wrapper.length() + 1));
        }
        List<ModuleTree> children = new ArrayList<>();
        for (ModuleTree child : tree.children()) {
            children.add(withoutPrefix(child, wrapper));
        }
        String path = tree.path().equals(wrapper) ? "" : tree.path().substring(wrapper.length() + 1);
        return new ModuleTree(path, tree.type(), tensors, tree.attributes(), children);
    }

    private static String join(String prefix, String key) {
        return prefix.isEmpty() ? key : prefix + "." + key;
    }

    /** Dict keys as Python's str() prints them. */
    static String keyString(Object key) {
        if (key == null) {
            return "None";
        } else if (key instanceof Boolean b) {
            return b ? "True" : "False";
        }
        return key.toString();
    }
}
