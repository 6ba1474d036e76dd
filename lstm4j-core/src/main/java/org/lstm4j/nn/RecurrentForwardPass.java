package org.lstm4j.nn;

import org.lstm4j.internal.ArraySizes;
import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.kernels.Parallel;
import org.lstm4j.kernels.PointwiseKernels;
import org.lstm4j.math.CellMath;
import org.lstm4j.math.DropoutMath;
import org.lstm4j.math.LayerPanels;
import org.lstm4j.math.RecurrentMath;
import org.lstm4j.nn.ForwardWorkspace.Buffer;
import org.lstm4j.nn.RNNBase.Config;

/**
 * The forward pass of an {@link RNNBase} (any mode) over time-major rows, padded or packed:
 * layer after layer, each direction's input projection and recurrence ({@link RecurrentMath}, the
 * module's cell) split across {@link Parallel}'s threads where the work pays for it, dropout
 * between layers in training mode, and, for training, a {@link RecurrentTrace} of what
 * {@link RecurrentBackwardPass} needs.
 */
final class RecurrentForwardPass {

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
    /**
     * Fewest sequences per thread for which a layer split by sequences (or a direction running
     * alone on its thread, both directions at once) projects x step by step rather than hoisting
     * the projection out of the time loop. Per step a thread reads all of W_ih again, which pays
     * only when many rows share each read; hoisted, W_ih is read once and the gates (L·N, G·H) go
     * through memory (as PyTorch's CPU layers hoist it). Measured on a 2-core AMD EPYC (AVX-512,
     * 2026-12-02), median time hoisted / per step, both in one JVM in alternating blocks, by
     * sequences per thread: split by sequences (L = 100, 2 threads) 8: 0.90, 16: 0.83–0.95 (config
     * (c) 0.94, 0.95), 32: 0.85, 64: 1.03, 128: 1.12; bidirectional layers (L = 50) 4..32:
     * 0.72–0.97 (config (e) 0.93, 0.97), 64: 0.91 and 0.99, 128: 1.04–1.13, 256: 1.13.
     */
    static final int PER_STEP_PROJECTION_MIN_SEQUENCES = 128;
    /**
     * Weights of one layer and direction (W_ih and W_hh as stored) from which a batch of up to
     * {@link #MAX_SEQUENCES_PER_PART_LARGE_WEIGHTS} sequences per thread is split by hidden units
     * too. Split by sequences, every thread reads all of them in every step: from several times a
     * core's L2 (1 MiB on the machines measured) that is a stream from L3 per step. Split by hidden
     * units, a thread reads its share of W_hh per step and its share of W_ih once, in the
     * projection hoisted out of the time loop (an (L·N, G·H) buffer, as PyTorch's CPU layers
     * hoist it). Measured on a 2-core AMD EPYC (AVX-512, 2026-12-02), one layer, L = 50, I = H,
     * median time split by units / by sequences, both in one JVM in alternating blocks: H = 256
     * (2 MiB) 0.98 at N = 32 and 1.03 at N = 64; H = 384 (4.5 MiB) 0.95 at N = 32; H = 512 (8 MiB)
     * 0.88–0.90 at N = 16, 32, 64 and 1.02 at N = 128; H = 768 (18 MiB) 0.74 at N = 64.
     */
    static final long LARGE_WEIGHTS_BYTES = 4L << 20;
    /** Most sequences per thread for which large weights are split by hidden units (beyond, each weight read serves enough rows). */
    static final int MAX_SEQUENCES_PER_PART_LARGE_WEIGHTS = 32;

    private final RNNBase module;
    private final Config config;
    private final CellMath cell;
    private final MatrixKernels kernels;
    private final PointwiseKernels pointwise;
    /** Inference calls' working buffers, kept between calls. */
    private final ForwardWorkspace.Pool workspaces = new ForwardWorkspace.Pool();

    RecurrentForwardPass(RNNBase module) {
        this.module = module;
        this.config = module.config();
        this.cell = module.cell();
        this.kernels = module.kernels();
        this.pointwise = module.pointwise();
    }

    /**
     * True when a step of {@code batch} sequences through layer weights {@code w} runs split by
     * hidden units across threads ({@link RecurrentMath#layerForwardUnits}): no projection, a step
     * big enough to pay for meeting once per step, and either too few sequences to split them or
     * weights too large for every thread to read them in every step ({@link #LARGE_WEIGHTS_BYTES}).
     */
    static boolean splitsHiddenUnits(Config config, LayerPanels w, int batch) {
        if (config.projSize() != 0 || Parallel.threads() < 2
                || (long) batch * config.gateSize() * config.hiddenSize() < STEP_PART_FMAS) {
            return false;
        }
        boolean fewSequences = Parallel.parts(batch, MIN_SEQUENCES_PER_PART) == 1;
        boolean largeWeights = w.wIh().storageBytes() + w.wHh().storageBytes() >= LARGE_WEIGHTS_BYTES
                && batch <= (long) MAX_SEQUENCES_PER_PART_LARGE_WEIGHTS * Parallel.threads();
        return fewSequences || largeWeights;
    }

    /**
     * Threads for {@code rows} rows of {@code batch} sequences split by sequences: enough work
     * ({@link #PART_FMAS}) and at least {@link #MIN_SEQUENCES_PER_PART} sequences each, else 1.
     */
    static int sequenceParts(Config config, int rows, int batch) {
        return (long) rows * config.gateSize() * config.outputSize() >= PART_FMAS
                ? Parallel.parts(batch, MIN_SEQUENCES_PER_PART) : 1;
    }

    /**
     * The whole stack over time-major rows: a padded batch ({@code batchSizes} all N) or a packed
     * one (see {@link RecurrentMath}). Given a trace, it also fills it with what
     * {@link RecurrentBackwardPass#backwardStack} needs. Without one it is the inference path:
     * per-direction buffers of one step's size reused by every layer (an (R, G·H) gates buffer
     * only where the projection is hoisted), dropout in place, and every buffer but the returned
     * output taken from a {@link ForwardWorkspace} kept between calls.
     *
     * @param x          (R, H_in) input rows, step after step
     * @param batchSizes live rows per step, non-increasing, batchSizes[0] == batch
     * @param h          (D·numLayers, N, H_out) in: h_0; out: h_n
     * @param c          (D·numLayers, N, H_cell) in: c_0; out: c_n; null without a cell state
     * @param trace      filled for the backward pass, or null for inference
     * @return (R, D·H_out) the last layer's h_t for every row
     */
    float[] forwardStack(float[] x, int[] batchSizes, int batch, float[] h, float[] c, RecurrentTrace trace) {
        checkSizes(batchSizes, batch);
        if (trace != null) {
            return forwardStack(x, batchSizes, batch, h, c, trace, null);
        }
        ForwardWorkspace workspace = workspaces.take();
        try {
            return forwardStack(x, batchSizes, batch, h, c, null, workspace);
        } finally {
            workspaces.give(workspace);
        }
    }

    /** {@link #forwardStack} with a trace (training) or a workspace (inference): exactly one of them. */
    private float[] forwardStack(float[] x, int[] batchSizes, int batch, float[] h, float[] c, RecurrentTrace trace,
                                 ForwardWorkspace workspace) {
        int[] stepOffsets = RecurrentMath.stepOffsets(batchSizes);
        int rows = stepOffsets[batchSizes.length - 1] + batchSizes[batchSizes.length - 1];
        int hidden = config.hiddenSize();
        int gateSize = config.gateSize();
        int projected = config.outputSize();
        int directions = config.numDirections();
        int width = directions * projected;
        if (trace != null) {
            trace.start(config, batchSizes, batch, rows, h, c);
        }
        LayerPanels[][] panels = module.panels();
        DirectionPass pass = new DirectionPass(batchSizes, stepOffsets, batch, rows, width, h, c, trace);
        // Both directions at once, one per thread, when each is worth a thread; they share only the
        // layer input (read) and output (disjoint columns). Each then runs on its thread alone.
        boolean concurrentDirections = directions == 2 && Parallel.threads() > 1;
        DirectionScratch[] scratch = new DirectionScratch[concurrentDirections ? 2 : 1];
        for (int i = 0; i < scratch.length; i++) {
            DirectionScratch s = new DirectionScratch(workspace, i);
            scratch[i] = s;
            s.gates = trace == null ? s.buffer(Buffer.STEP_GATES, batch * gateSize) : null;
            s.recurrentGates = cell.separateRecurrentGates() ? s.buffer(Buffer.RECURRENT_GATES, batch * gateSize) : null;
            s.h = s.buffer(Buffer.H, batch * projected);
            s.c = c == null ? null : s.buffer(Buffer.C, batch * hidden);
            s.hCell = config.projSize() > 0 ? s.buffer(Buffer.H_CELL, batch * hidden) : null;
        }
        float[] layerInput = x;
        float[] layerOutput = null;
        for (int layer = 0; layer < config.numLayers(); layer++) {
            // (R, D·H_out): the returned output is always new; a layer below it reuses the workspace's
            boolean last = layer == config.numLayers() - 1;
            layerOutput = workspace == null || last ? new float[rows * width]
                    : workspace.get(Buffer.LAYER_OUTPUT, layer % 2, rows * width);
            if (trace != null) {
                trace.layerInputs[layer] = layerInput;
            }
            int l = layer;
            float[] in = layerInput;
            float[] out = layerOutput;
            if (concurrentDirections && (long) rows * gateSize * (config.layerInputSize(layer) + projected) >= PART_FMAS) {
                Parallel.run(2, dir -> pass.run(l, dir, panels[l][dir], in, out, scratch[dir], false));
            } else {
                for (int dir = 0; dir < directions; dir++) {
                    pass.run(layer, dir, panels[layer][dir], in, out, scratch[0], true);
                }
            }
            if (trace != null) {
                trace.layerOutputs[layer] = layerOutput;
            }
            if (!last && module.isTraining() && config.dropout() > 0) {
                if (trace == null) {
                    synchronized (module.dropoutLock()) {
                        DropoutMath.applyInPlace(module.dropoutRandom(), config.dropout(), layerOutput);
                    }
                } else {
                    float[] mask = trace.dropoutMasks[layer] = new float[layerOutput.length];
                    synchronized (module.dropoutLock()) {
                        DropoutMath.sampleMask(module.dropoutRandom(), config.dropout(), mask);
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
     * Java array: the (R, G·H) gates (traced, or of a hoisted projection), the (R, D·H_out) layer
     * outputs, and the (D·numLayers, N, H_cell) state.
     */
    private void checkSizes(int[] batchSizes, int batch) {
        long rows = 0;
        for (int live : batchSizes) {
            rows += live;
        }
        String name = config.mode().moduleName();
        ArraySizes.length(name + " gates (L·N, " + config.mode().gates() + "·hidden_size)", rows, config.mode().gates(),
                config.hiddenSize());
        ArraySizes.length(name + " output (L·N, D·H_out)", rows, config.numDirections(), config.outputSize());
        ArraySizes.length(name + " state (D·num_layers, N, H_cell)", (long) config.numDirections() * config.numLayers(),
                batch, Math.max(config.hiddenSize(), config.outputSize()));
    }

    /**
     * Per-direction working buffers of {@link #forwardStack}: gates (N, G·H) of the running step
     * (null when tracing, which keeps (R, G·H) per cell), recurrentGates (N, G·H) for a cell that
     * keeps h·W_hhᵀ + b_hh apart (else null), h (N, P) and c (N, H, null without a cell state) of
     * the running step, hCell (N, H) before the projection (null without projections); more
     * on demand ({@link #buffer}): from set {@code set} of the workspace, or new when tracing.
     */
    private static final class DirectionScratch {
        private final ForwardWorkspace workspace;
        private final int set;
        private float[] gates;
        private float[] recurrentGates;
        private float[] h;
        private float[] c;
        private float[] hCell;

        DirectionScratch(ForwardWorkspace workspace, int set) {
            this.workspace = workspace;
            this.set = set;
        }

        float[] buffer(Buffer buffer, int length) {
            return workspace == null ? new float[length] : workspace.get(buffer, set, length);
        }
    }

    /** One {@link #forwardStack} call's shapes and state, for running one layer's direction at a time. */
    private final class DirectionPass {
        private final int[] batchSizes;
        private final int[] stepOffsets;
        private final int batch;
        private final int rows;
        private final int width;
        /** (D·numLayers, N, H_out) and (D·numLayers, N, H_cell) or null: in h_0, c_0; out h_n, c_n. */
        private final float[] h;
        private final float[] c;
        private final RecurrentTrace trace;

        DirectionPass(int[] batchSizes, int[] stepOffsets, int batch, int rows, int width, float[] h, float[] c,
                      RecurrentTrace trace) {
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
         * (R, D·H_out), and leaves its final h (and c) in {@link #h} (and {@link #c}). With
         * {@code mayFork} it splits the work across {@link Parallel}'s threads: by hidden units
         * for a few sequences or large weights ({@link #splitsHiddenUnits}), else by rows (input
         * projection) and sequences (recurrence).
         */
        void run(int layer, int dir, LayerPanels p, float[] in, float[] out, DirectionScratch scratch, boolean mayFork) {
            int hidden = config.hiddenSize();
            int gateSize = config.gateSize();
            int projected = config.outputSize();
            int state = layer * config.numDirections() + dir;
            float[] hState = scratch.h;
            float[] cState = scratch.c;
            System.arraycopy(h, state * batch * projected, hState, 0, hState.length);
            if (cState != null) {
                System.arraycopy(c, state * batch * hidden, cState, 0, cState.length);
            }
            float[] gates = scratch.gates;
            float[] saved = null;
            float[] hCellAll = null;
            if (trace != null) {
                gates = trace.gates[layer][dir] = new float[rows * gateSize];
                saved = !cell.savesRows() ? null : (trace.saved[layer][dir] = new float[rows * hidden]);
                hCellAll = p.wHr() == null ? null : (trace.hCellAll[layer][dir] = new float[rows * hidden]);
            }
            float[] g = gates;
            float[] savedRows = saved;
            float[] hCellRows = hCellAll;
            float[] recurrentGates = scratch.recurrentGates;
            boolean reverse = config.direction().runsBackward(dir);
            int outOffset = dir * projected;
            int slices = p.wHh().unitSlices();
            if (mayFork && splitsHiddenUnits(config, p, batch)) {
                // Few sequences, or weights too large for every thread to read per step: each
                // thread owns a slice of hidden units (on a small batch its slices of W_ih and W_hh
                // stay in its core's cache), meeting after every step.
                float[] hSpare = scratch.buffer(Buffer.H_SPARE, hState.length); // (N, H) h alternates with hState
                float[] rowGates = trace != null ? g : scratch.buffer(Buffer.ROW_GATES, rows * gateSize); // (R, G·H)
                Parallel.runTogether(Parallel.parts(slices, 1), (part, parts, barrier) ->
                        RecurrentMath.layerForwardUnits(kernels, pointwise, cell, p, batchSizes, stepOffsets, reverse,
                                Parallel.from(slices, parts, part), Parallel.from(slices, parts, part + 1), barrier,
                                in, rowGates, recurrentGates, hState, hSpare, cState, out, outOffset, width,
                                savedRows));
            } else {
                // Sequences never read each other's state: each thread owns a slice of them. Below
                // PER_STEP_PROJECTION_MIN_SEQUENCES per slice the projection is hoisted out of the
                // time loop first, split by rows; from there (or for a single step, where both are
                // the same product) each step projects its own rows of x just before its recurrent
                // product (the gates stay in cache).
                int batchParts = mayFork ? sequenceParts(config, rows, batch) : 1;
                boolean hoist = batch / batchParts < PER_STEP_PROJECTION_MIN_SEQUENCES && batchSizes.length > 1;
                // (R, G·H) all steps' gates, hoisted; else the running step's, by row only for a trace
                float[] stepGates = hoist && trace == null ? scratch.buffer(Buffer.ROW_GATES, rows * gateSize) : g;
                if (hoist) {
                    int inputParts = !mayFork ? 1 : Parallel.parts(rows, (int) Math.min(rows, PART_FMAS
                            / ((long) gateSize * config.layerInputSize(layer))) + 1);
                    Parallel.run(inputParts, part -> RecurrentMath.inputProjection(kernels,
                            Parallel.from(rows, inputParts, part), Parallel.from(rows, inputParts, part + 1), in, p,
                            stepGates));
                }
                float[] stepInput = hoist ? null : in;
                boolean byRow = hoist || trace != null;
                Parallel.run(batchParts, part -> RecurrentMath.recurrenceForward(kernels, pointwise, cell, p,
                        batchSizes, stepOffsets, reverse, Parallel.from(batch, batchParts, part),
                        Parallel.from(batch, batchParts, part + 1), stepInput, stepGates, byRow, recurrentGates,
                        hState, cState, out, outOffset, width, savedRows, hCellRows, scratch.hCell));
            }
            System.arraycopy(hState, 0, h, state * batch * projected, hState.length);
            if (cState != null) {
                System.arraycopy(cState, 0, c, state * batch * hidden, cState.length);
            }
        }
    }
}
