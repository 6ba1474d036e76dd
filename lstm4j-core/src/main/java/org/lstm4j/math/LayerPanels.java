package org.lstm4j.math;

import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.kernels.PanelMatrix;
import org.lstm4j.tensor.Precision;

/**
 * One direction of one recurrent layer's weights laid out for {@link MatrixKernels#multTransBPanels},
 * and the biases each gate chain starts from: what {@link RecurrentMath}'s forward drivers read.
 * Made once per weight update, never changed afterwards, so threads may share it.
 *
 * @param wIh           W_ih (G·H, I), gate-interleaved
 * @param wHh           W_hh (G·H, P), gate-interleaved
 * @param wHr           W_hr (P, H) plain, or null without projections (LSTM proj_size only)
 * @param inputBias     (G·H) start of the input part's chains: b_ih + b_hh when the recurrent
 *                      product adds into the same gates, b_ih for a cell that keeps them apart;
 *                      null without bias
 * @param recurrentBias (G·H) b_hh, start of the recurrent part's chains for a cell that keeps them
 *                      apart ({@link CellMath#separateRecurrentGates()}); null otherwise or without bias
 */
public record LayerPanels(PanelMatrix wIh, PanelMatrix wHh, PanelMatrix wHr, float[] inputBias,
                          float[] recurrentBias) {

    /**
     * Lays out one direction's weights (row-major, PyTorch's shapes) for {@code kernels} in float32;
     * the biases are copied, so later changes of the parameters do not reach this snapshot.
     */
    public static LayerPanels of(MatrixKernels kernels, CellMath cell, int hidden, int inputSize, int projected,
                                 float[] wIh, float[] wHh, float[] wHr, float[] bIh, float[] bHh) {
        return of(kernels, cell, hidden, inputSize, projected, wIh, wHh, wHr, bIh, bHh, Precision.FP32);
    }

    /**
     * Lays out one direction's weights (row-major, PyTorch's shapes) for {@code kernels}, the weight
     * matrices stored in {@code precision} (biases stay float32); the biases are copied, so later
     * changes of the parameters do not reach this snapshot.
     *
     * @param wIh (G·H, inputSize)
     * @param wHh (G·H, P), P = hidden or proj_size
     * @param wHr (P, H) or null
     * @param bIh (G·H) or null without bias
     * @param bHh (G·H) or null without bias
     */
    public static LayerPanels of(MatrixKernels kernels, CellMath cell, int hidden, int inputSize, int projected,
                                 float[] wIh, float[] wHh, float[] wHr, float[] bIh, float[] bHh,
                                 Precision precision) {
        int gates = cell.gates();
        float[] inputBias = null;
        float[] recurrentBias = null;
        if (bIh != null) {
            if (cell.separateRecurrentGates()) {
                inputBias = bIh.clone();
                recurrentBias = bHh.clone();
            } else {
                inputBias = new float[bIh.length];
                for (int j = 0; j < inputBias.length; j++) {
                    inputBias[j] = bIh[j] + bHh[j];
                }
            }
        }
        return new LayerPanels(kernels.gatePanels(wIh, 0, gates, hidden, inputSize, precision),
                kernels.gatePanels(wHh, 0, gates, hidden, projected, precision),
                wHr == null ? null : kernels.panels(wHr, 0, projected, hidden, precision), inputBias, recurrentBias);
    }

    /** H: hidden units per gate. */
    public int hidden() {
        return wHh.gateRows();
    }

    /** Bytes the weight matrices and biases take as stored. */
    public long storageBytes() {
        long bytes = wIh.storageBytes() + wHh.storageBytes() + (wHr == null ? 0 : wHr.storageBytes());
        return bytes + 4L * ((inputBias == null ? 0 : inputBias.length) + (recurrentBias == null ? 0 : recurrentBias.length));
    }

    /** P: width of h (hidden size, or proj_size with projections). */
    public int projected() {
        return wHh.cols();
    }
}
