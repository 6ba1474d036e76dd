package org.lstm4j.bench;

import java.util.List;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.tensor.Precision;

/**
 * One benchmark configuration of issue 6, shared by the JMH benchmarks and the side-by-side
 * harness. L = sequence length, N = batch, I = input size, H = hidden size.
 *
 * @param letter    the name for its shape, (a) to (f); gb and gc are a GRU at (b)'s and (c)'s shapes
 * @param training  forward + backward with all gradients, instead of inference forward
 * @param target    the ratio libtorch_time / lstm4j_time the issue asks for
 * @param mode      which recurrent module (an LSTM for (a) to (f))
 * @param precision how lstm4j stores the weights (issue 18's rows a-bf16 ... b-int8 run an
 *                  inference-only copy; libtorch and ONNX Runtime keep float32)
 */
public record BenchConfig(String letter, int seqLen, int batch, int inputSize, int hidden, int layers,
                          boolean bidirectional, boolean training, double target, RNNBase.Mode mode,
                          Precision precision) {

    private static final BenchConfig A = new BenchConfig("a", 1, 1, 128, 256, 2, false, false, 10.0);
    private static final BenchConfig B = new BenchConfig("b", 100, 1, 128, 256, 2, false, false, 3.0);

    /**
     * (a) to (f) of issue 6, in order, then the GRU rows, then (a) and (b) with bf16 and int8
     * weights and issue 18's targets against float32 libtorch.
     */
    public static final List<BenchConfig> ALL = List.of(
            A,
            B,
            new BenchConfig("c", 100, 32, 128, 256, 2, false, false, 1.0),
            new BenchConfig("d", 100, 64, 512, 512, 1, false, false, 1.0),
            new BenchConfig("e", 50, 16, 64, 128, 2, true, false, 1.5),
            new BenchConfig("f", 100, 32, 128, 256, 1, false, true, 1.0),
            new BenchConfig("gb", 100, 1, 128, 256, 2, false, false, 3.0, RNNBase.Mode.GRU),
            new BenchConfig("gc", 100, 32, 128, 256, 2, false, false, 1.0, RNNBase.Mode.GRU),
            A.withWeights(Precision.BF16, 15.0),
            B.withWeights(Precision.BF16, 3.0),
            A.withWeights(Precision.INT8, 20.0),
            B.withWeights(Precision.INT8, 4.0));

    /** An LSTM configuration with float32 weights. */
    public BenchConfig(String letter, int seqLen, int batch, int inputSize, int hidden, int layers,
                       boolean bidirectional, boolean training, double target) {
        this(letter, seqLen, batch, inputSize, hidden, layers, bidirectional, training, target, RNNBase.Mode.LSTM);
    }

    /** A configuration with float32 weights. */
    public BenchConfig(String letter, int seqLen, int batch, int inputSize, int hidden, int layers,
                       boolean bidirectional, boolean training, double target, RNNBase.Mode mode) {
        this(letter, seqLen, batch, inputSize, hidden, layers, bidirectional, training, target, mode, Precision.FP32);
    }

    /** This shape with lstm4j's weights stored in {@code weights}, and that row's target. */
    public BenchConfig withWeights(Precision weights, double targetRatio) {
        return new BenchConfig(letter, seqLen, batch, inputSize, hidden, layers, bidirectional, training, targetRatio,
                mode, weights);
    }

    /** The row's name: the letter, and for reduced-precision weights "-bf16" or "-int8" (a-bf16). */
    public String name() {
        return precision == Precision.FP32 ? letter : letter + "-" + precision.cliName();
    }

    /** The configuration named {@code name} ({@link #name()}): a to f, gb, gc, a-bf16, b-bf16, a-int8, b-int8. */
    public static BenchConfig byName(String name) {
        for (BenchConfig config : ALL) {
            if (config.name().equals(name)) {
                return config;
            }
        }
        throw new IllegalArgumentException("expected a config letter a-f, got '" + name
                + "' (or gb, gc: a GRU at (b)'s and (c)'s shapes; a-bf16, b-bf16, a-int8, b-int8: (a) and (b) with"
                + " bf16 or int8 weights)");
    }

    public int directions() {
        return bidirectional ? 2 : 1;
    }

    /** The module's arguments (time-major input, biases, no dropout, no projection). */
    public RNNBase.Config moduleConfig() {
        return RNNBase.Config.of(mode, inputSize, hidden, layers, true, false, 0.0, bidirectional, 0);
    }

    /** The torch.nn.LSTM arguments (time-major input, biases, no dropout, no projection). */
    public LSTM.Config lstmConfig() {
        return new LSTM.Config(inputSize, hidden, layers, true, false, 0.0, bidirectional, 0);
    }

    /**
     * Multiply-add FLOPs of the matrix products: forward 2·L·N·G·H·(I_layer + H) per layer and
     * direction (G gates: LSTM 4, GRU 3); training three times that (backward has one product for dX and one for dW per
     * forward product). The pointwise gate math is a few % more and not counted, as usual.
     */
    public double flops() {
        double forward = 0;
        for (int layer = 0; layer < layers; layer++) {
            int in = layer == 0 ? inputSize : directions() * hidden;
            forward += directions() * 2.0 * seqLen * batch * mode.gates() * hidden * (in + hidden);
        }
        return training ? 3 * forward : forward;
    }

    /** e.g. "L=100 N=32 I=128 H=256 x2 bi train", "GRU L=100 N=1 I=128 H=256 x2", "L=1 N=1 I=128 H=256 x2 bf16". */
    public String shape() {
        return (mode == RNNBase.Mode.LSTM ? "" : mode.moduleName() + " ") + "L=" + seqLen + " N=" + batch + " I=" + inputSize + " H=" + hidden + (layers > 1 ? " x" + layers : "")
                + (bidirectional ? " bi" : "") + (training ? " train" : "")
                + (precision == Precision.FP32 ? "" : " " + precision.cliName());
    }
}
