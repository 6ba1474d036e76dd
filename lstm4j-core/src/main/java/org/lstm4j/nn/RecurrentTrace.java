package org.lstm4j.nn;

/**
 * What the backward pass needs from one traced forward pass (llm.c's saved activations), for
 * the time-major rows the forward pass ran on.
 */
final class RecurrentTrace {
    int[] batchSizes;
    int batch;
    int rows;
    /** [layer] (R, I_layer): the input, or the previous layer's output after dropout. */
    float[][] layerInputs;
    /** [layer] (R, D·H_out): the layer's h_t rows before dropout. */
    float[][] layerOutputs;
    /** [layer] (R, D·H_out): 0 or 1/(1-p); null where no dropout follows the layer. */
    float[][] dropoutMasks;
    /** [layer][direction] (R, G·H): activated gates (LSTM i, f, g, o; GRU r, z, n; RNN h_t). */
    float[][][] gates;
    /** [layer][direction] (R, H): the cell's saved values (LSTM c_t, GRU h·W_hnᵀ + b_hn); null for RNN. */
    float[][][] saved;
    /** [layer][direction] (R, H): the cell's h_t before the projection; null without projections. */
    float[][][] hCellAll;
    /** (D·numLayers, N, H_out), in the sorted batch order of the rows. */
    float[] h0;
    /** (D·numLayers, N, H_cell) in the same order; null without a cell state. */
    float[] c0;

    void start(RNNBase.Config config, int[] batchSizes, int batch, int rows, float[] h0, float[] c0) {
        int layers = config.numLayers();
        int directions = config.numDirections();
        this.batchSizes = batchSizes.clone();
        this.batch = batch;
        this.rows = rows;
        this.layerInputs = new float[layers][];
        this.layerOutputs = new float[layers][];
        this.dropoutMasks = new float[layers][];
        this.gates = new float[layers][directions][];
        this.saved = new float[layers][directions][];
        this.hCellAll = new float[layers][directions][];
        this.h0 = h0.clone();
        this.c0 = c0 == null ? null : c0.clone();
    }
}
