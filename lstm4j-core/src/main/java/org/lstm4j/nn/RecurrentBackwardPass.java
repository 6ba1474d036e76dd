package org.lstm4j.nn;

import java.util.Arrays;
import java.util.Map;
import org.lstm4j.internal.TensorData;
import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.kernels.Parallel;
import org.lstm4j.kernels.PointwiseKernels;
import org.lstm4j.math.CellMath;
import org.lstm4j.math.DropoutMath;
import org.lstm4j.math.RecurrentMath;
import org.lstm4j.nn.RNNBase.Config;
import org.lstm4j.nn.RNNBase.LayerWeights;
import org.lstm4j.nn.RNNBase.ParameterKind;
import org.lstm4j.nn.RNNBase.ParameterSpec;

/**
 * The backward pass of an {@link RNNBase} (any mode): from the {@link RecurrentTrace} of one
 * {@link RecurrentForwardPass#forwardStack} call and the gradients of its outputs, the gradients
 * of every parameter (accumulated), of the input and of the initial states.
 */
final class RecurrentBackwardPass {

    private final RNNBase module;
    private final Config config;
    private final CellMath cell;
    /** weights[layer][direction], as {@link RNNBase#weights()}. */
    private final LayerWeights[][] weights;
    private final MatrixKernels kernels;
    private final PointwiseKernels pointwise;

    RecurrentBackwardPass(RNNBase module) {
        this.module = module;
        this.config = module.config();
        this.cell = module.cell();
        this.weights = module.weights();
        this.kernels = module.kernels();
        this.pointwise = module.pointwise();
    }

    /**
     * Backward of a traced {@link RecurrentForwardPass#forwardStack}: accumulates every
     * parameter's gradient into its {@code gradBuffer()} and writes the gradients of the input
     * and the initial states into {@code dx}, {@code dh} and {@code dc}. Layers run last to first;
     * within a layer each direction runs {@link RecurrentMath#recurrenceBackward}, each thread on a
     * slice of the sequences as in the forward pass, and then the weight products over all rows
     * ({@link RecurrentMath#recurrenceWeightsBackward}, {@link RecurrentMath#inputProjectionBackward}),
     * each thread on a slice of every output, so the gradients do not depend on the thread count.
     *
     * @param dOut (R, D·H_out) dL/d(last layer's output), or null when no gradient reached it
     * @param dh   (D·numLayers, N, H_out) in: dL/dh_n; out: dL/dh_0 (sorted batch order)
     * @param dc   (D·numLayers, N, H_cell) in: dL/dc_n; out: dL/dc_0; null without a cell state
     * @param dx   (R, H_in) receives dL/dx (overwritten), or null when the input needs none
     */
    void backwardStack(RecurrentTrace trace, float[] dOut, float[] dh, float[] dc, float[] dx) {
        LayerWeights[][] grads = gradientBuffers();
        int rows = trace.rows;
        int batch = trace.batch;
        int hidden = config.hiddenSize();
        int gateSize = config.gateSize();
        int projected = config.outputSize();
        int directions = config.numDirections();
        int width = directions * projected;
        int[] batchSizes = trace.batchSizes;
        int[] stepOffsets = RecurrentMath.stepOffsets(batchSizes);
        float[] dhRows = config.projSize() > 0 ? new float[rows * projected] : null; // (R, P) dL/dh_t, for dW_hr
        float[] dhState = new float[batch * projected];
        float[] dcState = dc == null ? null : new float[batch * hidden];
        int batchParts = (long) rows * gateSize * projected >= RecurrentForwardPass.PART_FMAS
                ? Parallel.parts(batch, RecurrentForwardPass.MIN_SEQUENCES_PER_PART) : 1;
        float[] dLayerOutput = dOut;
        for (int layer = config.numLayers() - 1; layer >= 0; layer--) {
            int inputSize = config.layerInputSize(layer);
            float[] dLayerInput = layer > 0 ? new float[rows * inputSize] : dx; // (R, I)
            float[] dIn = dLayerInput;
            float[] dOutRows = dLayerOutput;
            float[] layerInput = trace.layerInputs[layer];
            float[] layerOutput = trace.layerOutputs[layer];
            // dW_hh, dW_ih, dx and dW_hr, all products over the R rows
            long productFmas = (long) rows * gateSize * (projected + inputSize + (dIn == null ? 0 : inputSize))
                    + (dhRows == null ? 0 : (long) rows * projected * hidden);
            int productParts = (int) Math.max(1, Math.min(Parallel.threads(),
                    productFmas / RecurrentForwardPass.PART_FMAS));
            for (int dir = 0; dir < directions; dir++) {
                LayerWeights w = weights[layer][dir];
                LayerWeights g = grads[layer][dir];
                int state = layer * directions + dir;
                int hOff = state * batch * projected;
                int cOff = state * batch * hidden;
                boolean reverse = config.direction().runsBackward(dir);
                int outOffset = dir * projected;
                boolean addToDx = dir > 0; // the second direction reads the same input
                float[] gates = trace.gates[layer][dir];
                // (R, G·H) dL/d(input part of the gates) replaces the activated gates as the backward
                // uses them: a trace serves a single backward pass (the graph is freed by it)
                float[] dGates = gates;
                float[] dRecurrentGates = cell.separateRecurrentGates() ? new float[rows * gateSize] : dGates;
                float[] saved = trace.saved[layer][dir];
                float[] hCellAll = trace.hCellAll[layer][dir];
                float[] h0 = Arrays.copyOfRange(trace.h0, hOff, hOff + dhState.length);
                float[] c0 = dc == null ? null : Arrays.copyOfRange(trace.c0, cOff, cOff + dcState.length);
                System.arraycopy(dh, hOff, dhState, 0, dhState.length);
                if (dc != null) {
                    System.arraycopy(dc, cOff, dcState, 0, dcState.length);
                }
                Parallel.run(batchParts, part -> RecurrentMath.recurrenceBackward(kernels, pointwise, cell, hidden,
                        projected, batchSizes, stepOffsets, reverse, Parallel.from(batch, batchParts, part),
                        Parallel.from(batch, batchParts, part + 1), gates, saved, c0, h0, w.wHh(), w.wHr(),
                        layerOutput, dOutRows, outOffset, width, dhState, dcState, dGates, dRecurrentGates, dhRows));
                System.arraycopy(dhState, 0, dh, hOff, dhState.length);
                if (dc != null) {
                    System.arraycopy(dcState, 0, dc, cOff, dcState.length);
                }
                Parallel.run(productParts, part -> {
                    RecurrentMath.recurrenceWeightsBackward(kernels, part, productParts, gateSize, hidden, projected,
                            batchSizes, stepOffsets, reverse, dRecurrentGates, layerOutput, outOffset, width, h0,
                            dhRows, hCellAll, g.wHh(), g.bHh(), g.wHr());
                    RecurrentMath.inputProjectionBackward(kernels, part, productParts, rows, inputSize, gateSize,
                            dGates, layerInput, w.wIh(), g.wIh(), g.bIh(), dIn, addToDx);
                });
            }
            if (layer > 0) {
                float[] mask = trace.dropoutMasks[layer - 1];
                if (mask != null) {
                    float[] dBeforeDropout = new float[dLayerInput.length];
                    DropoutMath.dropoutBackward(dLayerInput.length, dLayerInput, mask, dBeforeDropout);
                    dLayerInput = dBeforeDropout;
                }
                dLayerOutput = dLayerInput;
            }
        }
    }

    /** The parameters' gradient buffers (created on first use), laid out as {@link RNNBase#weights()}. */
    private LayerWeights[][] gradientBuffers() {
        Map<String, Parameter> named = module.namedParameters();
        int d = config.numDirections();
        float[][][] byKind = new float[config.numLayers() * d][ParameterKind.values().length][];
        for (ParameterSpec spec : config.parameterSpecs()) {
            byKind[spec.layer() * d + spec.direction()][spec.kind().ordinal()] =
                    TensorData.array(named.get(spec.name()).gradBuffer());
        }
        return RNNBase.layerWeights(config, byKind);
    }
}
