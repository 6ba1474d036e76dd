package org.lstm4j.io;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.lstm4j.tensor.Tensor;

/**
 * The modules of an unpickled model, their tensors named as {@code state_dict()} names them.
 * Nothing of the model's classes is run: this reads the attributes the pickle recorded.
 *
 * <ul>
 *   <li>A module pickled whole ({@code torch.save(model)}): a {@link PickledObject} whose attributes
 *       hold {@code _parameters}, {@code _buffers} and {@code _modules}. As
 *       {@code nn.Module._save_to_state_dict} does: its parameters that are not None, then its
 *       buffers that are not None and not in {@code _non_persistent_buffers_set}, then each
 *       submodule's under {@code "<name>."}.
 *   <li>A TorchScript module (class {@code __torch__.*}, from {@code torch.jit.save}): its
 *       attributes are its parameters, buffers, submodules and settings in its type's slot order.
 *       Its tensor attributes are named (data.pkl does not tell parameters and buffers from other
 *       tensor attributes, so those are named too), then its submodules; tensors inside lists
 *       (an LSTM's {@code _flat_weights}) are the same tensors again and are skipped.
 * </ul>
 */
final class PickledModules {
    /** Receives each tensor under its state-dict name. */
    interface TensorSink {
        void put(String name, Tensor tensor) throws IOException;
    }

    private PickledModules() {
    }

    static boolean isModule(Object value) {
        if (!(value instanceof PickledObject object)) {
            return false;
        }
        Map<?, ?> attributes = object.attributes();
        return isTorchScript(object) || attributes.get("_parameters") instanceof Map
                && attributes.get("_modules") instanceof Map;
    }

    private static boolean isTorchScript(PickledObject object) {
        return object.type().module().startsWith("__torch__") && object.state() instanceof Map;
    }

    /**
     * Names the tensors of {@code module} (sitting at {@code path}: "" for the root, "model",
     * "encoder.rnn") into {@code sink} and returns its tree; {@code notes} gets a line for each
     * parameter or buffer that is not a plain tensor (and is skipped).
     */
    static ModuleTree collect(String path, PickledObject module, TensorSink sink, List<String> notes)
            throws IOException {
        String prefix = path.isEmpty() ? "" : path + ".";
        List<String> tensors = new ArrayList<>();
        Map<String, Object> settings = new LinkedHashMap<>();
        List<ModuleTree> children = new ArrayList<>();
        Map<?, ?> attributes = module.attributes();
        for (Map.Entry<?, ?> e : attributes.entrySet()) {
            String name = Checkpoints.keyString(e.getKey());
            if (isSetting(name, e.getValue())) {
                settings.put(name, e.getValue());
            }
        }
        if (isTorchScript(module)) {
            for (Map.Entry<?, ?> e : attributes.entrySet()) {
                if (e.getValue() instanceof Tensor t) {
                    add(prefix + Checkpoints.keyString(e.getKey()), t, tensors, sink);
                }
            }
            for (Map.Entry<?, ?> e : attributes.entrySet()) {
                if (isModule(e.getValue())) {
                    children.add(collect(prefix + Checkpoints.keyString(e.getKey()), (PickledObject) e.getValue(),
                            sink, notes));
                }
            }
        } else {
            Object nonPersistent = attributes.get("_non_persistent_buffers_set");
            Set<?> skipped = nonPersistent instanceof Set<?> set ? set : Set.of();
            for (String group : List.of("_parameters", "_buffers")) {
                if (!(attributes.get(group) instanceof Map<?, ?> entries)) {
                    continue;
                }
                for (Map.Entry<?, ?> e : entries.entrySet()) {
                    String name = prefix + Checkpoints.keyString(e.getKey());
                    if (e.getValue() instanceof Tensor t) {
                        if (!skipped.contains(e.getKey())) {
                            add(name, t, tensors, sink);
                        }
                    } else if (e.getValue() != null) {
                        notes.add(name + ": " + describe(e.getValue()) + " is not a tensor lstm4j reads; skipped");
                    }
                }
            }
            for (Map.Entry<?, ?> e : ((Map<?, ?>) attributes.get("_modules")).entrySet()) {
                if (isModule(e.getValue())) {
                    children.add(collect(prefix + Checkpoints.keyString(e.getKey()), (PickledObject) e.getValue(),
                            sink, notes));
                }
            }
        }
        return new ModuleTree(path, module.type().qualifiedName(), tensors, settings, children);
    }

    private static void add(String name, Tensor t, List<String> tensors, TensorSink sink) throws IOException {
        tensors.add(name);
        sink.put(name, t);
    }

    /** A public setting such as hidden_size or batch_first: a plain value, or a list of them. */
    private static boolean isSetting(String name, Object value) {
        if (name.startsWith("_") || name.equals("training")) {
            return false;
        }
        if (value instanceof List<?> list) {
            return list.stream().allMatch(PickledModules::isPlain);
        }
        return isPlain(value);
    }

    private static boolean isPlain(Object value) {
        return value == null || value instanceof String || value instanceof Long || value instanceof BigInteger
                || value instanceof Double || value instanceof Boolean;
    }

    private static String describe(Object value) {
        return value instanceof PickledObject o ? "a " + o.type().qualifiedName() : "a " + value.getClass().getSimpleName();
    }
}
