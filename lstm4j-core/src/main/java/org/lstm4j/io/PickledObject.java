package org.lstm4j.io;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.lstm4j.tensor.Tensor;

/**
 * An instance of a class lstm4j does not implement ({@code torch.nn.modules.rnn.LSTM},
 * {@code __main__.Net}, {@code argparse.Namespace}, ...), kept inert: nothing is imported, no
 * constructor or {@code __setstate__} runs. What the pickle did to it is recorded instead: the
 * arguments REDUCE or NEWOBJ passed, the state BUILD set (for most classes the instance's
 * {@code __dict__}), and the items SETITEM/APPEND added (subclasses of dict and list).
 *
 * <pre>{@code
 * // torch.save(model, "model.pt"): the root is the model object
 * PickledObject net = (PickledObject) TorchZip.readObject(Path.of("model.pt"));
 * net.type().qualifiedName();                 // "__main__.Net"
 * Object modules = net.attributes().get("_modules");
 * }</pre>
 */
public final class PickledObject {
    private final PickledGlobal type;
    private final List<Object> args;
    private Object state;
    private final Map<Object, Object> dictItems = new LinkedHashMap<>();
    private final List<Object> listItems = new ArrayList<>();

    PickledObject(PickledGlobal type, List<?> args) {
        this.type = Objects.requireNonNull(type, "type");
        this.args = Collections.unmodifiableList(new ArrayList<>(args));
    }

    /** The class the pickle names. */
    public PickledGlobal type() {
        return type;
    }

    /** The arguments of the REDUCE or NEWOBJ that created it (constructor or {@code __new__} arguments). */
    public List<Object> args() {
        return args;
    }

    /** The state BUILD set ({@code __setstate__}'s argument), or null if there was no BUILD. */
    public Object state() {
        return state;
    }

    /**
     * The instance's attributes: the state when it is a dict, or the dict half of a
     * {@code (dict, slots)} state; empty otherwise.
     */
    public Map<Object, Object> attributes() {
        if (state instanceof Map<?, ?> map) {
            return Collections.unmodifiableMap(map);
        }
        if (state instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof Map<?, ?> map) {
            return Collections.unmodifiableMap(map);
        }
        return Map.of();
    }

    /** Items set with SETITEM(S): the contents of a dict subclass (an EasyDict, a defaultdict-like class). */
    public Map<Object, Object> dictItems() {
        return Collections.unmodifiableMap(dictItems);
    }

    /** Items added with APPEND(S): the contents of a list subclass. */
    public List<Object> listItems() {
        return Collections.unmodifiableList(listItems);
    }

    void build(Object newState) {
        state = newState;
    }

    void putItem(Object key, Object value) {
        dictItems.put(key, value);
    }

    void addItems(List<Object> items) {
        listItems.addAll(items);
    }

    /** Every value it refers to (arguments, state, items), for walks over a pickled structure. */
    List<Object> contents() {
        List<Object> contents = new ArrayList<>(args);
        contents.add(state);
        contents.addAll(dictItems.values());
        contents.addAll(listItems);
        return contents;
    }

    /** {@code argparse.Namespace(lr=0.1, hidden=5)}: the type, then the arguments or attributes, shortened. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(type.qualifiedName()).append('(');
        List<String> parts = new ArrayList<>();
        for (Object arg : args) {
            parts.add(summary(arg));
        }
        attributes().forEach((k, v) -> parts.add(k + "=" + summary(v)));
        sb.append(String.join(", ", parts)).append(')');
        return sb.length() > 160 ? sb.substring(0, 157) + "..." : sb.toString();
    }

    private static String summary(Object value) {
        if (value instanceof String s) {
            return "'" + (s.length() > 40 ? s.substring(0, 37) + "..." : s) + "'";
        } else if (value instanceof byte[] bytes) {
            return bytes.length + " bytes";
        } else if (value instanceof Tensor t) {
            return "tensor" + t.shapeString();
        } else if (value instanceof PickledObject o) {
            return o.type.qualifiedName() + "(...)";
        } else if (value instanceof Map<?, ?> m) {
            return m.isEmpty() ? "{}" : "{...}";
        } else if (value instanceof Set<?> s) {
            return s.isEmpty() ? "set()" : "{...}";
        } else if (value instanceof List<?> l) {
            return l.isEmpty() ? "[]" : "[...]";
        } else if (value instanceof Boolean b) {
            return b ? "True" : "False";
        }
        return value == null ? "None" : value.toString();
    }
}
