package org.lstm4j.parity;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.recurrent.RNN.Activation;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.lstm4j.nn.HiddenStateRNN;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.LSTMCell;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.tensor.Tensor;

/**
 * libtorch 2.7.1, reached through DJL's PyTorch engine, as the reference every parity test
 * compares lstm4j against.
 *
 * <p>{@link #lstm} calls {@code torch::lstm(input, {h0, c0}, params, has_biases, num_layers,
 * dropout, train, bidirectional, batch_first)} — the op behind {@code torch.nn.LSTM.forward}.
 * {@code params} is PyTorch's {@code _flat_weights}: per layer, per direction, weight_ih,
 * weight_hh, [bias_ih, bias_hh], [weight_hr]. libtorch infers projections from h0 and c0 having
 * different last dimensions, so the same call covers proj_size (checked against an op-by-op
 * composition in {@code LibTorchReferenceTest}). On CPU, libtorch runs float32 LSTMs without
 * projections through oneDNN and those with projections through its native kernels (it logs a
 * one-time warning saying so); both are the real {@code torch.nn.LSTM} code paths.
 * {@link #hiddenStateRnn} calls {@code torch::gru} and {@code torch::rnn_tanh} /
 * {@code torch::rnn_relu} with the same flat weight list, the ops behind {@code torch.nn.GRU} and
 * {@code torch.nn.RNN}. {@link #lstmCell} has no libtorch op reachable from DJL, so it is composed
 * from libtorch's matmul, sigmoid and tanh.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final LibTorch torch = new LibTorch();   // closed after the class's tests
 *
 * LSTM.Output expected = torch.lstm(lstm.config(), lstm.stateDict(), input, h0, c0, false);
 * }</pre>
 *
 * <p>The Tensor-level methods allocate in a sub-manager closed before they return. The NDArray
 * level ({@link #toNd}, {@link #flatWeights}, {@link #lstm(NDArray, NDArray, NDArray, NDList,
 * LSTM.Config, boolean)}) leaves ownership with the caller's manager, so tests that need
 * autograd can mark the weights with {@code setRequiresGradient(true)} first. Public so the
 * parity tests in sub-packages (training) can share it.
 */
public final class LibTorch implements AutoCloseable, AfterAllCallback {

    private final NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");

    /** Opens a root manager on DJL's PyTorch engine (CPU). */
    public LibTorch() {
    }

    /** The engine's root manager for this instance; closed by {@link #close}. */
    public NDManager manager() {
        return manager;
    }

    /** A float32 NDArray in {@code owner} holding a copy of {@code t}, same shape. */
    public static NDArray toNd(NDManager owner, Tensor t) {
        int[] s = t.shape();
        long[] shape = new long[s.length];
        for (int i = 0; i < s.length; i++) {
            shape[i] = s[i];
        }
        return owner.create(t.data(), new Shape(shape));
    }

    /** {@code a} marked as a leaf whose gradient libtorch's autograd accumulates (read with {@code getGradient()}). */
    public static NDArray leaf(NDArray a) {
        a.setRequiresGradient(true);
        return a;
    }

    /** A Tensor holding a copy of {@code a} (any layout; DJL copies out contiguously). */
    public static Tensor toTensor(NDArray a) {
        long[] s = a.getShape().getShape();
        int[] shape = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            shape[i] = Math.toIntExact(s[i]);
        }
        return Tensor.of(a.toFloatArray(), shape);
    }

    /** PyTorch's {@code _flat_weights}, taken from {@code stateDict} in the order of {@code config.parameterSpecs()}. */
    public static NDList flatWeights(NDManager owner, RNNBase.Config config, Map<String, Tensor> stateDict) {
        NDList params = new NDList();
        for (RNNBase.ParameterSpec spec : config.parameterSpecs()) {
            Tensor value = stateDict.get(spec.name());
            if (value == null) {
                throw new IllegalArgumentException("state dict has no " + spec.name() + ", keys: " + stateDict.keySet());
            }
            params.add(toNd(owner, value));
        }
        return params;
    }

    /**
     * {@code torch::lstm} on batched input: (L, N, H_in), or (N, L, H_in) with batchFirst; h0
     * (D·numLayers, N, H_out) and c0 (D·numLayers, N, H_cell) are required here.
     *
     * @return output, h_n, c_n, as libtorch returns them
     */
    public static NDList lstm(NDArray input, NDArray h0, NDArray c0, NDList flatWeights, LSTM.Config config,
                              boolean train) {
        return input.getNDArrayInternal().lstm(input, new NDList(h0, c0), flatWeights, config.bias(),
                config.numLayers(), config.dropout(), train, config.bidirectional(), config.batchFirst());
    }

    /**
     * libtorch's LSTM on lstm4j tensors, with {@code torch.nn.LSTM.forward}'s conveniences:
     * h0 and c0 may both be null (zeros), and unbatched (L, H_in) input runs as a batch of one
     * and is squeezed back, as the Python module does.
     */
    public LSTM.Output lstm(LSTM.Config config, Map<String, Tensor> stateDict, Tensor input, Tensor h0, Tensor c0,
                     boolean train) {
        boolean batched = input.dim() == 3;
        int batch = !batched ? 1 : config.batchFirst() ? input.size(0) : input.size(1);
        int stateRows = config.numDirections() * config.numLayers();
        try (NDManager m = manager.newSubManager()) {
            NDArray x = toNd(m, input);
            NDArray h;
            NDArray c;
            if (h0 == null) {
                h = m.zeros(new Shape(stateRows, batch, config.outputSize()));
                c = m.zeros(new Shape(stateRows, batch, config.hiddenSize()));
            } else {
                h = toNd(m, h0).reshape(stateRows, batch, config.outputSize());
                c = toNd(m, c0).reshape(stateRows, batch, config.hiddenSize());
            }
            if (!batched) {
                // (L, H_in) -> (L, 1, H_in) time-major, or (1, L, H_in) with batchFirst.
                x = x.expandDims(config.batchFirst() ? 0 : 1);
            }
            NDList out = lstm(x, h, c, flatWeights(m, config, stateDict), config, train);
            NDArray output = out.get(0);
            NDArray hN = out.get(1);
            NDArray cN = out.get(2);
            if (!batched) {
                output = output.squeeze(config.batchFirst() ? 0 : 1);
                hN = hN.squeeze(1);
                cN = cN.squeeze(1);
            }
            return new LSTM.Output(toTensor(output), toTensor(hN), toTensor(cN));
        }
    }

    /**
     * {@code torch::gru}, {@code torch::rnn_tanh} or {@code torch::rnn_relu} (by {@code config}'s
     * mode) on batched input: (L, N, H_in), or (N, L, H_in) with batchFirst; h0 (D·numLayers, N,
     * H_out) is required here.
     *
     * @return output, h_n, as libtorch returns them
     */
    public static NDList hiddenStateRnn(NDArray input, NDArray h0, NDList flatWeights, RNNBase.Config config,
                                        boolean train) {
        return switch (config.mode()) {
            case GRU -> input.getNDArrayInternal().gru(input, h0, flatWeights, config.bias(), config.numLayers(),
                    config.dropout(), train, config.bidirectional(), config.batchFirst());
            case RNN_TANH, RNN_RELU -> input.getNDArrayInternal().rnn(input, h0, flatWeights, config.bias(),
                    config.numLayers(), config.mode() == RNNBase.Mode.RNN_RELU ? Activation.RELU : Activation.TANH,
                    config.dropout(), train, config.bidirectional(), config.batchFirst());
            case LSTM -> throw new IllegalArgumentException("an LSTM's state is (h, c): use lstm(...)");
        };
    }

    /**
     * libtorch's GRU or RNN on lstm4j tensors, with the Python module's conveniences: h0 may be
     * null (zeros), and unbatched (L, H_in) input runs as a batch of one and is squeezed back.
     */
    public HiddenStateRNN.Output hiddenStateRnn(RNNBase.Config config, Map<String, Tensor> stateDict, Tensor input,
                                               Tensor h0, boolean train) {
        boolean batched = input.dim() == 3;
        int batch = !batched ? 1 : config.batchFirst() ? input.size(0) : input.size(1);
        int stateRows = config.numDirections() * config.numLayers();
        try (NDManager m = manager.newSubManager()) {
            NDArray x = toNd(m, input);
            NDArray h = h0 == null ? m.zeros(new Shape(stateRows, batch, config.outputSize()))
                    : toNd(m, h0).reshape(stateRows, batch, config.outputSize());
            if (!batched) {
                x = x.expandDims(config.batchFirst() ? 0 : 1);
            }
            NDList out = hiddenStateRnn(x, h, flatWeights(m, config, stateDict), config, train);
            NDArray output = out.get(0);
            NDArray hN = out.get(1);
            if (!batched) {
                output = output.squeeze(config.batchFirst() ? 0 : 1);
                hN = hN.squeeze(1);
            }
            return new HiddenStateRNN.Output(toTensor(output), toTensor(hN));
        }
    }

    /**
     * One LSTMCell step from libtorch ops: gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh, split into
     * i, f, g, o (PyTorch's order); c' = σ(f)⊙c + σ(i)⊙tanh(g); h' = σ(o)⊙tanh(c').
     *
     * @param x   (N, I)
     * @param h   (N, H)
     * @param c   (N, H)
     * @param bIh (4H) or null without bias
     * @param bHh (4H) or null without bias
     * @return h', c' (N, H)
     */
    public static NDList lstmCell(NDArray x, NDArray h, NDArray c, NDArray wIh, NDArray wHh, NDArray bIh,
                                  NDArray bHh) {
        NDArray gates = x.matMul(wIh.transpose()).add(h.matMul(wHh.transpose()));
        if (bIh != null) {
            gates = gates.add(bIh).add(bHh);
        }
        NDList chunks = gates.split(4, 1);
        NDArray i = chunks.get(0).getNDArrayInternal().sigmoid();
        NDArray f = chunks.get(1).getNDArrayInternal().sigmoid();
        NDArray g = chunks.get(2).tanh();
        NDArray o = chunks.get(3).getNDArrayInternal().sigmoid();
        NDArray cNext = f.mul(c).add(i.mul(g));
        NDArray hNext = o.mul(cNext.tanh());
        return new NDList(hNext, cNext);
    }

    /**
     * libtorch's LSTMCell step on lstm4j tensors: input (N, I) or unbatched (I); h and c given
     * together or both null (zeros). Weights come from an LSTMCell state dict.
     */
    public LSTMCell.State lstmCell(Map<String, Tensor> stateDict, Tensor input, Tensor h, Tensor c) {
        boolean batched = input.dim() == 2;
        int batch = batched ? input.size(0) : 1;
        Tensor wIh = stateDict.get("weight_ih");
        int hidden = wIh.size(0) / 4;
        try (NDManager m = manager.newSubManager()) {
            NDArray x = toNd(m, input).reshape(batch, input.size(-1));
            NDArray hx = h == null ? m.zeros(new Shape(batch, hidden)) : toNd(m, h).reshape(batch, hidden);
            NDArray cx = c == null ? m.zeros(new Shape(batch, hidden)) : toNd(m, c).reshape(batch, hidden);
            Tensor bIh = stateDict.get("bias_ih");
            Tensor bHh = stateDict.get("bias_hh");
            NDList next = lstmCell(x, hx, cx, toNd(m, wIh), toNd(m, stateDict.get("weight_hh")),
                    bIh == null ? null : toNd(m, bIh), bHh == null ? null : toNd(m, bHh));
            Tensor hNext = toTensor(next.get(0));
            Tensor cNext = toTensor(next.get(1));
            return batched ? new LSTMCell.State(hNext, cNext)
                    : new LSTMCell.State(hNext.reshape(hidden), cNext.reshape(hidden));
        }
    }

    @Override
    public void close() {
        manager.close();
    }

    /** As a JUnit extension ({@code @RegisterExtension static final LibTorch torch}): closes after all tests. */
    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }
}
