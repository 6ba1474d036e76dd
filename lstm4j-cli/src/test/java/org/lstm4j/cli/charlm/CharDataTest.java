package org.lstm4j.cli.charlm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CharDataTest {

    @Test
    void vocabularyIsSortedDistinctCharactersAndRoundTripsThroughJson(@TempDir Path dir) throws IOException {
        CharVocab vocab = CharVocab.of("hello, world\n\"é\"");
        assertThat(vocab.size()).isEqualTo(12);
        assertThat(vocab.decode(0)).isEqualTo("\n");
        assertThat(vocab.decode(vocab.size() - 1)).isEqualTo("é");
        int[] tokens = vocab.encode("hello");
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) {
            sb.append(vocab.decode(t));
        }
        assertThat(sb).hasToString("hello");
        Path file = dir.resolve("vocab.json");
        vocab.write(file);
        CharVocab back = CharVocab.read(file);
        assertThat(back.encode("hello, world\n\"é\"")).isEqualTo(vocab.encode("hello, world\n\"é\""));
        assertThatThrownBy(() -> vocab.encode("z")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not in the vocabulary");
    }

    @Test
    void corruptVocabFilesAreIoErrors(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("vocab.json");
        for (String bad : List.of("{", "{\"chars\": []}", "{\"chars\": [\"ab\"]}", "{\"chars\": [\"a\", \"a\"]}", "[]")) {
            Files.writeString(file, bad);
            assertThatThrownBy(() -> CharVocab.read(file)).as(bad).isInstanceOf(IOException.class)
                    .hasMessageContaining(file.toString());
        }
    }

    @Test
    void targetsAreInputsShiftedByOne() {
        int[] tokens = new int[100];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i;
        }
        CharBatches batches = new CharBatches(tokens, 4, 10);
        CharBatches.Batch b = batches.sample(new SplittableRandom(1));
        for (int i = 0; i < 4 * 10; i++) {
            assertThat(b.targets()[i]).isEqualTo(b.inputs()[i] + 1);
        }
        CharBatches.Batch first = batches.sequential(0);
        assertThat(first.inputs()[0]).isZero();
        assertThat(first.inputs()[10]).isEqualTo(10);
        assertThatThrownBy(() -> new CharBatches(new int[5], 1, 5)).hasMessageContaining("too short");
    }

    @Test
    void lossChartIsWrittenAsPng(@TempDir Path dir) throws IOException {
        Path png = dir.resolve("loss.png");
        LossChart.write(png, "test", List.of(new LossChart.Point(1, 4.0), new LossChart.Point(2, 3.0)),
                List.of(new LossChart.Point(2, 3.5)));
        byte[] bytes = Files.readAllBytes(png);
        assertThat(bytes).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    }
}
