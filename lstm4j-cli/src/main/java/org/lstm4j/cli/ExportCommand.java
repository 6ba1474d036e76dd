package org.lstm4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.lstm4j.io.Onnx;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.nn.LSTM;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lstm4j export}: writes the LSTM of a model file as an ONNX model, the graph
 * torch.onnx.export writes, for ONNX Runtime and other ONNX tools.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write the LSTM in a model file as ONNX: one LSTM node per layer as torch.onnx.export writes"
                + " them, graph input 'input' (L, N, H_in) [(N, L, H_in) with --batch-first], outputs 'output',"
                + " 'h_n' and 'c_n' in PyTorch's shapes; length and batch are left free.",
        footer = {"", "Examples:",
            "  bin/lstm4j export --weights model.pt --out model.onnx",
            "  bin/lstm4j export --weights model.safetensors --prefix encoder.rnn. --batch-first --opset 13 --initial-state --out enc.onnx"})
final class ExportCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--weights", required = true, paramLabel = "FILE",
            description = "model file (safetensors, .pt/.pth, .npz, .onnx)")
    Path weights;

    @Option(names = "--prefix", description = "the LSTM's key prefix (default: the one LSTM in the file)")
    String prefix;

    @Option(names = "--out", required = true, paramLabel = "MODEL.onnx", description = "the ONNX file to write")
    Path out;

    @Option(names = "--opset", defaultValue = "" + Onnx.DEFAULT_OPSET,
            description = "ONNX operator set, 7 to 22 (default: ${DEFAULT-VALUE})")
    int opset;

    @Option(names = "--batch-first", description = "input and output are (N, L, *), as with batch_first=True")
    boolean batchFirst;

    @Option(names = "--initial-state",
            description = "add graph inputs 'h0' and 'c0' (D*num_layers, N, H); without them the state starts at zero")
    boolean initialState;

    @Override
    public Integer call() throws IOException {
        StateDictFile file = StateDicts.read(weights);
        String chosen = prefix;
        if (chosen == null) {
            List<String> prefixes = LSTM.lstmPrefixes(file.tensors());
            chosen = prefixes.size() == 1 ? prefixes.get(0) : null;
        }
        LSTM lstm = chosen == null ? LSTM.fromStateDict(file.tensors()) : LSTM.fromStateDict(file.tensors(), chosen);
        String scope = chosen == null || chosen.isEmpty() ? "" : chosen.substring(0, chosen.length() - 1);
        Onnx.ExportOptions options = new Onnx.ExportOptions(opset, batchFirst, initialState, scope);
        lstm.toOnnx(out, options);
        spec.commandLine().getOut().printf("%s -> %s (opset %d, input %s%s, outputs output, h_n, c_n)%n", lstm, out, opset,
                batchFirst ? "(N, L, " + lstm.config().inputSize() + ")" : "(L, N, " + lstm.config().inputSize() + ")",
                initialState ? ", h0, c0" : "");
        return 0;
    }
}
