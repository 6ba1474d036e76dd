package org.lstm4j.kernels;

/**
 * Scalar activation functions, computed in double and rounded once to float: the reference the
 * vector kernels are measured against, and their tail for lengths that are not whole vectors.
 */
public final class Activations {

    private Activations() {
    }

    public static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    public static float tanh(float x) {
        return (float) Math.tanh(x);
    }

    /** max(x, 0), keeping NaN (as PyTorch's relu). */
    public static float relu(float x) {
        return x > 0f || Float.isNaN(x) ? x : 0f;
    }
}
