package org.lstm4j.parity.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Tensor;

/**
 * The libtorch side of the training parity tests: conversions and {@code torch::lstm}, reached
 * through DJL's PyTorch engine. Arrays belong to the caller's manager, so a test can mark them
 * with {@code setRequiresGradient(true)} and read {@code getGradient()} after
 * {@code GradientCollector.backward}, which runs libtorch's autograd.
 */
final class Torch {

    private Torch() {
    }

    /** A float32 copy of {@code t} in {@code manager}, same shape (or {@code shape} if given). */
    static NDArray nd(NDManager manager, Tensor t, long... shape) {
        int[] s = t.shape();
        long[] dims = new long[s.length];
        for (int i = 0; i < s.length; i++) {
            dims[i] = s[i];
        }
        return manager.create(t.data(), new Shape(shape.length > 0 ? shape : dims));
    }

    /** A float32 copy of {@code data} with the given shape. */
    static NDArray nd(NDManager manager, float[] data, long... shape) {
        return manager.create(data, new Shape(shape));
    }

    /** The values of {@code a}, row-major. */
    static float[] values(NDArray a) {
        return a.toFloatArray();
    }

    /** The gradient libtorch accumulated for leaf {@code a}. */
    static float[] grad(NDArray a) {
        return a.getGradient().toFloatArray();
    }

    /** A leaf that libtorch's autograd tracks. */
    static NDArray leaf(NDArray a) {
        a.setRequiresGradient(true);
        return a;
    }

    /**
     * {@code torch::lstm(input, {h0, c0}, params, has_biases, num_layers, dropout=0, train,
     * bidirectional, batch_first)}, the op behind {@code torch.nn.LSTM.forward}. libtorch infers
     * projections from h0 and c0 having different last dimensions.
     *
     * @return output, h_n, c_n
     */
    static NDList lstm(NDArray input, NDArray h0, NDArray c0, NDList flatWeights, boolean bias, int numLayers,
                       boolean bidirectional, boolean batchFirst) {
        return input.getNDArrayInternal().lstm(input, new NDList(h0, c0), flatWeights, bias, numLayers, 0.0, true,
                bidirectional, batchFirst);
    }

    /** Per parameter spec of {@code config}, in PyTorch's flat-weights order: its layer. */
    static int[] layersOf(LSTM.Config config) {
        return config.parameterSpecs().stream().mapToInt(LSTM.ParameterSpec::layer).toArray();
    }
}
