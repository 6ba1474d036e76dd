package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.lstm4j.io.IoFixtures.assertSameTensors;
import static org.lstm4j.io.IoFixtures.assertSameValues;
import static org.lstm4j.io.IoFixtures.resource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lstm4j.tensor.Tensor;

class NpyTest {
    @TempDir
    Path dir;

    /** Each fixture against numpy's own astype(float32) of the same array, saved C-order as '<f4'. */
    @ParameterizedTest
    @CsvSource({
        "f4, float32", "f8, float64", "i4, int32", "i8, int64", "f2, float16", "i2, int16", "i1, int8",
        "u1, uint8", "b1, bool", "big_endian_f8, float64", "big_endian_i4, int32", "fortran_f4, float32",
        "scalar_f4, float32", "empty_f4, float32"})
    void readsWhatNumpyWrote(String name, String dtype) throws IOException {
        Tensor expected = Npy.read(resource("npy/" + name + ".expected.npy"));
        assertSameValues(expected, Npy.read(resource("npy/" + name + ".npy")), name);
        StateDictFile viaFacade = StateDicts.read(resource("npy/" + name + ".npy"));
        assertThat(viaFacade.format()).isEqualTo(FileFormat.NPY);
        assertThat(viaFacade.dtypes()).containsExactly(Map.entry(name, dtype));
    }

    @Test
    void fortranOrderIsTransposedIntoCOrder() throws IOException {
        Tensor t = Npy.read(resource("npy/fortran_f4.npy"));
        assertThat(t.shape()).containsExactly(3, 4, 2);
        assertThat(Files.readString(resource("npy/fortran_f4.npy"), StandardCharsets.ISO_8859_1))
                .contains("'fortran_order': True");
    }

    @Test
    void everyHalfBitPatternConvertsExactlyAsNumpyDoes() throws IOException {
        Tensor half = Npy.read(resource("npy/f2_all.npy"));
        Tensor expected = Npy.read(resource("npy/f2_all.expected.npy"));
        float[] h = half.data();
        float[] e = expected.data();
        assertThat(h).hasSize(65536);
        for (int i = 0; i < h.length; i++) {
            // Raw bits, NaN payloads included.
            assertThat(Float.floatToRawIntBits(h[i])).as("half 0x%04x", i).isEqualTo(Float.floatToRawIntBits(e[i]));
        }
    }

    @Test
    void npzStoredAndDeflatedHoldTheSameArraysAsTheNpyFiles() throws IOException {
        List<String> names = List.of("f4", "f8", "i4", "i8", "fortran_f4", "empty_f4");
        Map<String, Tensor> expected = new LinkedHashMap<>();
        for (String name : names) {
            expected.put(name, Npy.read(resource("npy/" + name + ".expected.npy")));
        }
        for (String file : List.of("npy/arrays.npz", "npy/arrays_compressed.npz")) {
            StateDictFile npz = Npy.readNpz(resource(file));
            assertThat(npz.format()).isEqualTo(FileFormat.NPZ);
            assertSameTensors(expected, npz.tensors());
            assertThat(npz.dtypes()).containsEntry("f8", "float64").containsEntry("i8", "int64");
            assertThat(StateDicts.detect(resource(file))).isEqualTo(FileFormat.NPZ);
        }
    }

    @Test
    void writtenHeadersAreByteIdenticalToNumpys() throws IOException {
        for (String name : List.of("f4", "scalar_f4", "empty_f4")) {
            Path file = dir.resolve(name + ".npy");
            Npy.write(file, Npy.read(resource("npy/" + name + ".npy")));
            assertThat(Files.readAllBytes(file)).as(name).isEqualTo(Files.readAllBytes(resource("npy/" + name + ".npy")));
        }
        Path longs = dir.resolve("i8.npy");
        Npy.write(longs, new long[] {0, -1, 1L << 40, 7});
        assertThat(Files.readAllBytes(longs)).isEqualTo(Files.readAllBytes(resource("npy/i8.npy")));
    }

    @Test
    void roundTripsAreBitExactAndDataIs64ByteAligned() throws IOException {
        List<Tensor> tensors = List.of(Tensor.randn(3, 5), Tensor.scalar(-0f), Tensor.zeros(0),
                Tensor.randn(4, 2, 3, 4), Tensor.of(new float[] {Float.NaN, Float.intBitsToFloat(0x7F80_0001)}, 2));
        for (Tensor t : tensors) {
            Path file = dir.resolve("t.npy");
            Npy.write(file, t);
            Tensor back = Npy.read(file);
            assertThat(back.shape()).isEqualTo(t.shape());
            for (int i = 0; i < t.numel(); i++) {
                assertThat(Float.floatToRawIntBits(back.data()[i])).isEqualTo(Float.floatToRawIntBits(t.data()[i]));
            }
            long dataStart = Files.size(file) - 4L * t.numel();
            assertThat(dataStart % 64).isZero();
        }
    }

    @Test
    void longsKeepTheirShapeAndReadBackAsFloats() throws IOException {
        Path file = dir.resolve("lengths.npy");
        Npy.write(file, new long[] {5, 3, 2, 2, 1, 0}, 2, 3);
        StateDictFile read = StateDicts.read(file);
        assertThat(read.dtypes()).containsEntry("lengths", "int64");
        assertThat(read.tensor("lengths")).isEqualTo(Tensor.of(new float[] {5, 3, 2, 2, 1, 0}, 2, 3));
        assertThatThrownBy(() -> Npy.write(file, new long[] {1, 2, 3}, 2, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 4 values, got 3");
    }

    @Test
    void npzRoundTripKeepsNamesAndOrder() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("lstm.weight_ih_l0", Tensor.randn(3, 8, 2));
        tensors.put("b", Tensor.scalar(1));
        tensors.put("a", Tensor.zeros(0, 4));
        Path file = dir.resolve("x.npz");
        Npy.writeNpz(file, tensors);
        assertSameTensors(tensors, Npy.readNpz(file).tensors());
        byte[] first = Files.readAllBytes(file);
        Npy.writeNpz(file, tensors);
        assertThat(Files.readAllBytes(file)).as("same tensors, same bytes").isEqualTo(first);
    }

    @Test
    void refusedDtypesSayWhatTheyAre() {
        assertThatThrownBy(() -> Npy.read(resource("npy/complex_c8.npy")))
                .isInstanceOf(IOException.class).hasMessageContaining("'<c8' is complex");
        assertThatThrownBy(() -> Npy.read(resource("npy/structured.npy")))
                .isInstanceOf(IOException.class).hasMessageContaining("structured dtypes");
        assertThatThrownBy(() -> Npy.read(resource("npy/object.npy")))
                .isInstanceOf(IOException.class).hasMessageContaining("object array (pickled Python objects");
    }

    static byte[] npy(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length).put(h);
        return b.array();
    }

    static Tensor parse(byte[] bytes) throws IOException {
        return ByteSource.guard(ByteSource.of(bytes, "test.npy"), Npy::parse).tensor();
    }

    @Test
    void headerVariantsNumpyAccepts() throws IOException {
        assertThat(parse(npy("{\"descr\": \"<f4\", \"shape\": (2,), \"fortran_order\": False}\n", 8)).shape())
                .containsExactly(2);
        assertThat(parse(npy("{'descr':'<f4','fortran_order':False,'shape':(2, 3,),}", 24)).shape())
                .containsExactly(2, 3);
        assertThat(parse(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 1L), }", 8)).shape())
                .containsExactly(2, 1);
        assertThat(parse(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", 3)).shape())
                .containsExactly(3);
    }

    @Test
    void malformedHeadersAreRefusedWithoutEvaluatingAnything() {
        String[][] cases = {
            {"{'descr': '<f4', 'shape': (2,), }", "must have 'descr', 'fortran_order' and 'shape'"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", "unexpected key 'x'"},
            {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", "duplicate key"},
            {"{'descr': __import__('os').system('x'), 'fortran_order': False, 'shape': (2,)}", "expected a quoted string"},
            {"{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2,)}", "escapes are not allowed"},
            {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", "expected True or False"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", "one-element shape must be written (n,)"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", "non-negative integer"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", "too large"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536)}", "more elements than a Java array"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", "unexpected text"},
            {"{'descr': '|f4', 'fortran_order': False, 'shape': (2,)}", "only valid for one-byte types"},
            {"{'descr': '<u4', 'fortran_order': False, 'shape': (2,)}", "not supported"},
            {"{'descr': 'f4', 'fortran_order': False, 'shape': (2,)}", "not a simple numeric dtype"},
        };
        for (String[] c : cases) {
            assertThatThrownBy(() -> parse(npy(c[0], 8))).as(c[0])
                    .isInstanceOf(IOException.class).hasMessageContaining("test.npy").hasMessageContaining(c[1]);
        }
    }

    @Test
    void dataMustBeExactlyNumelTimesItemSize() {
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        assertThatThrownBy(() -> parse(npy(header, 23))).hasMessageContaining("needs 24 bytes, the file has 23");
        assertThatThrownBy(() -> parse(npy(header, 25))).hasMessageContaining("1 unexpected bytes after");
        byte[] badVersion = npy(header, 24);
        badVersion[6] = 4;
        assertThatThrownBy(() -> parse(badVersion)).hasMessageContaining("version 4.0 is not supported");
        byte[] hugeHeader = npy(header, 24);
        hugeHeader[8] = (byte) 0xFF;
        hugeHeader[9] = (byte) 0xFF;
        assertThatThrownBy(() -> parse(hugeHeader)).hasMessageContaining("npy header needs 65535 bytes");
    }

    @Test
    void npyWithOnlyOneArrayAllowedWhenWritingThroughTheFacade() {
        Map<String, Tensor> two = Map.of("a", Tensor.zeros(1), "b", Tensor.zeros(1));
        assertThatThrownBy(() -> StateDicts.write(dir.resolve("x.npy"), two))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 2 tensors");
    }

    @Test
    void headerHelperMatchesNumpyForOneDimensionalShapes() {
        String header = new String(Npy.header("<f4", new int[] {5}), StandardCharsets.ISO_8859_1);
        assertThat(header).contains("'shape': (5,), }");
        assertThat(header.length() % 64).isZero();
        assertThat(header).endsWith("\n");
    }
}
