package org.lstm4j.nn;

import java.util.function.Supplier;

/**
 * A value computed from some parameters — their weights laid out in panels for the kernels, the
 * gate biases — and computed again when any of them changes, i.e. when its
 * {@link Parameter#version()} moves (an optimizer step, a state-dict load, any write through the
 * parameter's tensor). The value is replaced, never changed in place, so a reader on another
 * thread keeps a whole snapshot.
 */
final class ParameterDerived<T> {

    private record Snapshot<T>(long version, T value) {
    }

    private final Parameter[] parameters;
    private final Supplier<T> compute;
    private volatile Snapshot<T> current;

    ParameterDerived(Parameter[] parameters, Supplier<T> compute) {
        this.parameters = parameters.clone();
        this.compute = compute;
    }

    /** The value for the parameters as they are now. */
    T get() {
        long version = 0;
        for (Parameter p : parameters) {
            version += p.version(); // versions only grow, so the sum moves whenever one does
        }
        Snapshot<T> snapshot = current;
        if (snapshot != null && snapshot.version() == version) {
            return snapshot.value();
        }
        synchronized (this) {
            snapshot = current;
            if (snapshot == null || snapshot.version() != version) {
                // Stamped with the version read before computing: a change meanwhile recomputes next time.
                snapshot = new Snapshot<>(version, compute.get());
                current = snapshot;
            }
            return snapshot.value();
        }
    }
}
