package org.lstm4j.nn;

import org.lstm4j.nn.LSTM.Config;

/**
 * What the backward pass needs from one traced forward pass (llm.c's saved activations), for
 * the time-major packed batch the forward pass ran on.
 */
final class LSTMTrace {
    int[] batchSizes;
    int batch;
    int rows;
    /** [layer] (R, I_layer): the input, or the previous layer's output after dropout. */
    float[][] layerInputs;
    /** [layer] (R, D·H_out): the layer's h_t rows before dropout. */
    float[][] layerOutputs;
    /** [layer] (R, D·H_out): 0 or 1/(1-p); null where no dropout follows the layer. */
    float[][] dropoutMasks;
    /** [layer][direction] (R, 4H): activated gates i, f, g, o. */
    float[][][] gates;
    /** [layer][direction] (R, H): c_t. */
    float[][][] cAll;
    /** [layer][direction] (R, H): o ⊙ tanh(c_t) before the projection; null without projections. */
    float[][][] hCellAll;
    /** (D·numLayers, N, H_out) and (D·numLayers, N, H_cell), in the packed (sorted) batch order. */
    float[] h0;
    float[] c0;

    void start(Config config, int[] batchSizes, int batch, int rows, float[] h0, float[] c0) {
        int layers = config.numLayers();
        int directions = config.numDirections();
        this.batchSizes = batchSizes.clone();
        this.batch = batch;
        this.rows = rows;
        this.layerInputs = new float[layers][];
        this.layerOutputs = new float[layers][];
        this.dropoutMasks = new float[layers][];
        this.gates = new float[layers][directions][];
        this.cAll = new float[layers][directions][];
        this.hCellAll = new float[layers][directions][];
        this.h0 = h0.clone();
        this.c0 = c0.clone();
    }
}
