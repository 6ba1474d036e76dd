package org.lstm4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.lstm4j.cli.charlm.CharTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lstm4j train}: a character-level LSTM language model on your text. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a character-level LSTM (Embedding -> LSTM -> Linear) on a text file. Writes"
                + " DIR/model.safetensors, vocab.json, loss.png, and optimizer.safetensors + train_state.json for --resume.",
        footer = {"", "Examples:", "  bin/lstm4j train --text input.txt --minutes 30 --out runs/mine",
            "  bin/lstm4j train --text input.txt --resume runs/mine --steps 5000 --out runs/mine"})
final class TrainCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--text", required = true, paramLabel = "FILE", description = "UTF-8 training text")
    Path text;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output directory")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR",
            description = "continue the run saved in DIR (model, optimizer state, step); --steps is then the total")
    Path resume;

    @Mixin
    TrainingOptions training;

    @Override
    public Integer call() throws Exception {
        String corpus = TrainingOptions.readText(text);
        CharTrainer.Options options = training.toOptions(corpus, text.getFileName().toString(), out);
        CharTrainer trainer = resume == null ? CharTrainer.start(options) : CharTrainer.resume(resume, corpus, options);
        CharTrainer.Result result = trainer.run(spec.commandLine().getOut(), System.console() != null);
        spec.commandLine().getOut().printf("saved %s/{model.safetensors, vocab.json, loss.png} after %d steps%n",
                out, result.steps());
        return 0;
    }
}
