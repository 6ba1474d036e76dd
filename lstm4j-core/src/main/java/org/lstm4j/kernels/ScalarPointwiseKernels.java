package org.lstm4j.kernels;

import org.lstm4j.math.Activations;

/**
 * The reference {@link PointwiseKernels}: every activation through {@link Activations} (double,
 * rounded once to float). {@code LSTMMath.recurrenceForward} runs its cell update on every row
 * when SIMD is off.
 */
public final class ScalarPointwiseKernels implements PointwiseKernels {

    public static final ScalarPointwiseKernels INSTANCE = new ScalarPointwiseKernels();

    private ScalarPointwiseKernels() {
    }

    @Override
    public void sigmoid(float[] src, int srcOff, float[] dst, int dstOff, int len) {
        for (int i = 0; i < len; i++) {
            dst[dstOff + i] = Activations.sigmoid(src[srcOff + i]);
        }
    }

    @Override
    public void tanh(float[] src, int srcOff, float[] dst, int dstOff, int len) {
        for (int i = 0; i < len; i++) {
            dst[dstOff + i] = Activations.tanh(src[srcOff + i]);
        }
    }

    @Override
    public void cellForward(int hidden, int from, int to, float[] gates, int gOff, float[] c, int cOff,
                            float[] h, int hOff) {
        for (int j = from; j < to; j++) {
            float i = Activations.sigmoid(gates[gOff + j]);
            float f = Activations.sigmoid(gates[gOff + hidden + j]);
            float g = Activations.tanh(gates[gOff + 2 * hidden + j]);
            float o = Activations.sigmoid(gates[gOff + 3 * hidden + j]);
            gates[gOff + j] = i;
            gates[gOff + hidden + j] = f;
            gates[gOff + 2 * hidden + j] = g;
            gates[gOff + 3 * hidden + j] = o;
            float cNew = f * c[cOff + j] + i * g;
            c[cOff + j] = cNew;
            h[hOff + j] = o * Activations.tanh(cNew);
        }
    }

    @Override
    public String name() {
        return "scalar";
    }
}
