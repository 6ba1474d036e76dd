package org.lstm4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.lstm4j.io.OnnxProto.ModelProto;
import org.lstm4j.io.OnnxProto.TensorProto;
import org.lstm4j.tensor.Tensor;

/**
 * ONNX files: the recurrent layers ({@code LSTM}, {@code GRU}, {@code RNN} nodes, opsets 7 to
 * 22) read as weight containers, and recurrent stacks written as the graph torch.onnx.export
 * writes. The protobuf format is read and written here with the JDK alone.
 *
 * <pre>{@code
 * // Python: torch.onnx.export(model, x, "model.onnx")
 * StateDictFile sd = StateDicts.read(Path.of("model.onnx"));   // lstm.weight_ih_l0, ..., fc.weight
 * Map<String, RecurrentStack> stacks = Onnx.readRecurrent(Path.of("model.onnx"));   // "lstm." -> its stack
 * Onnx.write(Path.of("out.onnx"), stacks.get("lstm."), Onnx.ExportOptions.opset(17));
 * }</pre>
 *
 * <h2>Reading</h2>
 * Nothing in the graph is run: the recurrent nodes' weights are taken out and described as
 * PyTorch would hold them (see {@link OnnxRecurrentImport} for what is accepted, refused, and
 * how the node chain of a multi-layer module becomes one stack). As a state dict
 * ({@link StateDicts#read}), each stack's parameters appear under its prefix with PyTorch's
 * names, followed by the graph's other floating-point initializers under their own names (a
 * model's head, for instance); the initializers that became recurrent parameters are not
 * repeated, and integer ones (shapes, indices) are left out. Other entries:
 * {@code onnx.ir_version}, {@code onnx.opset}, {@code onnx.producer}, and per stack
 * {@code <prefix>mode} (PyTorch's mode: LSTM, GRU, RNN_TANH, RNN_RELU) and
 * {@code <prefix>onnx_nodes} (the node names); the metadata are the model's
 * {@code metadata_props}. batch_first is not a property of weights: say it when running.
 *
 * <h2>Untrusted files</h2>
 * Each length and count is checked against the bytes that hold it, every tensor's dims against
 * the data it has, external data must be a relative path inside the model's folder (also after
 * links are resolved); a bad file is an IOException naming the file, never another exception.
 */
public final class Onnx {
    /** The opset {@code bin/lstm4j export} writes unless told otherwise (torch.onnx's default in 1.13 is 14). */
    public static final int DEFAULT_OPSET = 17;

    private Onnx() {
    }

    /**
     * How to write a stack.
     *
     * @param opset        the ai.onnx operator set, 7 to 22
     * @param batchFirst   input and output are (N, L, ·), as with {@code batch_first=True}
     * @param initialState add graph inputs {@code h0} (and {@code c0} for LSTM), (D·num_layers, N, H);
     *                     without them the state starts at zero
     * @param scope        the module path the nodes are named after ("lstm" gives {@code /lstm/LSTM},
     *                     read back as prefix {@code lstm.}); "" for a bare module
     */
    public record ExportOptions(int opset, boolean batchFirst, boolean initialState, String scope) {
        public ExportOptions {
            if (opset < OnnxRecurrentImport.MIN_OPSET || opset > OnnxRecurrentImport.MAX_OPSET) {
                throw new IllegalArgumentException("opset must be between " + OnnxRecurrentImport.MIN_OPSET + " and "
                        + OnnxRecurrentImport.MAX_OPSET + ", got " + opset);
            }
            Objects.requireNonNull(scope, "scope");
            if (scope.startsWith(".") || scope.endsWith(".") || scope.contains("/")) {
                throw new IllegalArgumentException("scope is a dotted module path such as \"encoder.rnn\", got \""
                        + scope + "\"");
            }
        }

        /** {@code opset}, time-major, no initial-state inputs, bare module. */
        public static ExportOptions opset(int opset) {
            return new ExportOptions(opset, false, false, "");
        }

        public ExportOptions withBatchFirst(boolean value) {
            return new ExportOptions(opset, value, initialState, scope);
        }

        public ExportOptions withInitialState(boolean value) {
            return new ExportOptions(opset, batchFirst, value, scope);
        }

        public ExportOptions withScope(String value) {
            return new ExportOptions(opset, batchFirst, initialState, value);
        }
    }

    /**
     * The recurrent stacks in an ONNX file, by prefix, in graph order.
     *
     * @throws IOException if the file is not a readable ONNX model or a recurrent node is refused
     */
    public static Map<String, RecurrentStack> readRecurrent(Path file) throws IOException {
        return ByteSource.parse(file, src -> {
            Map<String, RecurrentStack> stacks = new LinkedHashMap<>();
            for (OnnxRecurrentImport.Found f : OnnxRecurrentImport.of(readModel(src), src).find()) {
                stacks.put(f.prefix(), f.stack());
            }
            return stacks;
        });
    }

    /** Writes {@code stack} as an ONNX model (see {@link OnnxRecurrentExport} for the graph). */
    public static void write(Path file, RecurrentStack stack, ExportOptions options) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(stack, "stack");
        Objects.requireNonNull(options, "options");
        Files.write(file, OnnxProto.encode(OnnxRecurrentExport.model(stack, options)));
    }

    /** Whether a file's first bytes look like a serialized ModelProto: field 1 (ir_version) as a small varint first. */
    static boolean looksLikeModel(byte[] head) {
        return head.length >= 3 && head[0] == 0x08 && head[1] >= 1 && head[1] <= 0x7F && (head[2] & 0x07) <= 2;
    }

    static ModelProto readModel(ByteSource src) throws IOException {
        byte[] bytes = src.read(0, src.size(), "ONNX model");
        return OnnxProto.decodeModel(Protobuf.Reader.of(bytes, src.name()));
    }

    /** The state-dict view described in the class comment. */
    static StateDictFile read(ByteSource src) throws IOException {
        ModelProto model = readModel(src);
        OnnxRecurrentImport recurrent = OnnxRecurrentImport.of(model, src);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> dtypes = new LinkedHashMap<>();
        Map<String, Object> others = new LinkedHashMap<>();
        others.put("onnx.ir_version", model.irVersion());
        others.put("onnx.opset", model.defaultOpset());
        others.put("onnx.producer", (model.producerName() + " " + model.producerVersion()).strip());
        for (OnnxRecurrentImport.Found f : recurrent.find()) {
            f.stack().parameters().forEach((name, t) -> {
                tensors.put(f.prefix() + name, t);
                dtypes.put(f.prefix() + name, f.dtype());
            });
            others.put(f.prefix() + "mode", f.stack().mode().name());
            others.put(f.prefix() + "onnx_nodes", f.nodes());
        }
        for (TensorProto t : model.graph().initializers()) {
            DType dtype = OnnxTensors.dtype(t.dataType());
            boolean floating = dtype == DType.FLOAT32 || dtype == DType.FLOAT16 || dtype == DType.BFLOAT16
                    || dtype == DType.FLOAT64;
            if (floating && !recurrent.consumedInitializers().contains(t.name()) && !tensors.containsKey(t.name())) {
                tensors.put(t.name(), OnnxTensors.toFloat(t, src));
                dtypes.put(t.name(), dtype.pytorchName);
            }
        }
        return new StateDictFile(FileFormat.ONNX, tensors, dtypes, others, model.metadataProps());
    }
}
