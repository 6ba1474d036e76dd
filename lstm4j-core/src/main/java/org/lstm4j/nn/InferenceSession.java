package org.lstm4j.nn;

import java.util.Objects;
import org.lstm4j.internal.ArraySizes;
import org.lstm4j.internal.TensorData;
import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.kernels.Parallel;
import org.lstm4j.kernels.PointwiseKernels;
import org.lstm4j.math.LSTMMath;
import org.lstm4j.tensor.Tensor;

/**
 * One caller's workspace for stepping a shared {@link LSTM}: the LSTM itself is never written
 * during inference, so any number of threads may share it, each with its own session. After the
 * first call at a batch size a step allocates nothing.
 *
 * <pre>{@code
 * LSTM lstm = LSTM.load(Path.of("model.pt"));          // shared by every request thread
 * lstm.eval();
 * // per thread:
 * InferenceSession session = lstm.newSession(64);
 * LSTMState state = lstm.zeroState(1);                 // per entity, kept between events
 * Tensor y = session.step(event, state);               // (1, H_out); state updated in place
 * }</pre>
 *
 * <p>Outputs are owned by the session and overwritten by its next step; copy them to keep them.
 * Not thread-safe: one session per thread. Results equal {@link LSTM#forward} over the whole
 * sequence bit for bit, since both run the same kernels on the same rows.
 */
public final class InferenceSession {
    private final LSTM lstm;
    private final LSTM.Config config;
    private final MatrixKernels kernels;
    private final PointwiseKernels pointwise;
    private final int maxBatch;
    // Workspace, sized for maxBatch rows.
    private final float[] gates;      // (N, 4H)
    private final float[][] layerOut; // 2 x (N, H_out): h_t of the layer just run and of the one before
    private final float[] h;          // (N, H_out) one layer's h
    private final float[] hSpare;     // (N, H) h_t while hidden units are split across threads, or null
    private final float[] c;          // (N, H) one layer's c
    private final float[] hCell;      // (N, H) before the projection, or null
    private final int[] liveRows = new int[1];
    private final int[] firstRow = new int[1];
    private final UnitsStep unitsStep = new UnitsStep();
    private float[] lastOut;          // the layerOut holding the last layer's h_t
    private Tensor output;            // (n, H_out) of the last step, reused while n stays the same
    private LSTMState gathered;       // (numLayers, k, ·) for stepStreams, reused while k stays the same

    InferenceSession(LSTM lstm, int maxBatch) {
        this.lstm = lstm;
        this.config = lstm.config();
        if (config.bidirectional()) {
            throw new IllegalArgumentException("step mode needs a unidirectional LSTM: the backward direction of a"
                    + " bidirectional LSTM reads the sequence from its end, so it cannot run one step at a time;"
                    + " use forward(input) over the whole sequence");
        }
        if (maxBatch < 0) {
            throw new IllegalArgumentException("maxBatch must not be negative, got " + maxBatch);
        }
        this.kernels = lstm.kernels();
        this.pointwise = lstm.pointwise();
        this.maxBatch = maxBatch;
        int hidden = config.hiddenSize();
        int hOut = config.outputSize();
        // (maxBatch, 4H) is the largest buffer: once it fits, every other product fits too.
        gates = new float[ArraySizes.length("this session's gates (maxBatch, 4·hidden_size)", maxBatch, 4, hidden)];
        layerOut = new float[][] {new float[maxBatch * hOut], new float[maxBatch * hOut]};
        h = new float[maxBatch * hOut];
        hSpare = config.projSize() == 0 ? new float[maxBatch * hidden] : null;
        c = new float[maxBatch * hidden];
        hCell = config.projSize() > 0 ? new float[maxBatch * hidden] : null;
    }

    /** The largest number of streams one call may step. */
    public int maxBatch() {
        return maxBatch;
    }

    /**
     * One time step for N streams: {@code x} (N, H_in) with a state of N streams, or (H_in) with
     * a state of one. Updates {@code state} in place.
     *
     * @return the last layer's h_t, (N, H_out) or (H_out); owned by this session
     */
    public Tensor step(Tensor x, LSTMState state) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(state, "state");
        lstm.requireInferenceMode();
        if (x.dim() != 1 && x.dim() != 2) {
            throw new IllegalArgumentException("step: Expected x to be 1D (H_in) or 2D (N, H_in), got " + x.dim()
                    + "D, shape " + x.shapeString());
        }
        if (x.size(-1) != config.inputSize()) {
            throw new IllegalArgumentException("input.size(-1) must be equal to input_size. Expected "
                    + config.inputSize() + ", got " + x.size(-1));
        }
        int n = x.dim() == 2 ? x.size(0) : 1;
        if (n > maxBatch) {
            throw new IllegalArgumentException("this session steps at most " + maxBatch + " streams, got " + n);
        }
        if (!fits(state.h(), n, config.outputSize()) || !fits(state.c(), n, config.hiddenSize())) {
            state.check(config, n); // throws, saying expected vs got
        }
        run(TensorData.array(x), n, TensorData.array(state.h()), TensorData.array(state.c()));
        if (output == null || output.numel() != n * config.outputSize() || output.dim() != x.dim()) {
            output = x.dim() == 2 ? Tensor.zeros(n, config.outputSize()) : Tensor.zeros(config.outputSize());
        }
        System.arraycopy(lastOut, 0, TensorData.array(output), 0, n * config.outputSize());
        return output;
    }

    /**
     * Micro-batching for servers: one step of k independent streams, each with its own state of
     * one stream (numLayers, 1, ·), run as one batched call. Row i of {@code x} (k, H_in) feeds
     * {@code states[i]}, which is updated in place. Equal to k separate {@link #step} calls.
     *
     * @return (k, H_out), row i for stream i; owned by this session
     */
    public Tensor stepStreams(Tensor x, LSTMState... states) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(states, "states");
        int k = states.length;
        if (x.dim() != 2 || x.size(0) != k) {
            throw new IllegalArgumentException("stepStreams: Expected x of shape (" + k + ", " + config.inputSize()
                    + ") for " + k + " streams, got " + x.shapeString());
        }
        if (gathered == null || gathered.batchSize() != k) {
            gathered = LSTMState.zeros(config, k);
        }
        for (int i = 0; i < k; i++) {
            LSTMState state = states[i];
            if (state == null) {
                throw new NullPointerException("states[" + i + "]");
            }
            if (!fits(state.h(), 1, config.outputSize()) || !fits(state.c(), 1, config.hiddenSize())) {
                state.check(config, 1); // throws, saying expected vs got
            }
            copyStream(state, 0, 1, gathered, i, k);
        }
        Tensor y = step(x, gathered);
        for (int i = 0; i < k; i++) {
            copyStream(gathered, i, k, states[i], 0, 1);
        }
        return y;
    }

    /**
     * Every layer for n rows; h and c are (numLayers, n, ·) and updated in place. A layer reads
     * the previous layer's output and writes the other buffer, since with hidden units split
     * across threads one thread may write its units of h_t while another still reads the input.
     */
    private void run(float[] x, int n, float[] hAll, float[] cAll) {
        int hidden = config.hiddenSize();
        int hOut = config.outputSize();
        liveRows[0] = n;
        boolean splitUnits = LSTMForwardPass.splitsHiddenUnits(config, n);
        float[] input = x;
        LSTM.PackedLayer[][] packed = lstm.packedWeights();
        for (int layer = 0; layer < config.numLayers(); layer++) {
            LSTM.PackedLayer p = packed[layer][0];
            float[] out = layerOut[layer % 2];
            System.arraycopy(hAll, layer * n * hOut, h, 0, n * hOut);
            System.arraycopy(cAll, layer * n * hidden, c, 0, n * hidden);
            if (splitUnits) {
                unitsStep.set(input, p, out);
                Parallel.runTogether(Parallel.parts(p.wHh().panels(), 1), unitsStep);
            } else {
                LSTMMath.recurrenceForward(kernels, pointwise, hidden, hOut, liveRows, firstRow, false, 0, n,
                        input, p.wIh(), p.bias(), gates, false, p.wHh(), p.wHr(), h, c, out, 0, hOut,
                        null, null, hCell);
            }
            System.arraycopy(h, 0, hAll, layer * n * hOut, n * hOut);
            System.arraycopy(c, 0, cAll, layer * n * hidden, n * hidden);
            input = out;
        }
        lastOut = input;
    }

    /** One layer's step split by hidden units ({@link LSTMMath#layerForwardUnits}); reused, so a step allocates nothing. */
    private final class UnitsStep implements Parallel.TogetherTask {
        private float[] input;
        private LSTM.PackedLayer p;
        private float[] out;

        void set(float[] input, LSTM.PackedLayer p, float[] out) {
            this.input = input;
            this.p = p;
            this.out = out;
        }

        @Override
        public void run(int part, int parts, Parallel.Barrier barrier) {
            int panels = p.wHh().panels();
            LSTMMath.layerForwardUnits(kernels, pointwise, config.hiddenSize(), liveRows, firstRow, false,
                    Parallel.from(panels, parts, part), Parallel.from(panels, parts, part + 1), barrier,
                    input, p.wIh(), p.bias(), gates, p.wHh(), h, hSpare, c, out, 0, config.outputSize(), null);
        }
    }

    /** True if {@code t} is (numLayers, n, width): {@link LSTMState}'s check without its allocation. */
    private boolean fits(Tensor t, int n, int width) {
        return t.dim() == 3 && t.size(0) == config.numLayers() && t.size(1) == n && t.size(2) == width;
    }

    /** Copies stream {@code from} of src (batch srcBatch) into stream {@code to} of dst (batch dstBatch). */
    private static void copyStream(LSTMState src, int from, int srcBatch, LSTMState dst, int to, int dstBatch) {
        int layers = src.h().size(0);
        int hOut = src.h().size(2);
        int hidden = src.c().size(2);
        for (int l = 0; l < layers; l++) {
            System.arraycopy(TensorData.array(src.h()), (l * srcBatch + from) * hOut, TensorData.array(dst.h()), (l * dstBatch + to) * hOut, hOut);
            System.arraycopy(TensorData.array(src.c()), (l * srcBatch + from) * hidden, TensorData.array(dst.c()),
                    (l * dstBatch + to) * hidden, hidden);
        }
    }
}
