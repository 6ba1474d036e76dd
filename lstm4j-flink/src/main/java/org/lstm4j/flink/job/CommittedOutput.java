package org.lstm4j.flink.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads what a {@code FileSink} has committed under a directory: its finished part files, never
 * the hidden in-progress or pending ones ({@code .part-...}), which a failure may still discard.
 */
public final class CommittedOutput {
    private CommittedOutput() {
    }

    /** Every line of every committed part file under {@code dir} (none if it does not exist). */
    public static List<String> lines(Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return lines;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                if (!file.getFileName().toString().startsWith(".")) {
                    lines.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
                }
            }
        }
        return lines;
    }
}
