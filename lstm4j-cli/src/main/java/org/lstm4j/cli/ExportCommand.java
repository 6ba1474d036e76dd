package org.lstm4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.lstm4j.io.Onnx;
import org.lstm4j.io.StateDicts;
import org.lstm4j.nn.RNNBase;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lstm4j export}: writes the LSTM, GRU or RNN of a model file as an ONNX model, the graph
 * torch.onnx.export writes, for ONNX Runtime and other ONNX tools.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write the LSTM, GRU or RNN in a model file as ONNX: one LSTM / GRU / RNN node per layer as"
                + " torch.onnx.export writes them, graph input 'input' (L, N, H_in) [(N, L, H_in) with --batch-first],"
                + " outputs 'output', 'h_n' (and an LSTM's 'c_n') in PyTorch's shapes; length and batch are left free.",
        footer = {"", "Examples:",
            "  bin/lstm4j export --weights model.pt --out model.onnx",
            "  bin/lstm4j export --weights model.safetensors --prefix encoder.rnn. --batch-first --opset 13 --initial-state --out enc.onnx"})
final class ExportCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--weights", required = true, paramLabel = "FILE",
            description = "model file (safetensors, .pt/.pth, .npz, .onnx)")
    Path weights;

    @Option(names = "--prefix", description = "the module's key prefix (default: the one recurrent module in the file)")
    String prefix;

    @Option(names = "--out", required = true, paramLabel = "MODEL.onnx", description = "the ONNX file to write")
    Path out;

    @Option(names = "--opset", defaultValue = "" + Onnx.DEFAULT_OPSET,
            description = "ONNX operator set, 7 to 22 (default: ${DEFAULT-VALUE})")
    int opset;

    @Option(names = "--batch-first", description = "input and output are (N, L, *), as with batch_first=True")
    boolean batchFirst;

    @Option(names = "--initial-state",
            description = "add graph inputs 'h0' (and an LSTM's 'c0'), (D*num_layers, N, H); without them the state"
                    + " starts at zero")
    boolean initialState;

    @Override
    public Integer call() throws IOException {
        RNNBase module = prefix == null ? RNNBase.load(weights) : RNNBase.load(weights, prefix);
        String found = prefix != null ? prefix : RNNBase.prefixes(StateDicts.read(weights).tensors()).get(0);
        String scope = found.isEmpty() ? "" : found.substring(0, found.length() - 1);
        module.toOnnx(out, new Onnx.ExportOptions(opset, batchFirst, initialState, scope));
        boolean lstm = module.mode() == RNNBase.Mode.LSTM;
        int features = module.config().inputSize();
        spec.commandLine().getOut().printf("%s -> %s (opset %d, input %s%s, outputs output, h_n%s)%n", module, out, opset,
                batchFirst ? "(N, L, " + features + ")" : "(L, N, " + features + ")",
                initialState ? (lstm ? ", h0, c0" : ", h0") : "", lstm ? ", c_n" : "");
        return 0;
    }
}
