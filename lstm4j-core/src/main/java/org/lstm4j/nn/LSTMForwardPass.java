package org.lstm4j.nn;

import org.lstm4j.internal.ArraySizes;
import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.kernels.Parallel;
import org.lstm4j.kernels.PointwiseKernels;
import org.lstm4j.math.DropoutMath;
import org.lstm4j.math.LSTMMath;
import org.lstm4j.nn.LSTM.Config;
import org.lstm4j.nn.LSTM.LayerWeights;
import org.lstm4j.nn.LSTM.PackedLayer;

/**
 * The forward pass of an {@link LSTM} over a time-major packed batch: layer after layer, each
 * direction's input projection and recurrence ({@link LSTMMath}) split across {@link Parallel}'s
 * threads where the work pays for it, dropout between layers in training mode, and, for training,
 * an {@link LSTMTrace} of what {@link LSTMBackwardPass} needs.
 */
final class LSTMForwardPass {

    /**
     * Least work (multiply-adds) worth handing to a worker thread: well above the cost of waking
     * one (tens of microseconds), so small calls such as a batch-1 step stay on the caller.
     */
    static final long PART_FMAS = 1L << 21;
    /**
     * Least work per time step (multiply-adds) for splitting hidden units across threads, which
     * meet once per step (about a microsecond).
     */
    private static final long STEP_PART_FMAS = 1L << 17;
    /** Fewest sequences per thread in the recurrence: the GEMM micro-kernel computes 4 rows at a time. */
    static final int MIN_SEQUENCES_PER_PART = 4;

    private final LSTM lstm;
    private final Config config;
    /** weights[layer][direction], as {@link LSTM#weights()}. */
    private final LayerWeights[][] weights;
    private final MatrixKernels kernels;
    private final PointwiseKernels pointwise;

    LSTMForwardPass(LSTM lstm) {
        this.lstm = lstm;
        this.config = lstm.config();
        this.weights = lstm.weights();
        this.kernels = lstm.kernels();
        this.pointwise = lstm.pointwise();
    }

    /**
     * True when a step of {@code batch} sequences runs split by hidden units across threads
     * ({@link LSTMMath#layerForwardUnits}): too few sequences to split them, a step big enough to
     * pay for meeting once per step, and no projection.
     */
    static boolean splitsHiddenUnits(Config config, int batch) {
        return config.projSize() == 0 && Parallel.threads() > 1 && Parallel.parts(batch, MIN_SEQUENCES_PER_PART) == 1
                && (long) batch * 4 * config.hiddenSize() * config.hiddenSize() >= STEP_PART_FMAS;
    }

    /**
     * The whole stack over a time-major packed batch (see {@link LSTMMath}). Given a trace, it
     * also fills it with what {@link LSTMBackwardPass#backwardPacked} needs. Without one it is the
     * allocation-light inference path: per-direction buffers of one step's size reused by every
     * layer (an (R, 4H) gates buffer only where the projection is hoisted), dropout in place.
     *
     * @param x          (R, H_in) input rows, step after step
     * @param batchSizes live rows per step, non-increasing, batchSizes[0] == batch
     * @param h          (D·numLayers, N, H_out) in: h_0; out: h_n
     * @param c          (D·numLayers, N, H_cell) in: c_0; out: c_n
     * @param trace      filled for the backward pass, or null for inference
     * @return (R, D·H_out) the last layer's h_t for every row
     */
    float[] forwardPacked(float[] x, int[] batchSizes, int batch, float[] h, float[] c, LSTMTrace trace) {
        int[] stepOffsets = LSTMMath.stepOffsets(batchSizes);
        int rows = stepOffsets[batchSizes.length - 1] + batchSizes[batchSizes.length - 1];
        int hidden = config.hiddenSize();
        int projected = config.outputSize();
        int directions = config.numDirections();
        int width = directions * projected;
        checkSizes(rows, batch);
        if (trace != null) {
            trace.start(config, batchSizes, batch, rows, h, c);
        }
        PackedLayer[][] packedLayers = lstm.packedWeights();
        DirectionPass pass = new DirectionPass(batchSizes, stepOffsets, batch, rows, width, h, c, trace);
        // Both directions at once, one per thread, when each is worth a thread; they share only the
        // layer input (read) and output (disjoint columns). Each then runs on its thread alone.
        boolean concurrentDirections = directions == 2 && Parallel.threads() > 1;
        DirectionScratch[] scratch = new DirectionScratch[concurrentDirections ? 2 : 1];
        for (int i = 0; i < scratch.length; i++) {
            scratch[i] = new DirectionScratch(trace == null ? new float[batch * 4 * hidden] : null,
                    new float[batch * projected], new float[batch * hidden],
                    config.projSize() > 0 ? new float[batch * hidden] : null);
        }
        float[] layerInput = x;
        float[] layerOutput = null;
        for (int layer = 0; layer < config.numLayers(); layer++) {
            layerOutput = new float[rows * width]; // (R, D·H_out)
            if (trace != null) {
                trace.layerInputs[layer] = layerInput;
            }
            int l = layer;
            float[] in = layerInput;
            float[] out = layerOutput;
            if (concurrentDirections && (long) rows * 4 * hidden * (config.layerInputSize(layer) + projected) >= PART_FMAS) {
                Parallel.run(2, dir -> pass.run(l, dir, packedLayers[l][dir], in, out, scratch[dir], false));
            } else {
                for (int dir = 0; dir < directions; dir++) {
                    pass.run(layer, dir, packedLayers[layer][dir], in, out, scratch[0], true);
                }
            }
            boolean last = layer == config.numLayers() - 1;
            if (trace != null) {
                trace.layerOutputs[layer] = layerOutput;
            }
            if (!last && lstm.isTraining() && config.dropout() > 0) {
                if (trace == null) {
                    synchronized (lstm.dropoutLock()) {
                        DropoutMath.applyInPlace(lstm.dropoutRandom(), config.dropout(), layerOutput);
                    }
                } else {
                    float[] mask = trace.dropoutMasks[layer] = new float[layerOutput.length];
                    synchronized (lstm.dropoutLock()) {
                        DropoutMath.sampleMask(lstm.dropoutRandom(), config.dropout(), mask);
                    }
                    float[] dropped = new float[layerOutput.length];
                    DropoutMath.dropoutForward(dropped.length, layerOutput, mask, dropped);
                    layerOutput = dropped;
                }
            }
            layerInput = layerOutput;
        }
        return layerOutput;
    }

    /**
     * Fails with the sizes, before anything is allocated, if a buffer of this pass would not fit a
     * Java array: the (R, 4H) gates (traced, or of a hoisted projection), the (R, D·H_out) layer
     * outputs, and the (D·numLayers, N, H_cell) state.
     */
    private void checkSizes(int rows, int batch) {
        ArraySizes.length("LSTM gates (L·N, 4·hidden_size)", rows, 4, config.hiddenSize());
        ArraySizes.length("LSTM output (L·N, D·H_out)", rows, config.numDirections(), config.outputSize());
        ArraySizes.length("LSTM state (D·num_layers, N, H_cell)", (long) config.numDirections() * config.numLayers(),
                batch, Math.max(config.hiddenSize(), config.outputSize()));
    }

    /**
     * Per-direction working buffers of {@link #forwardPacked}: gates (N, 4H) of the running step
     * (null when tracing, which keeps (R, 4H) per cell), h (N, P) and c (N, H) of the running
     * step, hCell (N, H) before the projection (null without projections).
     */
    private record DirectionScratch(float[] gates, float[] h, float[] c, float[] hCell) {
    }

    /** One {@link #forwardPacked} call's shapes and state, for running one layer's direction at a time. */
    private final class DirectionPass {
        private final int[] batchSizes;
        private final int[] stepOffsets;
        private final int batch;
        private final int rows;
        private final int width;
        /** (D·numLayers, N, H_out) and (D·numLayers, N, H_cell): in h_0, c_0; out h_n, c_n. */
        private final float[] h;
        private final float[] c;
        private final LSTMTrace trace;

        DirectionPass(int[] batchSizes, int[] stepOffsets, int batch, int rows, int width, float[] h, float[] c,
                      LSTMTrace trace) {
            this.batchSizes = batchSizes;
            this.stepOffsets = stepOffsets;
            this.batch = batch;
            this.rows = rows;
            this.width = width;
            this.h = h;
            this.c = c;
            this.trace = trace;
        }

        /**
         * Runs direction {@code dir} of {@code layer} over in (R, I) into its columns of out
         * (R, D·H_out), and leaves its final h and c in {@link #h} and {@link #c}. With
         * {@code mayFork} it splits the work across {@link Parallel}'s threads: by hidden units
         * for a few sequences, else by rows (input projection) and sequences (recurrence).
         */
        void run(int layer, int dir, PackedLayer p, float[] in, float[] out, DirectionScratch scratch, boolean mayFork) {
            int hidden = config.hiddenSize();
            int projected = config.outputSize();
            LayerWeights w = weights[layer][dir];
            int state = layer * config.numDirections() + dir;
            float[] hState = scratch.h();
            float[] cState = scratch.c();
            System.arraycopy(h, state * batch * projected, hState, 0, hState.length);
            System.arraycopy(c, state * batch * hidden, cState, 0, cState.length);
            float[] gates = scratch.gates();
            float[] cAll = null;
            float[] hCellAll = null;
            if (trace != null) {
                gates = trace.gates[layer][dir] = new float[rows * 4 * hidden];
                cAll = trace.cAll[layer][dir] = new float[rows * hidden];
                hCellAll = w.wHr() == null ? null : (trace.hCellAll[layer][dir] = new float[rows * hidden]);
            }
            float[] g = gates;
            float[] cRows = cAll;
            float[] hCellRows = hCellAll;
            boolean reverse = dir == 1;
            int outOffset = reverse ? projected : 0;
            int panels = p.wHh().panels();
            boolean worthSplitting = mayFork && (long) rows * 4 * hidden * projected >= PART_FMAS;
            if (mayFork && splitsHiddenUnits(config, batch)) {
                // Few sequences: each thread owns a slice of hidden units (its slices of W_ih and
                // W_hh stay in its core's cache), meeting after every step.
                float[] hSpare = new float[hState.length]; // (N, H) h alternates with hState
                float[] rowGates = trace != null ? g : new float[rows * 4 * hidden]; // (R, 4H)
                Parallel.runTogether(Parallel.parts(panels, 1), (part, parts, barrier) ->
                        LSTMMath.layerForwardUnits(kernels, pointwise, hidden, batchSizes, stepOffsets, reverse,
                                Parallel.from(panels, parts, part), Parallel.from(panels, parts, part + 1), barrier,
                                in, p.wIh(), p.bias(), rowGates, p.wHh(), hState, hSpare, cState,
                                out, outOffset, width, cRows));
            } else {
                // Sequences never read each other's state: each thread owns a slice of them. With
                // enough sequences per slice each step projects its own rows of x just before its
                // recurrent product (the gates stay in cache); else the projection is hoisted out
                // of the time loop, split by rows.
                int batchParts = worthSplitting ? Parallel.parts(batch, MIN_SEQUENCES_PER_PART) : 1;
                boolean perStep = (batchParts > 1 || !mayFork) && batch / batchParts >= MIN_SEQUENCES_PER_PART;
                if (!perStep) {
                    float[] hoisted = trace != null ? g : new float[rows * 4 * hidden]; // (R, 4H)
                    int inputParts = !mayFork ? 1 : Parallel.parts(rows, (int) Math.min(rows, PART_FMAS
                            / ((long) 4 * hidden * config.layerInputSize(layer))) + 1);
                    Parallel.run(inputParts, part -> LSTMMath.inputProjection(kernels, Parallel.from(rows, inputParts,
                            part), Parallel.from(rows, inputParts, part + 1), hidden, in, p.wIh(), p.bias(),
                            hoisted));
                    LSTMMath.recurrenceForward(kernels, pointwise, hidden, projected, batchSizes, stepOffsets, reverse,
                            0, batch, null, null, null, hoisted, true, p.wHh(), p.wHr(), hState, cState, out,
                            outOffset, width, cRows, hCellRows, scratch.hCell());
                } else {
                    boolean byRow = trace != null;
                    Parallel.run(batchParts, part -> LSTMMath.recurrenceForward(kernels, pointwise, hidden,
                            projected, batchSizes, stepOffsets, reverse, Parallel.from(batch, batchParts, part),
                            Parallel.from(batch, batchParts, part + 1), in, p.wIh(), p.bias(), g, byRow,
                            p.wHh(), p.wHr(), hState, cState, out, outOffset, width, cRows, hCellRows, scratch.hCell()));
                }
            }
            System.arraycopy(hState, 0, h, state * batch * projected, hState.length);
            System.arraycopy(cState, 0, c, state * batch * hidden, cState.length);
        }
    }
}
