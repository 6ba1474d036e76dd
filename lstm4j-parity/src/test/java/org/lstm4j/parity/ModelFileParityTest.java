package org.lstm4j.parity;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.lstm4j.io.Npy;
import org.lstm4j.io.SafeTensors;
import org.lstm4j.io.StateDicts;
import org.lstm4j.nn.LSTM;
import org.lstm4j.tensor.Tensor;

/**
 * Model files across implementations: what lstm4j writes, DJL's own safetensors / npz decoder
 * reads and libtorch runs to the same outputs; what DJL writes, lstm4j reads bit for bit.
 */
class ModelFileParityTest {

    @RegisterExtension
    static final LibTorch torch = new LibTorch(); // opened here, closed after all tests of this class

    private static LSTM model() {
        return LSTM.builder(6, 8).numLayers(2).bidirectional(true).projSize(5).seed(21).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"model.safetensors", "model.npz"})
    void filesWrittenByLstm4jRunInLibtorchToTheSameOutputs(String fileName, @TempDir Path dir) throws IOException {
        LSTM lstm = model();
        Path file = dir.resolve(fileName);
        if (fileName.endsWith(".npz")) {
            Npy.writeNpz(file, lstm.stateDict());
        } else {
            SafeTensors.write(file, lstm.stateDict());
        }
        Map<String, Tensor> decoded = new LinkedHashMap<>();
        try (NDManager m = torch.manager().newSubManager(); InputStream in = Files.newInputStream(file)) {
            for (NDArray a : NDList.decode(m, in)) {
                decoded.put(a.getName(), LibTorch.toTensor(a));
            }
        }
        assertThat(decoded.keySet()).containsExactlyInAnyOrderElementsOf(lstm.stateDict().keySet());
        Tensor x = Tensor.randn(1, 9, 3, 6);
        LSTM.Output expected = torch.lstm(lstm.config(), decoded, x, null, null, false);
        lstm.eval();
        LSTM.Output actual = lstm.forward(x);
        float diff = Math.max(actual.output().maxAbsDiff(expected.output()),
                Math.max(actual.hN().maxAbsDiff(expected.hN()), actual.cN().maxAbsDiff(expected.cN())));
        System.out.printf("%s read by DJL, run in libtorch: maxdiff %.3e%n", fileName, diff);
        assertThat(diff).isLessThanOrEqualTo(1e-5f);
    }

    @ParameterizedTest
    @ValueSource(strings = {"SAFETENSORS", "NPZ"})
    void filesWrittenByDjlAreReadBitForBit(String encoding, @TempDir Path dir) throws IOException {
        LSTM lstm = model();
        Path file = dir.resolve("djl." + encoding.toLowerCase());
        try (NDManager m = torch.manager().newSubManager(); OutputStream out = Files.newOutputStream(file)) {
            NDList list = new NDList();
            lstm.stateDict().forEach((name, t) -> {
                NDArray a = LibTorch.toNd(m, t);
                a.setName(name);
                list.add(a);
            });
            list.encode(out, NDList.Encoding.valueOf(encoding));
        }
        Map<String, Tensor> read = StateDicts.read(file).tensors();
        assertThat(read.keySet()).containsExactlyInAnyOrderElementsOf(lstm.stateDict().keySet());
        lstm.stateDict().forEach((name, t) -> assertThat(read.get(name)).as(name).isEqualTo(t));
        assertThat(LSTM.fromStateDict(read).config()).isEqualTo(lstm.config());
    }
}
