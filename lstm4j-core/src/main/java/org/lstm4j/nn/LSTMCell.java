package org.lstm4j.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.lstm4j.internal.ArraySizes;
import org.lstm4j.internal.TensorData;
import org.lstm4j.kernels.Kernels;
import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.kernels.PackedMatrix;
import org.lstm4j.kernels.PointwiseKernels;
import org.lstm4j.math.LSTMMath;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.nn.LSTMCell}: one step of one LSTM layer.
 *
 * <pre>{@code
 * LSTMCell cell = new LSTMCell(10, 20, true, 42);
 * LSTMCell.State s = cell.forward(Tensor.randn(0, 3, 10), null, null);  // h, c: (3, 20)
 * s = cell.forward(Tensor.randn(1, 3, 10), s.h(), s.c());
 * }</pre>
 *
 * Parameters: {@code weight_ih} (4·hiddenSize, inputSize), {@code weight_hh} (4·hiddenSize,
 * hiddenSize), {@code bias_ih}, {@code bias_hh} (4·hiddenSize), gate rows ordered i, f, g, o.
 * Input (N, inputSize) or unbatched (inputSize); h and c (N, hiddenSize) or (hiddenSize).
 */
public final class LSTMCell extends Module {
    private final int inputSize;
    private final int hiddenSize;
    private final boolean bias;
    private final float[] wIh;
    private final float[] wHh;
    private final float[] bIh;
    private final float[] bHh;
    private final MatrixKernels kernels = Kernels.matrix();
    private final PointwiseKernels pointwise = Kernels.pointwise();
    /** W_ih and W_hh packed for {@link #kernels}, and b_ih + b_hh, kept in step with the parameters. */
    private final ParameterDerived<Packed> packed;

    private record Packed(PackedMatrix wIh, PackedMatrix wHh, float[] bias) {
    }

    /** The new hidden and cell state, PyTorch's {@code (h_1, c_1)}. */
    public record State(Tensor h, Tensor c) {
    }

    /** {@code torch.nn.LSTMCell(inputSize, hiddenSize)} with a random seed. */
    public LSTMCell(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, true, new SplittableRandom().nextLong());
    }

    /** Parameters drawn from U(-1/√hiddenSize, 1/√hiddenSize) in state-dict order from {@code seed}. */
    public LSTMCell(int inputSize, int hiddenSize, boolean bias, long seed) {
        if (inputSize <= 0) {
            throw new IllegalArgumentException("input_size must be greater than zero, got " + inputSize);
        }
        if (hiddenSize <= 0) {
            throw new IllegalArgumentException("hidden_size must be greater than zero, got " + hiddenSize);
        }
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.bias = bias;
        SplittableRandom init = new SplittableRandom(seed);
        double bound = 1.0 / Math.sqrt(hiddenSize);
        List<Parameter> parameters = new ArrayList<>();
        wIh = register("weight_ih", init, bound, parameters, 4 * hiddenSize, inputSize);
        wHh = register("weight_hh", init, bound, parameters, 4 * hiddenSize, hiddenSize);
        bIh = bias ? register("bias_ih", init, bound, parameters, 4 * hiddenSize) : null;
        bHh = bias ? register("bias_hh", init, bound, parameters, 4 * hiddenSize) : null;
        packed = new ParameterDerived<>(parameters.toArray(new Parameter[0]), () -> new Packed(
                kernels.packGates(wIh, 0, hiddenSize, inputSize), kernels.packGates(wHh, 0, hiddenSize, hiddenSize),
                LSTMMath.gateBias(bIh, bHh)));
    }

    private float[] register(String name, SplittableRandom init, double bound, List<Parameter> parameters,
                             int... shape) {
        Tensor value = Tensor.zeros(shape);
        float[] v = TensorData.array(value);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) init.nextDouble(-bound, bound);
        }
        Parameter parameter = new Parameter(value);
        registerParameter(name, parameter);
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
     * One step. {@code h} and {@code c} are given together or both null (zeros).
     *
     * @throws IllegalArgumentException on shapes PyTorch rejects, worded as PyTorch
     */
    public State forward(Tensor input, Tensor h, Tensor c) {
        Objects.requireNonNull(input, "input");
        if ((h == null) != (c == null)) {
            throw new IllegalArgumentException("h and c must be given together, got h "
                    + (h == null ? "null" : h.shapeString()) + " and c " + (c == null ? "null" : c.shapeString()));
        }
        if (input.dim() != 1 && input.dim() != 2) {
            throw new IllegalArgumentException("LSTMCell: Expected input to be 1D or 2D, got " + input.dim()
                    + "D instead");
        }
        boolean batched = input.dim() == 2;
        int batch = batched ? input.size(0) : 1;
        if (input.size(-1) != inputSize) {
            throw new IllegalArgumentException("input has inconsistent input_size: got " + input.size(-1)
                    + " expected " + inputSize);
        }
        ArraySizes.length("LSTMCell gates (N, 4·hidden_size)", batch, 4, hiddenSize); // the largest buffer
        float[] hState = new float[batch * hiddenSize];
        float[] cState = new float[batch * hiddenSize];
        if (h != null) {
            checkState(h, "hidden0", batched, batch);
            checkState(c, "hidden1", batched, batch);
            System.arraycopy(TensorData.array(h), 0, hState, 0, hState.length);
            System.arraycopy(TensorData.array(c), 0, cState, 0, cState.length);
        }
        float[] gates = new float[batch * 4 * hiddenSize];
        float[] out = new float[batch * hiddenSize];
        Packed p = packed.get();
        LSTMMath.recurrenceForward(kernels, pointwise, hiddenSize, hiddenSize, new int[] {batch}, new int[] {0}, false,
                0, batch, TensorData.array(input), p.wIh(), p.bias(), gates, false, p.wHh(), null, hState, cState, out, 0,
                hiddenSize, null, null, null);
        int[] shape = batched ? new int[] {batch, hiddenSize} : new int[] {hiddenSize};
        return new State(Tensor.of(hState, shape), Tensor.of(cState, shape));
    }

    private void checkState(Tensor state, String name, boolean batched, int batch) {
        if (state.dim() != (batched ? 2 : 1)) {
            throw new IllegalArgumentException("LSTMCell: Expected " + name + " to be " + (batched ? "2D" : "1D")
                    + ", got " + state.dim() + "D instead");
        }
        if (batched && state.size(0) != batch) {
            throw new IllegalArgumentException("Input batch size " + batch + " doesn't match " + name
                    + " batch size " + state.size(0));
        }
        if (state.size(-1) != hiddenSize) {
            throw new IllegalArgumentException(name + " has inconsistent hidden_size: got " + state.size(-1)
                    + ", expected " + hiddenSize);
        }
    }

    @Override
    public String toString() {
        return "LSTMCell(" + inputSize + ", " + hiddenSize + (bias ? "" : ", bias=False") + ")";
    }
}
