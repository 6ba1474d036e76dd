package org.lstm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.lstm4j.io.ModuleTree;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.io.TensorInfo;
import org.lstm4j.nn.RNNBase;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lstm4j inspect FILE}: which kind of model file it is, what it holds (the module tree of a
 * whole model or TorchScript archive, the tensors, other entries), and the recurrent modules
 * (LSTM, GRU, RNN: told apart by their gate count) and configurations it implies.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Say which kind of model file FILE is (state dict, TorchScript, whole pickled model, legacy"
                + " torch.save, safetensors, npz, npy, onnx), print its module tree and tensors, and each LSTM, GRU or"
                + " RNN with the configuration inferred from their names and shapes. Nothing in the file is executed; an ONNX"
                + " model's recurrent nodes are listed as PyTorch's parameters.",
        footer = {"", "Examples:", "  bin/lstm4j inspect model.safetensors", "  bin/lstm4j inspect scripted.pt",
            "  bin/lstm4j inspect checkpoint.pt --prefix encoder.rnn.", "  bin/lstm4j inspect model.onnx"})
final class InspectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "the model file")
    Path file;

    @Option(names = "--prefix", description = "the recurrent module's key prefix, e.g. \"lstm.\" (default: every one found)")
    String prefix;

    @Override
    public Integer call() throws IOException {
        StateDictFile contents = StateDicts.read(file);
        PrintWriter w = spec.commandLine().getOut();
        w.printf("%s: %s, %d tensors%n", file, kind(contents), contents.tensors().size());
        Set<String> inTree = new HashSet<>();
        if (!contents.modules().isEmpty()) {
            w.println("module tree:");
            for (ModuleTree root : contents.modules()) {
                printTree(w, root, contents, 1, inTree);
            }
        }
        List<TensorInfo> loose = contents.infos().stream().filter(i -> !inTree.contains(i.name())).toList();
        if (!loose.isEmpty()) {
            if (!inTree.isEmpty()) {
                w.println("other tensors:");
            }
            int nameWidth = loose.stream().mapToInt(i -> i.name().length()).max().orElse(4);
            for (TensorInfo info : loose) {
                w.printf("  %-" + nameWidth + "s  %-8s  %s%n", info.name(), info.dtype(), Arrays.toString(info.shape()));
            }
        }
        if (!contents.otherEntries().isEmpty()) {
            w.println("other entries:");
            contents.otherEntries().forEach((k, v) -> w.printf("  %s = %s%n", k, describe(v)));
        }
        if (!contents.metadata().isEmpty()) {
            w.println("metadata:");
            contents.metadata().forEach((k, v) -> w.printf("  %s = %s%n", k, v));
        }
        if (!contents.notes().isEmpty()) {
            w.println("notes:");
            contents.notes().forEach(note -> w.printf("  %s%n", note));
        }
        List<String> prefixes = prefix != null ? List.of(prefix) : RNNBase.prefixes(contents.tensors());
        if (prefixes.isEmpty()) {
            w.println("no LSTM, GRU or RNN found (no key ends with weight_ih_l0)");
            return 0;
        }
        for (String p : prefixes) {
            RNNBase module = RNNBase.fromStateDict(contents.tensors(), p);
            RNNBase.Config c = module.config();
            String kind = c.mode().moduleName();
            w.printf("%s at prefix \"%s\": %s%n", kind, p, module);
            w.printf("  input_size=%d hidden_size=%d num_layers=%d bias=%s %s%s%n", c.inputSize(),
                    c.hiddenSize(), c.numLayers(), c.bias(), c.direction() == RNNBase.Direction.REVERSE
                    ? "direction=REVERSE" : "bidirectional=" + c.bidirectional(),
                    c.mode() == RNNBase.Mode.LSTM ? " proj_size=" + c.projSize() : "");
            if (c.direction() == RNNBase.Direction.REVERSE) {
                w.println("  every layer runs backward in time only (ONNX direction=\"reverse\", no torch.nn argument):"
                        + " output is in time order and output[0] is h_n[-1]; run reads whole sequences, stream mode"
                        + " is refused");
            }
            if (kind.equals("RNN")) {
                Object stored = storedAttribute(contents.modules(), p, "nonlinearity");
                w.println(stored != null ? "  the model stores nonlinearity=" + python(stored)
                        + (stored.equals("relu") ? ": pass --nonlinearity relu to run" : "")
                        : "  (the nonlinearity is not stored in a state dict: tanh unless you pass --nonlinearity relu"
                        + " to run)");
            }
            Object batchFirst = storedAttribute(contents.modules(), p, "batch_first");
            if (Boolean.TRUE.equals(batchFirst)) {
                w.println("  the model stores batch_first=True: pass --batch-first to run");
            } else if (batchFirst == null) {
                w.println("  (batch_first and dropout are not stored in a state dict; pass --batch-first to run if needed)");
            }
        }
        return 0;
    }

    /** What kind of file this is, in the words of the user who saved it. */
    static String kind(StateDictFile contents) {
        String saved = contents.modules().isEmpty() ? "state dict" : "whole pickled model";
        if (!contents.otherEntries().isEmpty()) {
            saved = "checkpoint dict holding a " + saved;
        }
        return switch (contents.format()) {
            case TORCH_ZIP -> saved + " (torch.save, zip format)";
            case TORCH_LEGACY -> saved + " in the legacy torch.save format (before PyTorch 1.6)";
            case TORCHSCRIPT -> "TorchScript archive (torch.jit.save)";
            case SAFETENSORS -> "safetensors";
            case NPZ -> "npz (numpy.savez)";
            case NPY -> "npy (numpy.save)";
            default -> contents.format().toString();
        };
    }

    /** One module: its place and class, its settings, its tensors, then its submodules, indented by depth. */
    private static void printTree(PrintWriter w, ModuleTree module, StateDictFile contents, int depth, Set<String> inTree) {
        String indent = "  ".repeat(depth);
        String name = module.path().isEmpty() ? "(root)" : module.path().substring(module.path().lastIndexOf('.') + 1);
        StringBuilder settings = new StringBuilder();
        module.attributes().forEach((k, v) -> settings.append(' ').append(k).append('=').append(python(v)));
        w.printf("%s%s: %s%s%n", indent, name, module.type(), settings);
        for (String tensor : module.tensors()) {
            inTree.add(tensor);
            String local = tensor.substring(module.path().isEmpty() ? 0 : module.path().length() + 1);
            w.printf("%s  %s  %s  %s%n", indent, local, contents.dtypes().get(tensor),
                    Arrays.toString(contents.tensor(tensor).shape()));
        }
        for (ModuleTree child : module.children()) {
            printTree(w, child, contents, depth + 1, inTree);
        }
    }

    /**
     * A setting (batch_first, nonlinearity) a whole pickled recurrent module stored, or null when the
     * file does not say.
     */
    private static Object storedAttribute(List<ModuleTree> modules, String modulePrefix, String attribute) {
        for (ModuleTree module : modules) {
            String path = module.path().isEmpty() ? "" : module.path() + ".";
            if (path.equals(modulePrefix)) {
                return module.attributes().get(attribute);
            }
            Object inChild = storedAttribute(module.children(), modulePrefix, attribute);
            if (inChild != null) {
                return inChild;
            }
        }
        return null;
    }

    /** A setting as Python prints it: True, None, 'LSTM', 0.1. */
    private static String python(Object value) {
        if (value == null) {
            return "None";
        } else if (value instanceof Boolean b) {
            return b ? "True" : "False";
        } else if (value instanceof String s) {
            return "'" + s + "'";
        }
        return String.valueOf(value);
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
