package org.lstm4j.kernels;

/**
 * The reference {@link PointwiseKernels}: every activation through {@link Activations} (double,
 * rounded once to float). The recurrent layers run their cell updates through it on every row when
 * SIMD is off.
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
    public void lstmCellForward(int hidden, int from, int to, float[] gates, int gOff, float[] c, int cOff,
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
    public void gruCellForward(int hidden, int from, int to, float[] gates, int gOff, float[] recurrent, int rOff,
                               float[] hPrev, int hPrevOff, float[] h, int hOff) {
        for (int j = from; j < to; j++) {
            float r = Activations.sigmoid(gates[gOff + j] + recurrent[rOff + j]);
            float z = Activations.sigmoid(gates[gOff + hidden + j] + recurrent[rOff + hidden + j]);
            float n = Activations.tanh(gates[gOff + 2 * hidden + j] + r * recurrent[rOff + 2 * hidden + j]);
            gates[gOff + j] = r;
            gates[gOff + hidden + j] = z;
            gates[gOff + 2 * hidden + j] = n;
            h[hOff + j] = (hPrev[hPrevOff + j] - n) * z + n;
        }
    }

    @Override
    public void rnnCellForward(boolean relu, int from, int to, float[] gates, int gOff, float[] h, int hOff) {
        for (int j = from; j < to; j++) {
            float g = gates[gOff + j];
            float y = relu ? Activations.relu(g) : Activations.tanh(g);
            gates[gOff + j] = y;
            h[hOff + j] = y;
        }
    }

    @Override
    public String name() {
        return "scalar";
    }
}
