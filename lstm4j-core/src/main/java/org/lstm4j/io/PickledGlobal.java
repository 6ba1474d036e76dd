package org.lstm4j.io;

import java.util.Objects;

/**
 * A Python class or function that a pickle names, kept as its name: lstm4j never imports it.
 *
 * <pre>{@code
 * // GLOBAL 'torch.nn.modules.rnn LSTM' in a whole-model pickle
 * new PickledGlobal("torch.nn.modules.rnn", "LSTM").qualifiedName();   // "torch.nn.modules.rnn.LSTM"
 * }</pre>
 *
 * <p>Instances built from it are {@link PickledObject}s. Names that can run code (os.system,
 * builtins.eval, ...) never become a PickledGlobal: the file is refused instead.
 *
 * @param module the module path, e.g. {@code torch.nn.modules.rnn} or {@code __main__}
 * @param name   the name inside it, e.g. {@code LSTM}
 */
public record PickledGlobal(String module, String name) {
    public PickledGlobal {
        Objects.requireNonNull(module, "module");
        Objects.requireNonNull(name, "name");
    }

    /** {@code module + "." + name}, as Python's {@code cls.__module__ + "." + cls.__qualname__}. */
    public String qualifiedName() {
        return module + "." + name;
    }

    @Override
    public String toString() {
        return qualifiedName();
    }
}
