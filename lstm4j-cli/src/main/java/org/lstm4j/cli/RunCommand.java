package org.lstm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.lstm4j.io.Npy;
import org.lstm4j.nn.GRU;
import org.lstm4j.nn.HiddenStateRNN;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.PackedSequence;
import org.lstm4j.nn.RNN;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.nn.utils.Rnn;
import org.lstm4j.tensor.Precision;
import org.lstm4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code lstm4j run}: one forward pass of a saved LSTM, GRU or RNN (told apart by the weights) on
 * .npy inputs, writing output and h_n (and an LSTM's c_n) as float32 .npy files in PyTorch's
 * layout.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the LSTM, GRU or RNN in a model file on an input .npy and write DIR/output.npy and"
                + " DIR/h_n.npy, and for an LSTM DIR/c_n.npy (float32, PyTorch's layout).",
        footer = {"", "Examples:",
            "  bin/lstm4j run --weights model.safetensors --input x.npy --out results/",
            "  bin/lstm4j run --weights model.pt --prefix lstm. --batch-first --input x.npy --lengths lengths.npy --out results/",
            "  bin/lstm4j run --weights rnn.pt --nonlinearity relu --input x.npy --h0 h0.npy --out results/",
            "  bin/lstm4j run --weights model.safetensors --weight-precision bf16 --input x.npy --out results/"})
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--weights", required = true, paramLabel = "FILE", description = "model file (safetensors, .pt/.pth: state dict, whole model or TorchScript, .npz, .onnx)")
    Path weights;

    @Option(names = "--prefix", description = "the module's key prefix (default: the one LSTM, GRU or RNN in the file)")
    String prefix;

    @Option(names = "--batch-first", description = "input and output are (N, L, *), as with batch_first=True")
    boolean batchFirst;

    @Option(names = "--nonlinearity", paramLabel = "tanh|relu",
            description = "an RNN's nonlinearity (a state dict does not store it: default tanh, or what an ONNX file states)")
    String nonlinearity;

    @Option(names = "--input", required = true, paramLabel = "X.npy", description = "(L, N, H_in), (N, L, H_in) with --batch-first, or (L, H_in)")
    Path input;

    @Option(names = "--h0", paramLabel = "H0.npy", description = "(D*num_layers, N, H_out); zeros if omitted")
    Path h0;

    @Option(names = "--c0", paramLabel = "C0.npy", description = "an LSTM's (D*num_layers, N, H_cell); zeros if omitted")
    Path c0;

    @Option(names = "--lengths", paramLabel = "LENGTHS.npy",
            description = "(N) integer lengths: run packed; output.npy is padded with zeros past each length")
    Path lengths;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "directory for the results (created)")
    Path out;

    @Mixin
    WeightPrecisionOption weightPrecision;

    @Override
    public Integer call() throws IOException {
        if (c0 != null && h0 == null) {
            throw new ParameterException(spec.commandLine(), "--h0 and --c0 must be given together");
        }
        RNNBase loaded = prefix == null ? RNNBase.load(weights) : RNNBase.load(weights, prefix);
        String kind = loaded.mode().moduleName();
        if (nonlinearity != null && !(loaded instanceof RNN)) {
            throw new ParameterException(spec.commandLine(), "--nonlinearity is an RNN's; " + weights + " holds "
                    + (loaded instanceof LSTM ? "an " : "a ") + kind);
        }
        Tensor x = Npy.read(input);
        Tensor h = h0 == null ? null : Npy.read(h0);
        RNNBase ran;
        Tensor output;
        Tensor hN;
        Tensor cN = null;
        PackedSequence packed = lengths == null ? null
                : Rnn.packPaddedSequence(x, readLengths(lengths), batchFirst, false);
        if (loaded instanceof LSTM lstmFile) {
            if (h0 != null && c0 == null) {
                throw new ParameterException(spec.commandLine(), "--h0 and --c0 must be given together (" + weights
                        + " holds an LSTM, whose state is the pair (h, c))");
            }
            Tensor c = c0 == null ? null : Npy.read(c0);
            LSTM lstm = weightPrecision.apply(lstmFile.withBatchFirst(batchFirst));
            lstm.eval();
            ran = lstm;
            if (packed == null) {
                LSTM.Output result = lstm.forward(x, h, c);
                output = result.output();
                hN = result.hN();
                cN = result.cN();
            } else {
                LSTM.PackedOutput result = lstm.forward(packed, h, c);
                output = padded(result.output(), x);
                hN = result.hN();
                cN = result.cN();
            }
        } else {
            if (c0 != null) {
                throw new ParameterException(spec.commandLine(), "--c0 is an LSTM's cell state; " + weights + " holds a"
                        + (kind.equals("RNN") ? "n " : " ") + kind + ", whose state is h alone");
            }
            HiddenStateRNN module = weightPrecision.apply(loaded instanceof RNN rnn
                    ? (nonlinearity == null ? rnn : rnn.withNonlinearity(nonlinearity)).withBatchFirst(batchFirst)
                    : ((GRU) loaded).withBatchFirst(batchFirst));
            module.eval();
            ran = module;
            if (packed == null) {
                HiddenStateRNN.Output result = module.forward(x, h);
                output = result.output();
                hN = result.hN();
            } else {
                HiddenStateRNN.PackedOutput result = module.forward(packed, h);
                output = padded(result.output(), x);
                hN = result.hN();
            }
        }
        Files.createDirectories(out);
        Npy.write(out.resolve("output.npy"), output);
        Npy.write(out.resolve("h_n.npy"), hN);
        if (cN != null) {
            Npy.write(out.resolve("c_n.npy"), cN);
        }
        PrintWriter w = spec.commandLine().getOut();
        String stored = ran.weightPrecision() == Precision.FP32 ? "" : " with " + ran.weightPrecision().cliName() + " weights";
        w.printf("%s%s: output %s, h_n %s%s -> %s%n", ran, stored, output.shapeString(), hN.shapeString(),
                cN == null ? "" : ", c_n " + cN.shapeString(), out);
        return 0;
    }

    /** A packed output back to the padded layout of the input x, zeros past each length. */
    private Tensor padded(PackedSequence output, Tensor x) {
        return Rnn.padPackedSequence(output, batchFirst, 0f, x.size(batchFirst ? 1 : 0)).padded();
    }

    /** Lengths from an integer .npy (stored as any numeric type, but every value a whole number). */
    private static int[] readLengths(Path file) throws IOException {
        Tensor t = Npy.read(file);
        if (t.dim() != 1) {
            throw new IllegalArgumentException(file + ": lengths must be 1-D (N), got shape " + t.shapeString());
        }
        int[] lengths = new int[t.numel()];
        for (int i = 0; i < lengths.length; i++) {
            float v = t.data()[i];
            if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(file + ": lengths must be whole numbers, got " + v + " at index " + i);
            }
            lengths[i] = (int) v;
        }
        return lengths;
    }
}
