package org.lstm4j.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.lstm4j.internal.ArraySizes;
import org.lstm4j.internal.TensorData;
import org.lstm4j.kernels.Kernels;
import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.kernels.PointwiseKernels;
import org.lstm4j.math.CellMath;
import org.lstm4j.math.LayerPanels;
import org.lstm4j.math.RecurrentMath;
import org.lstm4j.tensor.Tensor;

/**
 * What PyTorch's cells share ({@code torch.nn.RNNCellBase}): one step of one layer, parameters
 * {@code weight_ih} (G·hiddenSize, inputSize), {@code weight_hh} (G·hiddenSize, hiddenSize),
 * {@code bias_ih}, {@code bias_hh} (G·hiddenSize) with G the cell's gates, PyTorch's argument
 * checks, and the step itself, run by {@link RecurrentMath} with the cell's {@link CellMath} as in
 * the full layers. {@link LSTMCell}, {@link GRUCell} and {@link RNNCell} add their state and
 * signature. Input (N, inputSize) or unbatched (inputSize); states (N, hiddenSize) or
 * (hiddenSize).
 */
public abstract sealed class RNNCellBase extends Module permits LSTMCell, GRUCell, RNNCell {
    private final String name;
    private final int inputSize;
    private final int hiddenSize;
    private final boolean bias;
    private final CellMath cell;
    private final MatrixKernels kernels = Kernels.matrix();
    private final PointwiseKernels pointwise = Kernels.pointwise();
    /** W_ih and W_hh in panels for {@link #kernels}, and the biases, kept in step with the parameters. */
    private final ParameterDerived<LayerPanels> panels;

    /** Parameters drawn from U(-1/√hiddenSize, 1/√hiddenSize) in state-dict order from {@code seed}. */
    RNNCellBase(String name, int inputSize, int hiddenSize, boolean bias, CellMath cell, long seed) {
        if (inputSize <= 0) {
            throw new IllegalArgumentException("input_size must be greater than zero, got " + inputSize);
        }
        if (hiddenSize <= 0) {
            throw new IllegalArgumentException("hidden_size must be greater than zero, got " + hiddenSize);
        }
        this.name = name;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.bias = bias;
        this.cell = cell;
        int gateSize = cell.gates() * hiddenSize;
        SplittableRandom init = new SplittableRandom(seed);
        double bound = 1.0 / Math.sqrt(hiddenSize);
        List<Parameter> parameters = new ArrayList<>();
        float[] wIh = register("weight_ih", init, bound, parameters, gateSize, inputSize);
        float[] wHh = register("weight_hh", init, bound, parameters, gateSize, hiddenSize);
        float[] bIh = bias ? register("bias_ih", init, bound, parameters, gateSize) : null;
        float[] bHh = bias ? register("bias_hh", init, bound, parameters, gateSize) : null;
        panels = new ParameterDerived<>(parameters.toArray(new Parameter[0]), () -> LayerPanels.of(kernels, cell,
                hiddenSize, inputSize, hiddenSize, wIh, wHh, null, bIh, bHh));
    }

    private float[] register(String parameterName, SplittableRandom init, double bound, List<Parameter> parameters,
                             int... shape) {
        Tensor value = Tensor.zeros(shape);
        float[] v = TensorData.array(value);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) init.nextDouble(-bound, bound);
        }
        Parameter parameter = new Parameter(value);
        registerParameter(parameterName, parameter);
        parameters.add(parameter);
        return v;
    }

    public int inputSize() {
        return inputSize;
    }

    public int hiddenSize() {
        return hiddenSize;
    }

    public boolean bias() {
        return bias;
    }

    /**
     * One step from h (and c for an LSTM cell), each given or null (zeros); checks shapes as
     * PyTorch does, with its wording.
     *
     * @return h' and, with a cell state, c': each (N·hiddenSize) for a batch of N (1 unbatched)
     */
    float[][] step(Tensor input, Tensor h, Tensor c) {
        Objects.requireNonNull(input, "input");
        if (input.dim() != 1 && input.dim() != 2) {
            throw new IllegalArgumentException(name + ": Expected input to be 1D or 2D, got " + input.dim()
                    + "D instead");
        }
        boolean batched = input.dim() == 2;
        int batch = batched ? input.size(0) : 1;
        if (input.size(-1) != inputSize) {
            throw new IllegalArgumentException("input has inconsistent input_size: got " + input.size(-1)
                    + " expected " + inputSize);
        }
        int gateSize = cell.gates() * hiddenSize;
        // the largest buffer
        ArraySizes.length(name + " gates (N, " + cell.gates() + "·hidden_size)", batch, cell.gates(), hiddenSize);
        boolean cellState = cell.hasCellState();
        float[] hState = new float[batch * hiddenSize];
        float[] cState = cellState ? new float[batch * hiddenSize] : null;
        if (h != null) {
            checkState(h, cellState ? "hidden0" : "hidden", "hidden0", batched, batch);
            System.arraycopy(TensorData.array(h), 0, hState, 0, hState.length);
        }
        if (c != null) {
            checkState(c, "hidden1", "hidden1", batched, batch);
            System.arraycopy(TensorData.array(c), 0, cState, 0, cState.length);
        }
        float[] gates = new float[batch * gateSize];
        float[] recurrentGates = cell.separateRecurrentGates() ? new float[batch * gateSize] : null;
        float[] out = new float[batch * hiddenSize];
        RecurrentMath.recurrenceForward(kernels, pointwise, cell, panels.get(), new int[] {batch}, new int[] {0},
                false, 0, batch, TensorData.array(input), gates, false, recurrentGates, hState, cState, out, 0, hiddenSize,
                null, null, null);
        return cellState ? new float[][] {hState, cState} : new float[][] {hState};
    }

    /** (N, hiddenSize) or unbatched (hiddenSize), as PyTorch returns a cell's states. */
    int[] stateShape(Tensor input) {
        return input.dim() == 2 ? new int[] {input.size(0), hiddenSize} : new int[] {hiddenSize};
    }

    /**
     * A state's dimensions (Python's check, naming it {@code dimLabel}) and size (ATen's
     * {@code check_rnn_cell_forward_hidden}, naming it {@code sizeLabel}).
     */
    private void checkState(Tensor state, String dimLabel, String sizeLabel, boolean batched, int batch) {
        if (state.dim() != (batched ? 2 : 1)) {
            throw new IllegalArgumentException(name + ": Expected " + dimLabel + " to be " + (batched ? "2D" : "1D")
                    + ", got " + state.dim() + "D instead");
        }
        if (batched && state.size(0) != batch) {
            throw new IllegalArgumentException("Input batch size " + batch + " doesn't match " + sizeLabel
                    + " batch size " + state.size(0));
        }
        if (state.size(-1) != hiddenSize) {
            throw new IllegalArgumentException(sizeLabel + " has inconsistent hidden_size: got " + state.size(-1)
                    + ", expected " + hiddenSize);
        }
    }

    /** PyTorch's repr, e.g. {@code GRUCell(10, 20, bias=False)}. */
    @Override
    public String toString() {
        return name + "(" + inputSize + ", " + hiddenSize + (bias ? "" : ", bias=False") + extraRepr() + ")";
    }

    /** What a cell adds to {@link #toString()} after bias: RNNCell's non-default nonlinearity. */
    String extraRepr() {
        return "";
    }
}
