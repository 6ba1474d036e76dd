package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lstm4j.io.OnnxProto.GraphProto;
import org.lstm4j.io.OnnxProto.ModelProto;
import org.lstm4j.io.OnnxProto.TensorProto;

/**
 * Hostile ONNX files are refused with one IOException naming the file: external data that
 * escapes the model's folder, tensors whose dims claim more data than they hold, files that
 * are not what they say. Truncated and fuzzed files are in {@link TruncationTest} and
 * {@link FuzzTest}.
 */
class OnnxHostileTest {
    @TempDir
    Path dir;

    @Test
    void externalDataInsideTheFolderIsRead() throws IOException {
        Path model = copyExternalFixture(dir);
        StateDictFile file = StateDicts.read(model);
        StateDictFile expected = StateDicts.read(IoFixtures.resource("onnx/variants/external.expected.npz"));
        IoFixtures.assertSameValues(expected.tensor("sd.weight_hh_l0"), file.tensor("rnn.weight_hh_l0"), "weight_hh_l0");
    }

    @Test
    void externalDataOutsideTheModelsFolderIsRefused() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("models"));
        Path outside = dir.resolve("secret.bin");
        Files.write(outside, new byte[4096]);
        for (String location : List.of("../secret.bin", "sub/../../secret.bin", outside.toString(), "/etc/passwd")) {
            Path model = withExternalLocation(folder, location);
            assertThatThrownBy(() -> StateDicts.read(model)).as(location).isInstanceOf(IOException.class)
                    .hasMessageStartingWith(model.toString())
                    .hasMessageContaining("external data location '" + location + "' points outside the model's folder");
        }
    }

    @Test
    void aSymbolicLinkOutOfTheFolderIsRefused() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("linked"));
        Path outside = dir.resolve("outside.bin");
        Files.write(outside, Files.readAllBytes(IoFixtures.resource("onnx/variants/external.onnx.data")));
        Files.createSymbolicLink(folder.resolve("external.onnx.data"), outside);
        Files.copy(IoFixtures.resource("onnx/variants/external.onnx"), folder.resolve("external.onnx"));
        assertThatThrownBy(() -> StateDicts.read(folder.resolve("external.onnx"))).isInstanceOf(IOException.class)
                .hasMessageContaining("external data location 'external.onnx.data' is a link to " + outside.toRealPath()
                        + ", outside the model's folder");
    }

    @Test
    void missingOrShortExternalDataIsRefused() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("missing"));
        Files.copy(IoFixtures.resource("onnx/variants/external.onnx"), folder.resolve("external.onnx"));
        assertThatThrownBy(() -> StateDicts.read(folder.resolve("external.onnx"))).isInstanceOf(IOException.class)
                .hasMessageContaining("external data file " + folder.resolve("external.onnx.data") + " does not exist");

        Path model = copyExternalFixture(Files.createDirectories(dir.resolve("short")));
        Path data = model.resolveSibling("external.onnx.data");
        Files.write(data, java.util.Arrays.copyOf(Files.readAllBytes(data), 100));
        assertThatThrownBy(() -> StateDicts.read(model)).isInstanceOf(IOException.class)
                .hasMessageContaining("external.onnx.data: external data of tensor '")
                .hasMessageContaining("bytes but only");
    }

    @Test
    void externalDataNeedsAFileToBeRelativeTo() throws IOException {
        byte[] bytes = IoFixtures.bytes("onnx/variants/external.onnx");
        assertThatThrownBy(() -> ByteSource.guard(ByteSource.of(bytes, "memory.onnx"), src -> StateDicts.read(src, "x")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("memory.onnx: tensor '")
                .hasMessageContaining("needs the model's folder, and this model was not read from a file");
    }

    @Test
    void dimsClaimingTwoToTheFortyFloatsOver48BytesAreRefusedBeforeAllocating() throws IOException {
        ModelProto lstm = OnnxImportTest.model("onnx/torch/lstm_1layer_opset9.onnx");
        TensorProto huge = new TensorProto("huge", OnnxProto.FLOAT, new long[] {1L << 40},
                java.nio.ByteBuffer.wrap(new byte[48]), new long[0], new long[0], new long[0], new long[0], Map.of(), 0);
        assertRefused(withInitializer(lstm, huge), "edited.onnx: tensor 'huge': dims [1099511627776] declare 1099511627776"
                + " float32 values (4398046511104 bytes) but raw_data holds 48 bytes");
        TensorProto product = new TensorProto("product", OnnxProto.FLOAT, new long[] {1L << 31 - 1, 1L << 30, 1L << 30},
                java.nio.ByteBuffer.wrap(new byte[48]), new long[0], new long[0], new long[0], new long[0], Map.of(), 0);
        assertRefused(withInitializer(lstm, product), "but raw_data holds 48 bytes");
        TensorProto negative = new TensorProto("negative", OnnxProto.FLOAT, new long[] {-4},
                java.nio.ByteBuffer.wrap(new byte[16]), new long[0], new long[0], new long[0], new long[0], Map.of(), 0);
        assertRefused(withInitializer(lstm, negative), "edited.onnx: tensor 'negative': dim -4 is negative");
        TensorProto typed = new TensorProto("typed", OnnxProto.FLOAT, new long[] {1L << 40}, null, new long[12],
                new long[0], new long[0], new long[0], Map.of(), 0);
        assertRefused(withInitializer(lstm, typed), "edited.onnx: tensor 'typed': dims [1099511627776] declare"
                + " 1099511627776 float32 values but float_data holds 12");
        TensorProto strings = new TensorProto("strings", OnnxProto.STRING, new long[] {1},
                java.nio.ByteBuffer.wrap(new byte[1]), new long[0], new long[0], new long[0], new long[0], Map.of(), 0);
        // A string initializer that nothing reads is left out of the weights, not an error.
        assertThat(OnnxImportTest.read(withInitializer(lstm, strings)).tensors()).doesNotContainKey("strings");
    }

    @Test
    void aFileThatIsNotAModelIsRefused() {
        assertThatThrownBy(() -> ByteSource.guard(ByteSource.of(new byte[] {8, 7, 0x12, 1, 'x'}, "tiny.onnx"),
                src -> StateDicts.read(src, "x")))
                .isInstanceOf(IOException.class)
                .hasMessage("tiny.onnx: not an ONNX model: no graph (ModelProto field 7) (at offset 5)");
    }

    static Path copyExternalFixture(Path folder) throws IOException {
        Files.copy(IoFixtures.resource("onnx/variants/external.onnx"), folder.resolve("external.onnx"));
        Files.copy(IoFixtures.resource("onnx/variants/external.onnx.data"), folder.resolve("external.onnx.data"));
        return folder.resolve("external.onnx");
    }

    /** The external fixture with every tensor's location set to {@code location}, written into {@code folder}. */
    private static Path withExternalLocation(Path folder, String location) throws IOException {
        ModelProto m = OnnxImportTest.model("onnx/variants/external.onnx");
        GraphProto g = m.graph();
        List<TensorProto> moved = new ArrayList<>();
        for (TensorProto t : g.initializers()) {
            Map<String, String> external = new java.util.LinkedHashMap<>(t.externalData());
            external.put("location", location);
            moved.add(new TensorProto(t.name(), t.dataType(), t.dims(), null, t.floatData(), t.int32Data(), t.int64Data(),
                    t.doubleData(), external, t.dataLocation()));
        }
        Path model = folder.resolve("moved.onnx");
        Files.write(model, OnnxProto.encode(OnnxImportTest.withGraph(m, new GraphProto(g.name(), g.nodes(), moved,
                g.inputs(), g.outputs()))));
        return model;
    }

    private static ModelProto withInitializer(ModelProto m, TensorProto t) {
        GraphProto g = m.graph();
        List<TensorProto> all = new ArrayList<>(g.initializers());
        all.add(t);
        return OnnxImportTest.withGraph(m, new GraphProto(g.name(), g.nodes(), all, g.inputs(), g.outputs()));
    }

    private static void assertRefused(ModelProto model, String message) {
        assertThatThrownBy(() -> OnnxImportTest.read(model)).isInstanceOf(IOException.class).hasMessageContaining(message);
    }
}
