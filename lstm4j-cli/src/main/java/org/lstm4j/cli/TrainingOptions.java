package org.lstm4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.lstm4j.cli.charlm.CharTrainer;
import picocli.CommandLine.Option;

/** Options shared by {@code train} and {@code demo} (a picocli mixin). */
final class TrainingOptions {

    @Option(names = "--embed", defaultValue = "64", description = "embedding size (default ${DEFAULT-VALUE})")
    int embed;

    @Option(names = "--hidden", defaultValue = "256", description = "LSTM hidden size (default ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--layers", defaultValue = "2", description = "LSTM layers (default ${DEFAULT-VALUE})")
    int layers;

    @Option(names = "--seq-len", defaultValue = "100", description = "characters per training window (default ${DEFAULT-VALUE})")
    int seqLen;

    @Option(names = "--batch", defaultValue = "32", description = "windows per step (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--lr", defaultValue = "2e-3", description = "Adam learning rate (default ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--steps", defaultValue = "0", description = "train this many steps")
    int steps;

    @Option(names = "--minutes", defaultValue = "0", description = "or train for this many minutes")
    double minutes;

    @Option(names = "--eval-every", defaultValue = "100", description = "validation every N steps (default ${DEFAULT-VALUE})")
    int evalEvery;

    @Option(names = "--eval-batches", defaultValue = "8", description = "held-out batches per validation (default ${DEFAULT-VALUE})")
    int evalBatches;

    @Option(names = "--clip", defaultValue = "1.0", description = "gradient norm clipping (default ${DEFAULT-VALUE})")
    double clip;

    @Option(names = "--seed", defaultValue = "1", description = "seed for initial weights and batches (default ${DEFAULT-VALUE})")
    long seed;

    CharTrainer.Options toOptions(String text, String textName, Path outDir) {
        return new CharTrainer.Options(text, textName, embed, hidden, layers, seqLen, batch, lr, steps, minutes,
                evalEvery, evalBatches, clip, seed, outDir);
    }

    /** The bundled tiny Shakespeare corpus. */
    static String bundledCorpus() throws IOException {
        try (var in = TrainingOptions.class.getResourceAsStream("/org/lstm4j/cli/data/tinyshakespeare.txt")) {
            if (in == null) {
                throw new IOException("the bundled corpus is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static String readText(Path file) throws IOException {
        long size = Files.size(file);
        if (size > Integer.MAX_VALUE / 4) {
            throw new IOException(file + ": " + size + " bytes is too large for a character-level corpus here (max "
                    + Integer.MAX_VALUE / 4 + ")");
        }
        return Files.readString(file, StandardCharsets.UTF_8);
    }
}
