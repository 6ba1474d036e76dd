package org.lstm4j.bench;

import java.util.List;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.RNNBase;

/**
 * One benchmark configuration of issue 6, shared by the JMH benchmarks and the side-by-side
 * harness. L = sequence length, N = batch, I = input size, H = hidden size.
 *
 * @param letter   the name for it, (a) to (f); gb and gc are a GRU at (b)'s and (c)'s shapes
 * @param training forward + backward with all gradients, instead of inference forward
 * @param target   the ratio libtorch_time / lstm4j_time the issue asks for
 * @param mode     which recurrent module (an LSTM for (a) to (f))
 */
public record BenchConfig(String letter, int seqLen, int batch, int inputSize, int hidden, int layers,
                          boolean bidirectional, boolean training, double target, RNNBase.Mode mode) {

    /** (a) to (f) of issue 6, in order, then the GRU rows. */
    public static final List<BenchConfig> ALL = List.of(
            new BenchConfig("a", 1, 1, 128, 256, 2, false, false, 10.0),
            new BenchConfig("b", 100, 1, 128, 256, 2, false, false, 3.0),
            new BenchConfig("c", 100, 32, 128, 256, 2, false, false, 1.0),
            new BenchConfig("d", 100, 64, 512, 512, 1, false, false, 1.0),
            new BenchConfig("e", 50, 16, 64, 128, 2, true, false, 1.5),
            new BenchConfig("f", 100, 32, 128, 256, 1, false, true, 1.0),
            new BenchConfig("gb", 100, 1, 128, 256, 2, false, false, 3.0, RNNBase.Mode.GRU),
            new BenchConfig("gc", 100, 32, 128, 256, 2, false, false, 1.0, RNNBase.Mode.GRU));

    /** An LSTM configuration. */
    public BenchConfig(String letter, int seqLen, int batch, int inputSize, int hidden, int layers,
                       boolean bidirectional, boolean training, double target) {
        this(letter, seqLen, batch, inputSize, hidden, layers, bidirectional, training, target, RNNBase.Mode.LSTM);
    }

    public static BenchConfig byLetter(String letter) {
        for (BenchConfig config : ALL) {
            if (config.letter.equals(letter)) {
                return config;
            }
        }
        throw new IllegalArgumentException("expected a config letter a-f, got '" + letter
                + "' (or gb, gc: a GRU at (b)'s and (c)'s shapes)");
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

    /** e.g. "L=100 N=32 I=128 H=256 x2 bi train", "GRU L=100 N=1 I=128 H=256 x2". */
    public String shape() {
        return (mode == RNNBase.Mode.LSTM ? "" : mode.moduleName() + " ") + "L=" + seqLen + " N=" + batch + " I=" + inputSize + " H=" + hidden + (layers > 1 ? " x" + layers : "")
                + (bidirectional ? " bi" : "") + (training ? " train" : "");
    }
}
