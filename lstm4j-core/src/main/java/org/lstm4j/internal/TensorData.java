package org.lstm4j.internal;

import java.util.Objects;
import org.lstm4j.tensor.Tensor;

/**
 * lstm4j's own access to a {@link Tensor}'s backing array, without counting as a write.
 *
 * <p>{@link Tensor#data()} hands the live array to users, so it moves the tensor's
 * {@link Tensor#version()}: anything derived from the values (packed weight panels, a forward pass
 * waiting for its backward) then sees that they may have changed. lstm4j's kernels read inputs
 * and weights, and write tensors they made themselves, through this class instead; a read must
 * not look like a write, or a second forward pass over the same input would invalidate the first
 * one's backward. Code here that changes values someone else may have derived from (an optimizer
 * step, a state-dict load) calls {@link Tensor#markChanged()} itself.
 *
 * <p>This package is not exported; it is the JDK's "shared secrets" pattern: {@link Tensor}
 * installs the accessor when its class initialises.
 */
public final class TensorData {

    /** Implemented by {@link Tensor} only. */
    public interface Access {
        float[] array(Tensor tensor);
    }

    private static Access access;

    private TensorData() {
    }

    /** Called once, from {@link Tensor}'s static initialiser. */
    public static synchronized void install(Access tensorAccess) {
        if (access != null) {
            throw new IllegalStateException("TensorData access is already installed");
        }
        access = Objects.requireNonNull(tensorAccess, "tensorAccess");
    }

    /** The live backing array of {@code tensor}, row-major; its version does not move. */
    public static float[] array(Tensor tensor) {
        return access.array(tensor);
    }
}
