package org.lstm4j.nn;

import java.util.Objects;
import org.lstm4j.internal.ArraySizes;
import org.lstm4j.internal.TensorData;
import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.kernels.Parallel;
import org.lstm4j.kernels.PointwiseKernels;
import org.lstm4j.math.CellMath;
import org.lstm4j.math.LayerPanels;
import org.lstm4j.math.RecurrentMath;
import org.lstm4j.tensor.Tensor;

/**
 * One caller's workspace for stepping a shared {@link LSTM}, {@link GRU} or {@link RNN}: the
 * module itself is never written during inference, so any number of threads may share it, each
 * with its own session. After the first call at a batch size a step allocates nothing.
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
 * <p>The state is an {@link LSTMState} for an LSTM and a {@link HiddenState} for a GRU or RNN.
 * Outputs are owned by the session and overwritten by its next step; copy them to keep them.
 * Not thread-safe: one session per thread. Results equal the module's {@code forward} over the
 * whole sequence bit for bit, since both run the same kernels on the same rows.
 */
public final class InferenceSession {
    private final RNNBase module;
    private final RNNBase.Config config;
    private final CellMath cell;
    private final MatrixKernels kernels;
    private final PointwiseKernels pointwise;
    private final int maxBatch;
    // Workspace, sized for maxBatch rows.
    private final float[] gates;          // (N, G·H)
    private final float[] recurrentGates; // (N, G·H) h·W_hhᵀ + b_hh for a cell that keeps it apart, or null
    private final float[][] layerOut;     // 2 x (N, H_out): h_t of the layer just run and of the one before
    private final float[] h;              // (N, H_out) one layer's h
    private final float[] hSpare;         // (N, H) h_t while hidden units are split across threads, or null
    private final float[] c;              // (N, H) one layer's c, or null without a cell state
    private final float[] hCell;          // (N, H) before the projection, or null
    private final int[] liveRows = new int[1];
    private final int[] firstRow = new int[1];
    private final UnitsStep unitsStep = new UnitsStep();
    private final StreamsStep streamsStep = new StreamsStep();
    private float[] lastOut;              // the layerOut holding the last layer's h_t
    private Tensor output;                // (n, H_out) of the last step, reused while n stays the same
    private RecurrentState gathered;      // (numLayers, k, ·) for stepStreams, reused while k stays the same

    InferenceSession(RNNBase module, int maxBatch) {
        this.module = module;
        this.config = module.config();
        this.cell = module.cell();
        String name = config.mode().moduleName();
        String backward = module.backwardInTime();
        if (backward != null) {
            throw new IllegalArgumentException("step mode needs a unidirectional " + name + " that runs forward in"
                    + " time: " + backward + " reads the sequence from its end, so it cannot run one step at a time;"
                    + " use forward(input) over the whole sequence");
        }
        if (maxBatch < 0) {
            throw new IllegalArgumentException("maxBatch must not be negative, got " + maxBatch);
        }
        this.kernels = module.kernels();
        this.pointwise = module.pointwise();
        this.maxBatch = maxBatch;
        int hidden = config.hiddenSize();
        int hOut = config.outputSize();
        // (maxBatch, G·H) is the largest buffer: once it fits, every other product fits too.
        gates = new float[ArraySizes.length("this session's gates (maxBatch, " + config.mode().gates()
                + "·hidden_size)", maxBatch, config.mode().gates(), hidden)];
        recurrentGates = cell.separateRecurrentGates() ? new float[maxBatch * config.gateSize()] : null;
        layerOut = new float[][] {new float[maxBatch * hOut], new float[maxBatch * hOut]};
        h = new float[maxBatch * hOut];
        hSpare = config.projSize() == 0 ? new float[maxBatch * hidden] : null;
        c = cell.hasCellState() ? new float[maxBatch * hidden] : null;
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
    public Tensor step(Tensor x, RecurrentState state) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(state, "state");
        module.requireInferenceMode();
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
        Tensor cState = state instanceof LSTMState s ? s.c() : null;
        if (!fits(state, n)) {
            module.checkState(state, n); // throws, saying expected vs got
        }
        run(TensorData.array(x), n, TensorData.array(state.h()), cState == null ? null : TensorData.array(cState));
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
    public Tensor stepStreams(Tensor x, RecurrentState... states) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(states, "states");
        int k = states.length;
        if (x.dim() != 2 || x.size(0) != k) {
            throw new IllegalArgumentException("stepStreams: Expected x of shape (" + k + ", " + config.inputSize()
                    + ") for " + k + " streams, got " + x.shapeString());
        }
        if (gathered == null || gathered.batchSize() != k) {
            gathered = RecurrentState.zeros(config, k);
        }
        for (int i = 0; i < k; i++) {
            RecurrentState state = states[i];
            if (state == null) {
                throw new NullPointerException("states[" + i + "]");
            }
            if (!fits(state, 1)) {
                module.checkState(state, 1); // throws, saying expected vs got
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
     * Every layer for n rows; h (and c) are (numLayers, n, ·) and updated in place. A layer reads
     * the previous layer's output and writes the other buffer, since with hidden units split
     * across threads one thread may write its units of h_t while another still reads the input.
     */
    private void run(float[] x, int n, float[] hAll, float[] cAll) {
        int hidden = config.hiddenSize();
        int hOut = config.outputSize();
        liveRows[0] = n;
        float[] input = x;
        LayerPanels[][] panels = module.panels();
        for (int layer = 0; layer < config.numLayers(); layer++) {
            LayerPanels p = panels[layer][0];
            float[] out = layerOut[layer % 2];
            System.arraycopy(hAll, layer * n * hOut, h, 0, n * hOut);
            if (c != null) {
                System.arraycopy(cAll, layer * n * hidden, c, 0, n * hidden);
            }
            if (RecurrentForwardPass.splitsHiddenUnits(config, p, n)) {
                unitsStep.set(input, p, out);
                Parallel.runTogether(Parallel.parts(p.wHh().unitSlices(), 1), unitsStep);
            } else {
                streamsStep.set(input, p, out, n);
                Parallel.runTogether(RecurrentForwardPass.sequenceParts(config, n, n), streamsStep);
            }
            System.arraycopy(h, 0, hAll, layer * n * hOut, n * hOut);
            if (c != null) {
                System.arraycopy(c, 0, cAll, layer * n * hidden, n * hidden);
            }
            input = out;
        }
        lastOut = input;
    }

    /** One layer's step split by hidden units ({@link RecurrentMath#layerForwardUnits}); reused, so a step allocates nothing. */
    private final class UnitsStep implements Parallel.TogetherTask {
        private float[] input;
        private LayerPanels p;
        private float[] out;

        void set(float[] input, LayerPanels p, float[] out) {
            this.input = input;
            this.p = p;
            this.out = out;
        }

        @Override
        public void run(int part, int parts, Parallel.Barrier barrier) {
            int slices = p.wHh().unitSlices();
            RecurrentMath.layerForwardUnits(kernels, pointwise, cell, p, liveRows, firstRow, false,
                    Parallel.from(slices, parts, part), Parallel.from(slices, parts, part + 1), barrier,
                    input, gates, recurrentGates, h, hSpare, c, out, 0, config.outputSize(), null);
        }
    }

    /**
     * One layer's step with the streams cut into parts, one per thread ({@link
     * RecurrentMath#recurrenceForward} over streams [from, to)): streams never read each other's
     * state, so each gets exactly the bits it gets alone. Reused, so a step allocates nothing.
     */
    private final class StreamsStep implements Parallel.TogetherTask {
        private float[] input;
        private LayerPanels p;
        private float[] out;
        private int n;

        void set(float[] input, LayerPanels p, float[] out, int n) {
            this.input = input;
            this.p = p;
            this.out = out;
            this.n = n;
        }

        @Override
        public void run(int part, int parts, Parallel.Barrier barrier) {
            RecurrentMath.recurrenceForward(kernels, pointwise, cell, p, liveRows, firstRow, false,
                    Parallel.from(n, parts, part), Parallel.from(n, parts, part + 1), input, gates, false,
                    recurrentGates, h, c, out, 0, config.outputSize(), null, null, hCell);
        }
    }

    /** True if {@code state} is this module's kind for n streams: {@link RNNBase#checkState}'s check without its allocation. */
    private boolean fits(RecurrentState state, int n) {
        Tensor c = state instanceof LSTMState s ? s.c() : null;
        return (c != null) == cell.hasCellState() && fits(state.h(), n, config.outputSize())
                && (c == null || fits(c, n, config.hiddenSize()));
    }

    /** True if {@code t} is (numLayers, n, width). */
    private boolean fits(Tensor t, int n, int width) {
        return t.dim() == 3 && t.size(0) == config.numLayers() && t.size(1) == n && t.size(2) == width;
    }

    /** Copies stream {@code from} of src (batch srcBatch) into stream {@code to} of dst (batch dstBatch). */
    private static void copyStream(RecurrentState src, int from, int srcBatch, RecurrentState dst, int to,
                                   int dstBatch) {
        copyStream(src.h(), from, srcBatch, dst.h(), to, dstBatch);
        if (src instanceof LSTMState s && dst instanceof LSTMState d) {
            copyStream(s.c(), from, srcBatch, d.c(), to, dstBatch);
        }
    }

    /** The same for one (numLayers, batch, width) tensor of a state. */
    private static void copyStream(Tensor src, int from, int srcBatch, Tensor dst, int to, int dstBatch) {
        int width = src.size(2);
        for (int l = 0; l < src.size(0); l++) {
            System.arraycopy(TensorData.array(src), (l * srcBatch + from) * width, TensorData.array(dst),
                    (l * dstBatch + to) * width, width);
        }
    }
}
