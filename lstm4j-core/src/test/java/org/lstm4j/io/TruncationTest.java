package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lstm4j.tensor.Tensor;

/** Every proper prefix of a small valid file is an IOException: never a wrong result, never another exception. */
class TruncationTest {
    @TempDir
    static Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"torch/lstm_tiny.pt", "torch/lstm_tiny_protocol4.pt", "torch/views.pt",
        "safetensors/lstm_tiny.safetensors", "npy/f4.npy", "npy/fortran_f4.npy", "npy/arrays.npz",
        "npy/arrays_compressed.npz", "torch/legacy.pt", "models/whole_lstm_f16.pt", "written.safetensors",
        "written.npz", "onnx/torch/lstm_1layer_opset9.onnx", "onnx/torch/gru_2layer_opset13.onnx"})
    void everyPrefixIsAnIOException(String name) throws IOException {
        byte[] full = Files.readAllBytes(file(name));
        assertThat(read(full).tensors()).isNotEmpty();
        for (int length = 0; length < full.length; length++) {
            byte[] prefix = Arrays.copyOf(full, length);
            assertThatThrownBy(() -> read(prefix)).as("%s cut to %d of %d bytes", name, length, full.length)
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("prefix.bin");
        }
    }

    static StateDictFile read(byte[] bytes) throws IOException {
        return ByteSource.guard(ByteSource.of(bytes, "prefix.bin"), src -> StateDicts.read(src, "x"));
    }

    static Path file(String name) throws IOException {
        if (!name.startsWith("written")) {
            return IoFixtures.resource(name);
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a", Tensor.randn(1, 3, 2));
        tensors.put("b", Tensor.randn(2, 4));
        Path file = dir.resolve(name);
        StateDicts.write(file, tensors);
        return file;
    }
}
