package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.lstm4j.io.IoFixtures.assertSameTensors;
import static org.lstm4j.io.IoFixtures.resource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.lstm4j.tensor.Tensor;

class StateDictsTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({
        "torch/lstm_tiny.pt, TORCH_ZIP", "checkpoints/wind_glstm_3stack.pth, TORCH_ZIP",
        "safetensors/dtypes.safetensors, SAFETENSORS", "npy/f4.npy, NPY", "npy/arrays.npz, NPZ",
        "npy/arrays_compressed.npz, NPZ"})
    void detectsTheFormatFromContent(String file, FileFormat format) throws IOException {
        assertThat(StateDicts.detect(resource(file))).isEqualTo(format);
        // The extension plays no part.
        Path renamed = dir.resolve("renamed.bin");
        Files.copy(resource(file), renamed);
        assertThat(StateDicts.detect(renamed)).isEqualTo(format);
        assertThat(StateDicts.read(renamed).format()).isEqualTo(format);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x.safetensors", "x.npz", "X.NPZ"})
    void writesByExtensionAndReadsBack(String name) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("lstm.weight_ih_l0", Tensor.randn(3, 8, 2));
        tensors.put("lstm.bias_ih_l0", Tensor.randn(4, 8));
        Path file = dir.resolve(name);
        StateDicts.write(file, tensors);
        assertSameTensors(tensors, StateDicts.read(file).tensors());
    }

    @Test
    void npyHoldsOneTensorNamedAfterTheFile() throws IOException {
        Path file = dir.resolve("weights.npy");
        StateDicts.write(file, Map.of("anything", Tensor.randn(5, 2, 2)));
        assertThat(StateDicts.read(file).tensors()).containsOnlyKeys("weights");
    }

    @Test
    void unsupportedOutputExtensionsAreArgumentErrors() {
        Map<String, Tensor> one = Map.of("a", Tensor.zeros(1));
        assertThatThrownBy(() -> StateDicts.write(dir.resolve("x.pt"), one))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("safetensors.torch.load_file");
        assertThatThrownBy(() -> StateDicts.write(dir.resolve("x.txt"), one))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(".safetensors, .npz or .npy");
        assertThatThrownBy(() -> StateDicts.write(null, one)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> StateDicts.read(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void unknownContentSaysWhatWasExpectedAndShowsTheFirstBytes() throws IOException {
        Path text = dir.resolve("notes.pt");
        Files.writeString(text, "hello world, not a tensor file");
        assertThatThrownBy(() -> StateDicts.read(text)).isInstanceOf(IOException.class)
                .hasMessage(text + ": unrecognised file format: expected a torch.save or torch.jit.save file, safetensors, .npy,"
                        + " .npz or .onnx; "
                        + "first bytes 68 65 6c 6c 6f 20 77 6f");
        Path pickle = dir.resolve("plain.pkl");
        Files.write(pickle, new byte[] {(byte) 0x80, 4, (byte) 0x95, 0, 0, 0, 0, 0, 0, 0, 0, '.'});
        assertThatThrownBy(() -> StateDicts.read(pickle)).hasMessageContaining("looks like a plain pickle");
        Path empty = dir.resolve("empty.safetensors");
        Files.write(empty, new byte[0]);
        assertThatThrownBy(() -> StateDicts.read(empty)).isInstanceOf(IOException.class)
                .hasMessageContaining("unrecognised file format");
        assertThatThrownBy(() -> StateDicts.read(dir.resolve("missing.pt"))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void aZipThatIsNeitherTorchNorNpzIsNamedAsSuch() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("readme.txt"));
            zip.write("hi".getBytes());
            zip.closeEntry();
        }
        Path file = dir.resolve("x.zip");
        Files.write(file, bytes.toByteArray());
        assertThatThrownBy(() -> StateDicts.read(file)).isInstanceOf(IOException.class)
                .hasMessageContaining("neither a torch.save archive").hasMessageContaining("nor an npz");
    }

    @Test
    void anEmptyNpzIsAnEmptyStateDict() throws IOException {
        Path file = dir.resolve("empty.npz");
        Npy.writeNpz(file, Map.of());
        StateDictFile read = StateDicts.read(file);
        assertThat(read.format()).isEqualTo(FileFormat.NPZ);
        assertThat(read.tensors()).isEmpty();
    }

    @Test
    void missingTensorNamesListWhatIsThere() throws IOException {
        StateDictFile sd = StateDicts.read(resource("torch/lstm_tiny.pt"));
        assertThatThrownBy(() -> sd.tensor("weight_ih_l1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no tensor named 'weight_ih_l1'; the file has weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0");
    }
}
