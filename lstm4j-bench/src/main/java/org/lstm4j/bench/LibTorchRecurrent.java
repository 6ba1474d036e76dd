package org.lstm4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.Map;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.tensor.Tensor;

/**
 * The same LSTM or GRU in libtorch 2.7.1 through DJL: {@code torch::lstm} / {@code torch::gru} on
 * the lstm4j model's own weights, input and initial state. Inputs live in libtorch memory and are
 * created once; outputs are left in libtorch memory and freed after each call (copying them into
 * Java is not timed, which favours libtorch).
 *
 * <p>Threads: set {@code ai.djl.pytorch.num_threads} (intra-op) and
 * {@code ai.djl.pytorch.num_interop_threads} before the engine starts; {@link #intraOpThreads()}
 * reports what libtorch actually uses.
 */
final class LibTorchRecurrent implements AutoCloseable {

    private final BenchConfig config;
    private final NDManager manager;
    private final NDArray input;
    private final NDArray h0;
    /** An LSTM's c0; null for a GRU. */
    private final NDArray c0;
    /** The flat weights: per layer, per direction, w_ih, w_hh, b_ih, b_hh (PyTorch's order). */
    private final NDList params = new NDList();

    /** {@code c0} is an LSTM's initial cell state, null for a GRU. */
    LibTorchRecurrent(BenchConfig config, RNNBase module, Tensor x, Tensor h0, Tensor c0) {
        this.config = config;
        this.manager = NDManager.newBaseManager("PyTorch");
        this.input = create(x);
        this.h0 = create(h0);
        this.c0 = c0 == null ? null : create(c0);
        Map<String, Tensor> state = module.stateDict();
        for (RNNBase.ParameterSpec spec : module.config().parameterSpecs()) {
            NDArray p = create(state.get(spec.name()));
            if (config.training()) {
                p.setRequiresGradient(true);
            }
            params.add(p);
        }
    }

    static int intraOpThreads() {
        return JniUtils.getNumThreads();
    }

    private NDArray create(Tensor t) {
        long[] shape = new long[t.dim()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = t.size(i);
        }
        return manager.create(t.data(), new Shape(shape));
    }

    /** output, h_n (and c_n) of one forward call. */
    private NDList forward(boolean training) {
        if (c0 == null) {
            return input.getNDArrayInternal().gru(input, h0, params, true, config.layers(), 0.0, training,
                    config.bidirectional(), false);
        }
        return input.getNDArrayInternal().lstm(input, new NDList(h0, c0), params, true, config.layers(), 0.0,
                training, config.bidirectional(), false);
    }

    /** One timed call: inference forward, or forward + backward of sum(output) for training. */
    void run() {
        if (!config.training()) {
            try (NDList out = forward(false)) {
                out.head();
            }
            return;
        }
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            try (NDList out = forward(true); NDArray loss = out.head().sum()) {
                collector.backward(loss);
            }
        }
    }

    /**
     * One training step from zero gradients, then each parameter's gradient (PyTorch's order),
     * copied to Java.
     */
    float[][] trainingGradients() {
        for (NDArray p : params) {
            p.setRequiresGradient(true); // a fresh, zero gradient buffer
        }
        run();
        float[][] grads = new float[params.size()][];
        for (int i = 0; i < grads.length; i++) {
            grads[i] = params.get(i).getGradient().toFloatArray();
        }
        return grads;
    }

    /** output, h_n (and an LSTM's c_n) of an inference forward, copied to Java. */
    float[][] forwardOutputs() {
        try (NDList out = forward(false)) {
            float[][] copies = new float[out.size()][];
            for (int i = 0; i < copies.length; i++) {
                copies[i] = out.get(i).toFloatArray();
            }
            return copies;
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
