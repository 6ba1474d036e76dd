package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.tensor.Tensor;

/**
 * The three real trained checkpoints (written by torch.save), loaded by lstm4j and run: output,
 * h_n and c_n must equal what PyTorch 1.13.1 computed for the same input (fixtures written by
 * tools/fixtures/make_checkpoint_outputs.py).
 */
class PytorchCheckpointOutputsTest {

    private static Path resource(String path) {
        try {
            return Path.of(PytorchCheckpointOutputsTest.class.getResource(path).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @TestFactory
    Stream<DynamicTest> everyLstmOfEveryCheckpointMatchesPytorch() throws IOException {
        Path outputs = resource("/io/outputs");
        List<Path> cases;
        try (Stream<Path> files = Files.list(outputs)) {
            cases = files.filter(p -> p.toString().endsWith(".npz")).sorted().toList();
        }
        assertThat(cases).hasSize(5);
        return cases.stream().map(expectedFile -> DynamicTest.dynamicTest(expectedFile.getFileName().toString(), () -> {
            // <checkpoint>.<prefix>.npz, e.g. wind_glstm_3stack.pth.lstm2.npz
            String name = expectedFile.getFileName().toString();
            String stem = name.substring(0, name.length() - ".npz".length());
            String checkpoint = stem.substring(0, stem.lastIndexOf('.'));
            String prefix = stem.substring(stem.lastIndexOf('.') + 1) + ".";
            LSTM lstm = LSTM.load(resource("/io/checkpoints/" + checkpoint), prefix).withBatchFirst(true);
            lstm.eval();

            StateDictFile expected = StateDicts.read(expectedFile);
            LSTM.Output out = lstm.forward(expected.tensor("input"), expected.tensor("h0"), expected.tensor("c0"));
            float dOut = out.output().maxAbsDiff(expected.tensor("output"));
            float dH = out.hN().maxAbsDiff(expected.tensor("h_n"));
            float dC = out.cN().maxAbsDiff(expected.tensor("c_n"));
            System.out.printf("%-40s %-44s maxdiff output %.3e  h_n %.3e  c_n %.3e%n", name, lstm, dOut, dH, dC);
            assertThat(dOut).isLessThanOrEqualTo(1e-5f);
            assertThat(dH).isLessThanOrEqualTo(1e-5f);
            assertThat(dC).isLessThanOrEqualTo(1e-5f);
        }));
    }
}
