package org.lstm4j.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.Locale;
import org.lstm4j.nn.HiddenStateRNN;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code lstm4j shapes}: the shape of every input, output and parameter of an LSTM, GRU or RNN,
 * and which slices of {@code output} equal which rows of {@code h_n} — checked on a real forward
 * pass.
 */
@Command(name = "shapes", mixinStandardHelpOptions = true,
        description = "Print the shapes of input, h_0, (c_0,) output, h_n, (c_n) and every parameter of an LSTM,"
                + " GRU or RNN, and which slices of output equal which rows of h_n (verified by running it).",
        footer = {"", "Examples:", "  bin/lstm4j shapes --input-size 10 --hidden-size 20 --num-layers 2 --seq-len 5 --batch 3",
            "  bin/lstm4j shapes --mode gru --input-size 10 --hidden-size 20 --bidirectional"})
final class ShapesCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--mode", defaultValue = "lstm", paramLabel = "lstm|gru|rnn_tanh|rnn_relu",
            description = "which module, PyTorch's RNNBase mode (default ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--input-size", required = true, description = "H_in: features per time step")
    int inputSize;

    @Option(names = "--hidden-size", required = true, description = "H_cell: hidden units per layer")
    int hiddenSize;

    @Option(names = "--num-layers", defaultValue = "1", description = "stacked layers (default ${DEFAULT-VALUE})")
    int numLayers;

    @Option(names = "--bidirectional", description = "run each layer both ways (D = 2)")
    boolean bidirectional;

    @Option(names = "--proj-size", defaultValue = "0", description = "an LSTM's H_out when > 0 (default ${DEFAULT-VALUE})")
    int projSize;

    @Option(names = "--batch-first", description = "input and output are (N, L, *) instead of (L, N, *)")
    boolean batchFirst;

    @Option(names = "--no-bias", description = "no bias_ih / bias_hh parameters")
    boolean noBias;

    @Option(names = "--seq-len", defaultValue = "5", description = "L (default ${DEFAULT-VALUE})")
    int seqLen;

    @Option(names = "--batch", defaultValue = "3", description = "N; 0 means unbatched input (default ${DEFAULT-VALUE})")
    int batch;

    @Override
    public Integer call() {
        if (seqLen <= 0) {
            throw new ParameterException(spec.commandLine(), "--seq-len must be greater than zero, got " + seqLen);
        }
        if (batch < 0) {
            throw new ParameterException(spec.commandLine(), "--batch must be zero (unbatched) or greater, got " + batch);
        }
        RNNBase.Mode kind = parseMode();
        RNNBase module = RNNBase.create(RNNBase.Config.of(kind, inputSize, hiddenSize, numLayers, !noBias,
                batchFirst, 0.0, bidirectional, projSize), 0);
        RNNBase.Config c = module.config();
        boolean cellState = kind.hasCellState();
        int d = c.numDirections();
        int hOut = c.outputSize();
        int rows = d * numLayers;
        boolean unbatched = batch == 0;
        int[] inputShape = unbatched ? new int[] {seqLen, inputSize}
                : batchFirst ? new int[] {batch, seqLen, inputSize} : new int[] {seqLen, batch, inputSize};
        Tensor input = Tensor.randn(1, inputShape);
        Tensor h0 = Tensor.randn(2, unbatched ? new int[] {rows, hOut} : new int[] {rows, batch, hOut});
        Tensor c0 = Tensor.randn(3, unbatched ? new int[] {rows, hiddenSize} : new int[] {rows, batch, hiddenSize});
        Tensor output;
        Tensor hN;
        Tensor cN = null;
        if (module instanceof LSTM lstm) {
            LSTM.Output out = lstm.forward(input, h0, c0);
            output = out.output();
            hN = out.hN();
            cN = out.cN();
        } else {
            HiddenStateRNN.Output out = ((HiddenStateRNN) module).forward(input, h0);
            output = out.output();
            hN = out.hN();
        }

        PrintWriter w = spec.commandLine().getOut();
        w.printf("%s%s   D=%d  H_in=%d  H_cell=%d  H_out=%d  L=%d  N=%s%n%n", module,
                kind == RNNBase.Mode.RNN_RELU ? " (nonlinearity='relu')" : "", d, inputSize, hiddenSize, hOut,
                seqLen, unbatched ? "(unbatched)" : batch);
        String seq = unbatched ? "(L, H_in)" : batchFirst ? "(N, L, H_in)" : "(L, N, H_in)";
        String outLegend = unbatched ? "(L, D*H_out)" : batchFirst ? "(N, L, D*H_out)" : "(L, N, D*H_out)";
        String state = unbatched ? "(D*num_layers, %s)" : "(D*num_layers, N, %s)";
        row(w, "input", input, seq);
        row(w, "h_0", h0, String.format(state, "H_out"));
        if (cellState) {
            row(w, "c_0", c0, String.format(state, "H_cell"));
        }
        row(w, "output", output, outLegend + "  the last layer's h_t for every t");
        row(w, "h_n", hN, String.format(state, "H_out") + "  every layer's final h");
        if (cellState) {
            row(w, "c_n", cN, String.format(state, "H_cell") + "  every layer's final c");
        }
        w.println();
        w.println("parameters (PyTorch state_dict order; " + kind.gates() + " gate" + (kind.gates() == 1 ? "" : "s")
                + " of H_cell rows each):");
        module.stateDict().forEach((name, t) -> w.printf("  %-22s %s%n", name, tuple(t.shape())));
        w.println();
        w.println("h_n rows:");
        for (int r = 0; r < rows; r++) {
            w.printf("  h_n[%d]  layer %d %s%n", r, r / d, d == 1 ? "" : r % 2 == 0 ? "forward" : "backward");
        }
        w.println();
        w.println("identities (checked on this forward pass):");
        // Time is dim 0 of output, except batch_first (dim 1); unbatched output is (L, D*H_out).
        int timeDim = !unbatched && batchFirst ? 1 : 0;
        String t0 = timeDim == 0 ? "output[0]" : "output[:, 0]";
        String tLast = timeDim == 0 ? "output[-1]" : "output[:, -1]";
        Tensor last = output.select(timeDim, -1);
        Tensor first = output.select(timeDim, 0);
        if (d == 1) {
            check(w, tLast + " == h_n[-1]", last, hN.select(0, -1));
        } else {
            check(w, tLast + "[..., :" + hOut + "] == h_n[-2]   (forward direction ends at t = L-1)",
                    last.narrow(-1, 0, hOut), hN.select(0, -2));
            check(w, t0 + "[..., " + hOut + ":] == h_n[-1]   (backward direction ends at t = 0)",
                    first.narrow(-1, hOut, hOut), hN.select(0, -1));
            w.println("  note: " + tLast + "[..., " + hOut + ":] is NOT h_n[-1]: it is the backward direction's first step");
        }
        return 0;
    }

    /** --mode as PyTorch's RNNBase mode, case-insensitive. */
    private RNNBase.Mode parseMode() {
        try {
            return RNNBase.Mode.valueOf(mode.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--mode must be lstm, gru, rnn_tanh or rnn_relu, got '"
                    + mode + "'");
        }
    }

    private static void row(PrintWriter w, String name, Tensor t, String legend) {
        w.printf("  %-7s %-16s %s%n", name, tuple(t.shape()), legend);
    }

    private static void check(PrintWriter w, String statement, Tensor a, Tensor b) {
        boolean holds = a.equals(b);
        w.printf("  %s %s%n", holds ? "[ok]" : "[FAILED]", statement);
        if (!holds) {
            throw new IllegalStateException("identity does not hold: " + statement);
        }
    }

    private static String tuple(int[] shape) {
        String s = Arrays.toString(shape);
        return "(" + s.substring(1, s.length() - 1) + (shape.length == 1 ? ",)" : ")");
    }
}
