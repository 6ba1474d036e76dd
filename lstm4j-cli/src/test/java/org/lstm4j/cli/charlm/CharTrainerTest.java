package org.lstm4j.cli.charlm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lstm4j.io.StateDicts;
import org.lstm4j.tensor.Tensor;

/** The demo pipeline on a slice of the bundled corpus: loss falls, files appear, resume is exact. */
class CharTrainerTest {

    private static String corpusSlice() throws IOException {
        try (var in = CharTrainerTest.class.getResourceAsStream("/org/lstm4j/cli/data/tinyshakespeare.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).substring(0, 20_000);
        }
    }

    private static CharTrainer.Options options(String text, int steps, Path out) {
        return new CharTrainer.Options(text, "slice", 16, 48, 2, 32, 16, 1e-2, steps, 0, 20, 2, 1.0, 7, out);
    }

    @Test
    void lossFallsAndTheRunIsSaved(@TempDir Path dir) throws IOException {
        CharTrainer trainer = CharTrainer.start(options(corpusSlice(), 60, dir));
        double before = trainer.validationLoss();
        StringWriter log = new StringWriter();
        CharTrainer.Result result = trainer.run(new PrintWriter(log), false);
        System.out.print(log);
        assertThat(result.steps()).isEqualTo(60);
        assertThat(before).isGreaterThan(Math.log(trainer.vocab().size()) - 0.5);
        assertThat(result.validationLoss()).isLessThan(before - 0.7);
        for (String file : new String[] {"model.safetensors", "vocab.json", "loss.png", "optimizer.safetensors",
            "train_state.json"}) {
            assertThat(dir.resolve(file)).isRegularFile();
        }
        assertThat(log.toString()).contains("step 20: validation loss", "step 60: train loss");
        CharModel loaded = CharModel.load(dir.resolve("model.safetensors"));
        assertThat(loaded.stateDict()).isEqualTo(trainer.model().stateDict());
        assertThat(StateDicts.read(dir.resolve("model.safetensors")).tensors().keySet())
                .startsWith("embedding.weight", "lstm.weight_ih_l0").endsWith("fc.weight", "fc.bias");

        trainer.model().eval();
        StringBuilder streamed = new StringBuilder();
        String text = CharSampler.generate(trainer.model(), trainer.vocab(), "ROMEO:", 40, 0.8, 3, streamed::append);
        assertThat(text).hasSize(40).isEqualTo(streamed.toString());
        assertThat(CharSampler.generate(trainer.model(), trainer.vocab(), "ROMEO:", 40, 0.8, 3, c -> { }))
                .isEqualTo(text);
    }

    @Test
    void resumingContinuesExactlyWhereTheRunStopped(@TempDir Path dir) throws IOException {
        String text = corpusSlice();
        CharTrainer straight = CharTrainer.start(options(text, 12, dir.resolve("straight")));
        straight.run(new PrintWriter(new StringWriter()), false);

        CharTrainer first = CharTrainer.start(options(text, 5, dir.resolve("part")));
        first.run(new PrintWriter(new StringWriter()), false);
        CharTrainer resumed = CharTrainer.resume(dir.resolve("part"), text, options(text, 12, dir.resolve("part")));
        resumed.run(new PrintWriter(new StringWriter()), false);

        for (var e : straight.model().stateDict().entrySet()) {
            Tensor other = resumed.model().stateDict().get(e.getKey());
            assertThat(other).as(e.getKey()).isEqualTo(e.getValue());
        }
        assertThat(Files.readString(dir.resolve("part").resolve("train_state.json"))).contains("\"step\": 12");
    }
}
