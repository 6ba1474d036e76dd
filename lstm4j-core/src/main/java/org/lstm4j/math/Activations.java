package org.lstm4j.math;

/** Scalar activation functions, computed in double and rounded once to float. */
public final class Activations {

    private Activations() {
    }

    public static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    public static float tanh(float x) {
        return (float) Math.tanh(x);
    }
}
