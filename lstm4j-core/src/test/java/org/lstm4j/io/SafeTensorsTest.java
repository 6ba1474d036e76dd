package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.lstm4j.io.IoFixtures.assertSameTensors;
import static org.lstm4j.io.IoFixtures.resource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lstm4j.tensor.Tensor;

class SafeTensorsTest {
    @TempDir
    Path dir;

    static Map<String, Tensor> awkwardTensors() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("lstm.weight_ih_l0", Tensor.randn(1, 8, 3));
        tensors.put("specials", Tensor.of(new float[] {Float.NaN, Float.intBitsToFloat(0x7FC0_1234), -0f, 0f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MAX_VALUE}, 2, 4));
        tensors.put("scalar", Tensor.scalar(2.5f));
        tensors.put("empty", Tensor.zeros(0, 3));
        tensors.put("cube", Tensor.randn(2, 2, 3, 4));
        tensors.put("name with \"quotes\", \\ and é", Tensor.of(new float[] {1}, 1));
        return tensors;
    }

    @Test
    void roundTripIsBitExactAndKeepsOrderAndMetadata() throws IOException {
        Map<String, Tensor> tensors = awkwardTensors();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("note", "tab\tnewline\n\"quote\" \u0001 é");
        Path file = dir.resolve("x.safetensors");
        SafeTensors.write(file, tensors, metadata);

        StateDictFile read = SafeTensors.read(file);
        assertThat(read.format()).isEqualTo(FileFormat.SAFETENSORS);
        assertSameTensors(tensors, read.tensors());
        float[] specials = read.tensor("specials").data();
        assertThat(Float.floatToRawIntBits(specials[1])).isEqualTo(0x7FC0_1234);
        assertThat(read.metadata()).containsExactlyEntriesOf(metadata);
        assertThat(read.dtypes().values()).containsOnly("float32");
    }

    @Test
    void headerIsPaddedWithSpacesToEightBytesAndOffsetsIncrease() throws IOException {
        Path file = dir.resolve("x.safetensors");
        SafeTensors.write(file, awkwardTensors(), Map.of("format", "pt"));
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(n % 8).isZero();
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertThat(header).startsWith("{\"__metadata__\":{\"format\":\"pt\"},\"lstm.weight_ih_l0\":{\"dtype\":\"F32\","
                + "\"shape\":[8,3],\"data_offsets\":[0,96]},\"specials\":{\"dtype\":\"F32\",\"shape\":[2,4],"
                + "\"data_offsets\":[96,128]},\"scalar\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[128,132]},"
                + "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[132,132]}");
        assertThat(header.stripTrailing()).endsWith("}");
        assertThat(header.substring(header.stripTrailing().length())).matches(" {0,7}");
        long dataBytes = 4L * (24 + 8 + 1 + 0 + 24 + 1);
        assertThat(bytes.length).isEqualTo(8 + n + dataBytes);
    }

    @Test
    void noMetadataMeansNoMetadataKey() throws IOException {
        Path file = dir.resolve("x.safetensors");
        SafeTensors.write(file, Map.of("a", Tensor.zeros(2)));
        assertThat(new String(Files.readAllBytes(file), StandardCharsets.UTF_8)).doesNotContain("__metadata__");
        assertThat(SafeTensors.read(file).metadata()).isEmpty();
    }

    @Test
    void readsTheFixtureStateDict() throws IOException {
        StateDictFile file = SafeTensors.read(resource("safetensors/lstm_tiny.safetensors"));
        Map<String, Tensor> expected = Npy.readNpz(resource("safetensors/lstm_tiny.expected.npz")).tensors();
        // The reference writer sorts by name, so compare as a set of names.
        assertThat(file.tensors().keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (String name : expected.keySet()) {
            IoFixtures.assertSameValues(expected.get(name), file.tensor(name), name);
        }
        assertThat(file.metadata()).containsExactlyEntriesOf(Map.of("format", "pt"));
        // Same state dict as torch/lstm_tiny.pt, saved by torch.save.
        StateDictFile torch = TorchZip.read(resource("torch/lstm_tiny.pt"));
        for (String name : torch.tensors().keySet()) {
            IoFixtures.assertSameValues(torch.tensor(name), file.tensor(name), name);
        }
    }

    @Test
    void decodesEveryDtypeAsPyTorchConvertsIt() throws IOException {
        StateDictFile file = SafeTensors.read(resource("safetensors/dtypes.safetensors"));
        Map<String, Tensor> expected = Npy.readNpz(resource("safetensors/dtypes.expected.npz")).tensors();
        assertThat(file.tensors().keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (String name : expected.keySet()) {
            IoFixtures.assertSameValues(expected.get(name), file.tensor(name), name);
        }
        assertThat(file.dtypes()).containsEntry("f16", "float16").containsEntry("bf16", "bfloat16")
                .containsEntry("f64", "float64").containsEntry("i64", "int64").containsEntry("i32", "int32")
                .containsEntry("f32", "float32");
        assertThat(file.metadata()).containsEntry("note", "line\nbreak \"quoted\" é");
        assertThat(file.tensor("scalar").shape()).isEmpty();
        assertThat(file.tensor("empty").shape()).containsExactly(0, 2);
    }

    @Test
    void headerClaimingATerabyteFailsFastWithAClearMessage() throws IOException {
        byte[] bytes = new byte[100];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40);
        Path file = dir.resolve("huge.safetensors");
        Files.write(file, bytes);
        assertTimeoutPreemptively(Duration.ofSeconds(2), () ->
                assertThatThrownBy(() -> SafeTensors.read(file))
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining(file.toString())
                        .hasMessageContaining("header claims 1099511627776 bytes but the file has only 92 bytes"));
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L);
        Files.write(file, bytes);
        assertThatThrownBy(() -> SafeTensors.read(file)).hasMessageContaining("18446744073709551615");
    }

    @Test
    void headerOverOneHundredMegabytesIsRefusedEvenInsideTheFile() throws IOException {
        Path file = dir.resolve("sparse.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(150_000_000L); // sparse: nothing is written
            byte[] length = new byte[8];
            ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).putLong(120_000_000L);
            raf.write(length);
            raf.write('{');
        }
        assertThatThrownBy(() -> SafeTensors.read(file))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("over the 100000000-byte limit");
    }

    static byte[] safetensors(String header, int dataBytes) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        return b.array();
    }

    static StateDictFile parse(byte[] bytes) throws IOException {
        return ByteSource.guard(ByteSource.of(bytes, "test.safetensors"), SafeTensors::read);
    }

    @Test
    void minimalHandWrittenFileParses() throws IOException {
        StateDictFile f = parse(safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8));
        assertThat(f.tensor("a").shape()).containsExactly(2);
        assertThat(parse(safetensors("{}", 0)).tensors()).isEmpty();
        assertThat(parse(safetensors(" \n{ \"a\" : { \"shape\" : [ ] , \"dtype\" : \"I8\" , \"data_offsets\" : [ 0 , 1 ] ,"
                + " \"extra\" : \"ignored\" } }  ", 1)).tensor("a").shape()).isEmpty();
    }

    @Test
    void malformedHeadersAreRefusedWithTheReason() {
        String ok = "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]";
        List<String[]> cases = List.of(
                new String[] {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", "are outside the 8 bytes"},
                new String[] {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "needs 3 × 4 = 12 bytes"},
                new String[] {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "cover 4 bytes of data"},
                new String[] {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "gap"},
                new String[] {"{\"a\":{" + ok + "},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "overlaps"},
                new String[] {"{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[8],\"data_offsets\":[0,8]}}", "dtype F8_E4M3 is not supported"},
                new String[] {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "must not be negative"},
                new String[] {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", "floating-point"},
                new String[] {"{\"a\":{\"dtype\":\"F32\",\"shape\":[true],\"data_offsets\":[0,8]}}", "expected an object, array, string or integer"},
                new String[] {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", "must be [begin, end]"},
                new String[] {"{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "\"dtype\" must be a string"},
                new String[] {"{\"a\":{" + ok + "},\"a\":{" + ok + "}}", "duplicate key \"a\""},
                new String[] {"{\"__metadata__\":{\"k\":1},\"a\":{" + ok + "}}", "must be a string"},
                new String[] {"[1,2]", "must be a JSON object"},
                new String[] {"{\"a\":{" + ok + "}", "expected ',' or '}'"},
                new String[] {"{\"a\":{" + ok + "}} x", "after the JSON value"},
                new String[] {"{\"a\\x\":{" + ok + "}}", "invalid escape"},
                new String[] {"{\"a\\ud800\":{" + ok + "}}", "lone high surrogate"},
                new String[] {"{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", "does not fit in 64 bits"},
                new String[] {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", "too large"},
                new String[] {"{\"a\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,8]}}", "more elements than a Java array"},
                new String[] {"{\"a\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,8]}}", "leading zero"},
                new String[] {"[[[[[[[[[[1]]]]]]]]]]", "nested deeper"});
        for (String[] c : cases) {
            assertThatThrownBy(() -> parse(safetensors(c[0], 8)))
                    .as(c[0]).isInstanceOf(IOException.class)
                    .hasMessageContaining("test.safetensors")
                    .hasMessageContaining(c[1]);
        }
    }

    @Test
    void invalidUtf8HeaderIsRefused() {
        byte[] header = {'{', '"', (byte) 0xC3, '"', ':', '{', '}', '}'};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] length = new byte[8];
        ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
        out.writeBytes(length);
        out.writeBytes(header);
        assertThatThrownBy(() -> parse(out.toByteArray())).hasMessageContaining("not valid UTF-8");
    }

    @Test
    void tooShortFileIsRefused() {
        assertThatThrownBy(() -> parse(new byte[5])).isInstanceOf(IOException.class)
                .hasMessageContaining("expected at least 8 bytes");
    }

    @Test
    void writingATensorCalledMetadataIsAnArgumentError() {
        assertThatThrownBy(() -> SafeTensors.write(dir.resolve("x.safetensors"), Map.of("__metadata__", Tensor.zeros(1))))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
