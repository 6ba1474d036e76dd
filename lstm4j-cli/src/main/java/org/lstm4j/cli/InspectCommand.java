package org.lstm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.io.TensorInfo;
import org.lstm4j.nn.LSTM;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lstm4j inspect FILE}: what a model file holds, and the LSTM configuration it implies. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List the tensors of a model file (safetensors, torch.save .pt/.pth, .npz, .npy) and the"
                + " LSTM configuration inferred from their names and shapes. Nothing in the file is executed.",
        footer = {"", "Examples:", "  bin/lstm4j inspect model.safetensors", "  bin/lstm4j inspect checkpoint.pt --prefix encoder.rnn."})
final class InspectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "the model file")
    Path file;

    @Option(names = "--prefix", description = "the LSTM's key prefix, e.g. \"lstm.\" (default: every LSTM found)")
    String prefix;

    @Override
    public Integer call() throws IOException {
        StateDictFile contents = StateDicts.read(file);
        PrintWriter w = spec.commandLine().getOut();
        w.printf("%s: %s, %d tensors%n", file, contents.format(), contents.tensors().size());
        int nameWidth = contents.tensors().keySet().stream().mapToInt(String::length).max().orElse(4);
        for (TensorInfo info : contents.infos()) {
            w.printf("  %-" + nameWidth + "s  %-8s  %s%n", info.name(), info.dtype(), java.util.Arrays.toString(info.shape()));
        }
        if (!contents.otherEntries().isEmpty()) {
            w.println("other entries:");
            contents.otherEntries().forEach((k, v) -> w.printf("  %s = %s%n", k, describe(v)));
        }
        if (!contents.metadata().isEmpty()) {
            w.println("metadata:");
            contents.metadata().forEach((k, v) -> w.printf("  %s = %s%n", k, v));
        }
        List<String> prefixes = prefix != null ? List.of(prefix) : LSTM.lstmPrefixes(contents.tensors());
        if (prefixes.isEmpty()) {
            w.println("no LSTM found (no key ends with weight_ih_l0)");
            return 0;
        }
        for (String p : prefixes) {
            LSTM lstm = LSTM.fromStateDict(contents.tensors(), p);
            LSTM.Config c = lstm.config();
            w.printf("LSTM at prefix \"%s\": %s%n", p, lstm);
            w.printf("  input_size=%d hidden_size=%d num_layers=%d bias=%s bidirectional=%s proj_size=%d%n",
                    c.inputSize(), c.hiddenSize(), c.numLayers(), c.bias(), c.bidirectional(), c.projSize());
            w.println("  (batch_first and dropout are not stored in a state dict; pass --batch-first to run if needed)");
        }
        return 0;
    }

    private static String describe(Object value) {
        if (value instanceof org.lstm4j.tensor.Tensor t) {
            return "tensor " + t.shapeString();
        }
        if (value instanceof byte[] bytes) {
            return bytes.length + " bytes";
        }
        if (value instanceof Map<?, ?> m && m.isEmpty()) {
            return "{}";
        }
        String s = String.valueOf(value);
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }
}
