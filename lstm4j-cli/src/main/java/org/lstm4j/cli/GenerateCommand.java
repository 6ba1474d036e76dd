package org.lstm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.lstm4j.cli.charlm.CharModel;
import org.lstm4j.cli.charlm.CharSampler;
import org.lstm4j.cli.charlm.CharVocab;
import org.lstm4j.tensor.Precision;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code lstm4j generate}: text from a trained character model, streamed as it is sampled. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Sample text from a model trained by 'train' or 'demo' (DIR/model.safetensors + DIR/vocab.json),"
                + " one character at a time, carrying the LSTM state.",
        footer = {"", "Examples:", "  bin/lstm4j generate --model runs/demo --prime \"ROMEO:\" --length 500 --temperature 0.8",
            "  bin/lstm4j generate --model runs/demo --weight-precision int8"})
final class GenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "directory with model.safetensors and vocab.json")
    Path model;

    @Option(names = "--prime", defaultValue = "ROMEO:", description = "text to start from (default ${DEFAULT-VALUE})")
    String prime;

    @Option(names = "--length", defaultValue = "500", description = "characters to generate (default ${DEFAULT-VALUE})")
    int length;

    @Option(names = "--temperature", defaultValue = "0.8", description = "sampling temperature > 0: lower is safer, near 0 always the most likely character"
                    + " (default ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default ${DEFAULT-VALUE})")
    long seed;

    @Mixin
    WeightPrecisionOption weightPrecision;

    @Override
    public Integer call() throws Exception {
        if (!(temperature > 0)) {
            throw new ParameterException(spec.commandLine(), "--temperature must be greater than 0 (e.g. 0.01 for the"
                    + " most likely character each time), got " + temperature);
        }
        if (length < 0) {
            throw new ParameterException(spec.commandLine(), "--length must be 0 or more, got " + length);
        }
        CharModel loaded = CharModel.load(model.resolve("model.safetensors"));
        CharModel charModel = weightPrecision.precision == Precision.FP32 ? loaded
                : loaded.withWeightPrecision(weightPrecision.precision);
        CharVocab vocab = CharVocab.read(model.resolve("vocab.json"));
        if (vocab.size() != charModel.config().vocab()) {
            throw new IllegalArgumentException("vocab.json has " + vocab.size() + " characters but the model's embedding has "
                    + charModel.config().vocab() + " rows");
        }
        charModel.eval();
        PrintWriter w = spec.commandLine().getOut();
        w.print(prime);
        CharSampler.generate(charModel, vocab, prime, length, temperature, seed, c -> {
            w.print(c);
            w.flush();
        });
        w.println();
        return 0;
    }
}
