package org.lstm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.lstm4j.cli.charlm.CharSampler;
import org.lstm4j.cli.charlm.CharTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lstm4j demo}: train a character-level LSTM on tiny Shakespeare, then let it write. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train a character-level LSTM on the bundled tiny Shakespeare corpus (about 2 minutes on"
                + " 2 cores), print a 400-character sample and save the model, vocabulary and loss curve.",
        footer = {"", "Example:", "  bin/lstm4j demo", "  bin/lstm4j demo --minutes 30 --out runs/long"})
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--out", defaultValue = "runs/demo", paramLabel = "DIR", description = "output directory (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--sample-length", defaultValue = "400", description = "characters to write at the end (default ${DEFAULT-VALUE})")
    int sampleLength;

    @Mixin
    TrainingOptions training;

    @Override
    public Integer call() throws Exception {
        if (training.steps == 0 && training.minutes == 0) {
            training.minutes = DEFAULT_MINUTES;
        }
        CharTrainer trainer = CharTrainer.start(training.toOptions(TrainingOptions.bundledCorpus(),
                "tiny Shakespeare", out));
        PrintWriter w = spec.commandLine().getOut();
        CharTrainer.Result result = trainer.run(w, System.console() != null);
        trainer.model().eval();
        w.println();
        w.println("--- sample (temperature 0.8) ---");
        w.print("ROMEO:");
        CharSampler.generate(trainer.model(), trainer.vocab(), "ROMEO:", sampleLength, 0.8, 0, c -> {
            w.print(c);
            w.flush();
        });
        w.println();
        w.println("---");
        w.printf("validation loss %.4f nats/char after %d steps%n", result.validationLoss(), result.steps());
        w.printf("saved %s, %s, %s%n", out.resolve("model.safetensors"), out.resolve("vocab.json"), out.resolve("loss.png"));
        w.printf("more text: bin/lstm4j generate --model %s --prime \"JULIET:\" --length 500%n", out);
        return 0;
    }

    /** Default time budget, chosen for "about 2 minutes" including validation and saving. */
    static final double DEFAULT_MINUTES = 1.75;
}
