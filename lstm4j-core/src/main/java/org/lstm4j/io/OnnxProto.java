package org.lstm4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lstm4j.io.Protobuf.LongList;
import org.lstm4j.io.Protobuf.Reader;
import org.lstm4j.io.Protobuf.Writer;

/**
 * The part of ONNX's protobuf schema ({@code onnx/onnx.proto}) that recurrent models need, as
 * records, with their wire-format decoding and encoding. Field numbers are the schema's.
 *
 * <pre>{@code
 * OnnxProto.ModelProto model = OnnxProto.decodeModel(Protobuf.Reader.of(bytes, "model.onnx"));
 * for (OnnxProto.NodeProto node : model.graph().nodes()) System.out.println(node.opType());
 * byte[] out = OnnxProto.encode(model);
 * }</pre>
 *
 * <p>What is kept: ModelProto's ir_version, opset_import, producer, graph and metadata_props;
 * GraphProto's nodes, initializers, inputs and outputs; NodeProto whole; AttributeProto's
 * scalar, string, tensor and list values (subgraphs and sparse tensors are skipped: no recurrent
 * node has them); TensorProto's dims, type, name, raw_data (as a view of the file's bytes, never
 * copied), typed data fields and external-data entries; ValueInfoProto's name, element type and
 * shape. Everything else, including fields a newer schema adds, is skipped. Decoding never
 * recurses into user-controlled depth: the kept messages nest at most five deep.
 */
final class OnnxProto {
    /** TensorProto.DataType values. */
    static final int FLOAT = 1;
    static final int UINT8 = 2;
    static final int INT8 = 3;
    static final int INT16 = 5;
    static final int INT32 = 6;
    static final int INT64 = 7;
    static final int STRING = 8;
    static final int BOOL = 9;
    static final int FLOAT16 = 10;
    static final int DOUBLE = 11;
    static final int BFLOAT16 = 16;

    /** AttributeProto.AttributeType values. */
    static final int ATTRIBUTE_FLOAT = 1;
    static final int ATTRIBUTE_INT = 2;
    static final int ATTRIBUTE_STRING = 3;
    static final int ATTRIBUTE_TENSOR = 4;
    static final int ATTRIBUTE_FLOATS = 6;
    static final int ATTRIBUTE_INTS = 7;
    static final int ATTRIBUTE_STRINGS = 8;

    /** TensorProto.DataLocation.EXTERNAL. */
    static final int EXTERNAL = 1;

    private OnnxProto() {
    }

    record OperatorSetId(String domain, long version) {
    }

    record ModelProto(long irVersion, List<OperatorSetId> opsetImports, String producerName, String producerVersion,
                      GraphProto graph, Map<String, String> metadataProps) {
        /** The version of the default ({@code ""} or {@code ai.onnx}) operator set, or -1 if not imported. */
        long defaultOpset() {
            for (OperatorSetId id : opsetImports) {
                if (id.domain().isEmpty() || id.domain().equals("ai.onnx")) {
                    return id.version();
                }
            }
            return -1;
        }
    }

    record GraphProto(String name, List<NodeProto> nodes, List<TensorProto> initializers,
                      List<ValueInfoProto> inputs, List<ValueInfoProto> outputs) {
    }

    /** An input or output named "" is an optional one left out. */
    record NodeProto(List<String> inputs, List<String> outputs, String name, String opType, String domain,
                     List<AttributeProto> attributes) {
        /** Input {@code index}, or "" when the node has fewer inputs (an optional input left out). */
        String input(int index) {
            return index < inputs.size() ? inputs.get(index) : "";
        }

        /** Output {@code index}, or "" when the node has fewer. */
        String output(int index) {
            return index < outputs.size() ? outputs.get(index) : "";
        }

        AttributeProto attribute(String attributeName) {
            for (AttributeProto a : attributes) {
                if (a.name().equals(attributeName)) {
                    return a;
                }
            }
            return null;
        }

        /** A readable name for messages: the node's name, or its op type and first output. */
        String describe() {
            return name.isEmpty() ? opType + " node (output '" + output(0) + "')" : opType + " node '" + name + "'";
        }
    }

    /**
     * One attribute; {@code type} says which value field holds it (older files may leave it 0,
     * see {@link #effectiveType}).
     */
    record AttributeProto(String name, int type, float f, long i, String s, TensorProto t, float[] floats,
                          long[] ints, List<String> strings) {
        static AttributeProto ofInt(String name, long value) {
            return new AttributeProto(name, ATTRIBUTE_INT, 0, value, null, null, new float[0], new long[0], List.of());
        }

        static AttributeProto ofFloat(String name, float value) {
            return new AttributeProto(name, ATTRIBUTE_FLOAT, value, 0, null, null, new float[0], new long[0], List.of());
        }

        static AttributeProto ofString(String name, String value) {
            return new AttributeProto(name, ATTRIBUTE_STRING, 0, 0, value, null, new float[0], new long[0], List.of());
        }

        static AttributeProto ofTensor(String name, TensorProto value) {
            return new AttributeProto(name, ATTRIBUTE_TENSOR, 0, 0, null, value, new float[0], new long[0], List.of());
        }

        static AttributeProto ofFloats(String name, float... values) {
            return new AttributeProto(name, ATTRIBUTE_FLOATS, 0, 0, null, null, values, new long[0], List.of());
        }

        static AttributeProto ofInts(String name, long... values) {
            return new AttributeProto(name, ATTRIBUTE_INTS, 0, 0, null, null, new float[0], values, List.of());
        }

        static AttributeProto ofStrings(String name, List<String> values) {
            return new AttributeProto(name, ATTRIBUTE_STRINGS, 0, 0, null, null, new float[0], new long[0],
                    List.copyOf(values));
        }

        /** The declared type, or for files that leave it unset the one value field present. */
        int effectiveType() {
            if (type != 0) {
                return type;
            }
            if (t != null) {
                return ATTRIBUTE_TENSOR;
            } else if (floats.length > 0) {
                return ATTRIBUTE_FLOATS;
            } else if (ints.length > 0) {
                return ATTRIBUTE_INTS;
            } else if (!strings.isEmpty()) {
                return ATTRIBUTE_STRINGS;
            } else if (s != null) {
                return ATTRIBUTE_STRING;
            }
            return f != 0 ? ATTRIBUTE_FLOAT : ATTRIBUTE_INT;
        }
    }

    /**
     * A tensor: {@code rawData} is a read-only view of the file's bytes (or null), the typed
     * fields hold raw 64-bit patterns (float bits for float_data, double bits for double_data),
     * {@code externalData} is the location/offset/length map of a tensor stored in another file.
     */
    record TensorProto(String name, int dataType, long[] dims, ByteBuffer rawData, long[] floatData,
                       long[] int32Data, long[] int64Data, long[] doubleData, Map<String, String> externalData,
                       int dataLocation) {
        /** A float32 tensor whose values are written as raw_data. */
        static TensorProto ofFloats(String name, long[] dims, float[] values) {
            ByteBuffer raw = ByteBuffer.allocate(4 * values.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            raw.asFloatBuffer().put(values);
            return new TensorProto(name, FLOAT, dims, raw, new long[0], new long[0], new long[0], new long[0],
                    Map.of(), 0);
        }

        /** An int64 tensor (shapes, axes, slice bounds) written as raw_data. */
        static TensorProto ofLongs(String name, long[] dims, long[] values) {
            ByteBuffer raw = ByteBuffer.allocate(8 * values.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            raw.asLongBuffer().put(values);
            return new TensorProto(name, INT64, dims, raw, new long[0], new long[0], new long[0], new long[0],
                    Map.of(), 0);
        }
    }

    /** A graph input or output: name, element type (0 if absent) and dims, each a number or a name. */
    record ValueInfoProto(String name, int elemType, List<Dim> shape) {
    }

    /** One dimension of a ValueInfoProto's shape: {@code value} ≥ 0, or {@code param} a symbolic name (value -1). */
    record Dim(long value, String param) {
        static Dim of(long value) {
            return new Dim(value, "");
        }

        static Dim named(String param) {
            return new Dim(-1, param);
        }
    }

    // ---- decoding -------------------------------------------------------------------------

    static ModelProto decodeModel(Reader r) throws IOException {
        long irVersion = 0;
        List<OperatorSetId> opsets = new ArrayList<>();
        String producerName = "";
        String producerVersion = "";
        GraphProto graph = null;
        Map<String, String> metadata = new LinkedHashMap<>();
        while (r.hasMore()) {
            switch (r.readTag()) {
                case 1 -> irVersion = r.varintField("ModelProto.ir_version");
                case 2 -> producerName = r.stringField("ModelProto.producer_name");
                case 3 -> producerVersion = r.stringField("ModelProto.producer_version");
                case 7 -> graph = decodeGraph(r.readMessage("ModelProto.graph"));
                case 8 -> opsets.add(decodeOpset(r.readMessage("ModelProto.opset_import")));
                case 14 -> {
                    String[] entry = decodeStringPair(r.readMessage("ModelProto.metadata_props"));
                    metadata.put(entry[0], entry[1]);
                }
                default -> r.skipField();
            }
        }
        if (graph == null) {
            throw r.error(r.position(), "not an ONNX model: no graph (ModelProto field 7)");
        }
        return new ModelProto(irVersion, List.copyOf(opsets), producerName, producerVersion, graph,
                Collections.unmodifiableMap(metadata));
    }

    private static OperatorSetId decodeOpset(Reader r) throws IOException {
        String domain = "";
        long version = 0;
        while (r.hasMore()) {
            switch (r.readTag()) {
                case 1 -> domain = r.stringField("OperatorSetIdProto.domain");
                case 2 -> version = r.varintField("OperatorSetIdProto.version");
                default -> r.skipField();
            }
        }
        return new OperatorSetId(domain, version);
    }

    private static String[] decodeStringPair(Reader r) throws IOException {
        String key = "";
        String value = "";
        while (r.hasMore()) {
            switch (r.readTag()) {
                case 1 -> key = r.stringField("StringStringEntryProto.key");
                case 2 -> value = r.stringField("StringStringEntryProto.value");
                default -> r.skipField();
            }
        }
        return new String[] {key, value};
    }

    private static GraphProto decodeGraph(Reader r) throws IOException {
        String name = "";
        List<NodeProto> nodes = new ArrayList<>();
        List<TensorProto> initializers = new ArrayList<>();
        List<ValueInfoProto> inputs = new ArrayList<>();
        List<ValueInfoProto> outputs = new ArrayList<>();
        while (r.hasMore()) {
            switch (r.readTag()) {
                case 1 -> nodes.add(decodeNode(r.readMessage("GraphProto.node")));
                case 2 -> name = r.stringField("GraphProto.name");
                case 5 -> initializers.add(decodeTensor(r.readMessage("GraphProto.initializer")));
                case 11 -> inputs.add(decodeValueInfo(r.readMessage("GraphProto.input")));
                case 12 -> outputs.add(decodeValueInfo(r.readMessage("GraphProto.output")));
                default -> r.skipField();
            }
        }
        return new GraphProto(name, List.copyOf(nodes), List.copyOf(initializers), List.copyOf(inputs),
                List.copyOf(outputs));
    }

    private static NodeProto decodeNode(Reader r) throws IOException {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        String opType = "";
        String domain = "";
        List<AttributeProto> attributes = new ArrayList<>();
        while (r.hasMore()) {
            switch (r.readTag()) {
                case 1 -> inputs.add(r.stringField("NodeProto.input"));
                case 2 -> outputs.add(r.stringField("NodeProto.output"));
                case 3 -> name = r.stringField("NodeProto.name");
                case 4 -> opType = r.stringField("NodeProto.op_type");
                case 5 -> attributes.add(decodeAttribute(r.readMessage("NodeProto.attribute")));
                case 7 -> domain = r.stringField("NodeProto.domain");
                default -> r.skipField();
            }
        }
        return new NodeProto(List.copyOf(inputs), List.copyOf(outputs), name, opType, domain, List.copyOf(attributes));
    }

    private static AttributeProto decodeAttribute(Reader r) throws IOException {
        String name = "";
        int type = 0;
        float f = 0;
        long i = 0;
        String s = null;
        TensorProto t = null;
        LongList floats = new LongList();
        LongList ints = new LongList();
        List<String> strings = new ArrayList<>();
        while (r.hasMore()) {
            switch (r.readTag()) {
                case 1 -> name = r.stringField("AttributeProto.name");
                case 2 -> f = r.floatField("AttributeProto.f");
                case 3 -> i = r.varintField("AttributeProto.i");
                case 4 -> s = r.stringField("AttributeProto.s");
                case 5 -> t = decodeTensor(r.readMessage("AttributeProto.t"));
                case 7 -> r.readRepeated(floats, Protobuf.FIXED32, "AttributeProto.floats");
                case 8 -> r.readRepeated(ints, Protobuf.VARINT, "AttributeProto.ints");
                case 9 -> strings.add(r.stringField("AttributeProto.strings"));
                case 20 -> type = r.int32Field("AttributeProto.type");
                default -> r.skipField();
            }
        }
        long[] floatBits = floats.toArray();
        float[] floatValues = new float[floatBits.length];
        for (int k = 0; k < floatValues.length; k++) {
            floatValues[k] = Float.intBitsToFloat((int) floatBits[k]);
        }
        return new AttributeProto(name, type, f, i, s, t, floatValues, ints.toArray(), List.copyOf(strings));
    }

    private static TensorProto decodeTensor(Reader r) throws IOException {
        LongList dims = new LongList();
        int dataType = 0;
        String name = "";
        ByteBuffer raw = null;
        LongList floatData = new LongList();
        LongList int32Data = new LongList();
        LongList int64Data = new LongList();
        LongList doubleData = new LongList();
        Map<String, String> external = new LinkedHashMap<>();
        int location = 0;
        while (r.hasMore()) {
            switch (r.readTag()) {
                case 1 -> r.readRepeated(dims, Protobuf.VARINT, "TensorProto.dims");
                case 2 -> dataType = r.int32Field("TensorProto.data_type");
                case 4 -> r.readRepeated(floatData, Protobuf.FIXED32, "TensorProto.float_data");
                case 5 -> r.readRepeated(int32Data, Protobuf.VARINT, "TensorProto.int32_data");
                case 7 -> r.readRepeated(int64Data, Protobuf.VARINT, "TensorProto.int64_data");
                case 8 -> name = r.stringField("TensorProto.name");
                case 9 -> {
                    Protobuf.Slice s = r.readSlice("TensorProto.raw_data");
                    raw = ByteBuffer.wrap(r.buffer(), s.offset(), s.length()).slice();
                }
                case 10 -> r.readRepeated(doubleData, Protobuf.FIXED64, "TensorProto.double_data");
                case 13 -> {
                    String[] entry = decodeStringPair(r.readMessage("TensorProto.external_data"));
                    external.put(entry[0], entry[1]);
                }
                case 14 -> location = r.int32Field("TensorProto.data_location");
                default -> r.skipField();
            }
        }
        return new TensorProto(name, dataType, dims.toArray(), raw, floatData.toArray(), int32Data.toArray(),
                int64Data.toArray(), doubleData.toArray(), Collections.unmodifiableMap(external), location);
    }

    private static ValueInfoProto decodeValueInfo(Reader r) throws IOException {
        String name = "";
        int elemType = 0;
        List<Dim> shape = new ArrayList<>();
        while (r.hasMore()) {
            switch (r.readTag()) {
                case 1 -> name = r.stringField("ValueInfoProto.name");
                case 2 -> {
                    Reader type = r.readMessage("ValueInfoProto.type");
                    while (type.hasMore()) {
                        if (type.readTag() == 1) { // TypeProto.tensor_type
                            Reader tensorType = type.readMessage("TypeProto.tensor_type");
                            while (tensorType.hasMore()) {
                                switch (tensorType.readTag()) {
                                    case 1 -> elemType = tensorType.int32Field("TypeProto.Tensor.elem_type");
                                    case 2 -> decodeShape(tensorType.readMessage("TypeProto.Tensor.shape"), shape);
                                    default -> tensorType.skipField();
                                }
                            }
                        } else {
                            type.skipField();
                        }
                    }
                }
                default -> r.skipField();
            }
        }
        return new ValueInfoProto(name, elemType, List.copyOf(shape));
    }

    private static void decodeShape(Reader r, List<Dim> shape) throws IOException {
        while (r.hasMore()) {
            if (r.readTag() != 1) {
                r.skipField();
                continue;
            }
            Reader dim = r.readMessage("TensorShapeProto.dim");
            long value = -1;
            String param = "";
            while (dim.hasMore()) {
                switch (dim.readTag()) {
                    case 1 -> value = dim.varintField("Dimension.dim_value");
                    case 2 -> param = dim.stringField("Dimension.dim_param");
                    default -> dim.skipField();
                }
            }
            shape.add(new Dim(value, param));
        }
    }

    // ---- encoding -------------------------------------------------------------------------

    /** The model as protobuf bytes, fields in field-number order as protobuf's own writers do. */
    static byte[] encode(ModelProto model) {
        Writer w = new Writer().varint(1, model.irVersion());
        if (!model.producerName().isEmpty()) {
            w.string(2, model.producerName());
        }
        if (!model.producerVersion().isEmpty()) {
            w.string(3, model.producerVersion());
        }
        w.message(7, encode(model.graph()));
        for (OperatorSetId id : model.opsetImports()) {
            Writer opset = new Writer();
            if (!id.domain().isEmpty()) {
                opset.string(1, id.domain());
            }
            w.message(8, opset.varint(2, id.version()));
        }
        model.metadataProps().forEach((key, value) -> w.message(14, new Writer().string(1, key).string(2, value)));
        return w.toByteArray();
    }

    private static Writer encode(GraphProto graph) {
        Writer w = new Writer();
        for (NodeProto node : graph.nodes()) {
            w.message(1, encode(node));
        }
        w.string(2, graph.name());
        for (TensorProto t : graph.initializers()) {
            w.message(5, encode(t));
        }
        for (ValueInfoProto v : graph.inputs()) {
            w.message(11, encode(v));
        }
        for (ValueInfoProto v : graph.outputs()) {
            w.message(12, encode(v));
        }
        return w;
    }

    private static Writer encode(NodeProto node) {
        Writer w = new Writer();
        node.inputs().forEach(input -> w.string(1, input));
        node.outputs().forEach(output -> w.string(2, output));
        if (!node.name().isEmpty()) {
            w.string(3, node.name());
        }
        w.string(4, node.opType());
        for (AttributeProto a : node.attributes()) {
            w.message(5, encode(a));
        }
        if (!node.domain().isEmpty()) {
            w.string(7, node.domain());
        }
        return w;
    }

    private static Writer encode(AttributeProto a) {
        Writer w = new Writer().string(1, a.name());
        switch (a.type()) {
            case ATTRIBUTE_FLOAT -> w.floatValue(2, a.f());
            case ATTRIBUTE_INT -> w.varint(3, a.i());
            case ATTRIBUTE_STRING -> w.string(4, a.s());
            case ATTRIBUTE_TENSOR -> w.message(5, encode(a.t()));
            case ATTRIBUTE_FLOATS -> {
                long[] bits = new long[a.floats().length];
                for (int k = 0; k < bits.length; k++) {
                    bits[k] = Float.floatToRawIntBits(a.floats()[k]) & 0xFFFF_FFFFL;
                }
                w.packed(7, Protobuf.FIXED32, bits);
            }
            case ATTRIBUTE_INTS -> w.packed(8, Protobuf.VARINT, a.ints());
            case ATTRIBUTE_STRINGS -> a.strings().forEach(s -> w.string(9, s));
            default -> throw new IllegalArgumentException("cannot write attribute type " + a.type());
        }
        return w.varint(20, a.type());
    }

    private static Writer encode(TensorProto t) {
        Writer w = new Writer();
        if (t.dims().length > 0) {
            w.packed(1, Protobuf.VARINT, t.dims());
        }
        w.varint(2, t.dataType());
        if (t.floatData().length > 0) {
            w.packed(4, Protobuf.FIXED32, t.floatData());
        }
        if (t.int32Data().length > 0) {
            w.packed(5, Protobuf.VARINT, t.int32Data());
        }
        if (t.int64Data().length > 0) {
            w.packed(7, Protobuf.VARINT, t.int64Data());
        }
        w.string(8, t.name());
        if (t.rawData() != null) {
            ByteBuffer raw = t.rawData().duplicate();
            byte[] bytes = new byte[raw.remaining()];
            raw.get(bytes);
            w.bytes(9, bytes);
        }
        if (t.doubleData().length > 0) {
            w.packed(10, Protobuf.FIXED64, t.doubleData());
        }
        t.externalData().forEach((key, value) -> w.message(13, new Writer().string(1, key).string(2, value)));
        if (t.dataLocation() != 0) {
            w.varint(14, t.dataLocation());
        }
        return w;
    }

    private static Writer encode(ValueInfoProto v) {
        Writer shape = new Writer();
        for (Dim d : v.shape()) {
            shape.message(1, d.param().isEmpty() ? new Writer().varint(1, d.value()) : new Writer().string(2, d.param()));
        }
        Writer tensorType = new Writer().varint(1, v.elemType()).message(2, shape);
        return new Writer().string(1, v.name()).message(2, new Writer().message(1, tensorType));
    }
}
