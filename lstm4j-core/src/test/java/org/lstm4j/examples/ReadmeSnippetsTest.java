package org.lstm4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps README's Java snippets and the compiled examples in the tests identical: every block
 * between {@code // README:name:begin} and {@code // README:name:end} must appear in README.md
 * (indentation removed).
 */
class ReadmeSnippetsTest {

    private static final Pattern BLOCK = Pattern.compile(
            "// README:([\\w-]+):begin\\n(.*?)\\n\\s*// README:\\1:end", Pattern.DOTALL);

    @Test
    void everyExampleBlockAppearsInReadme() throws IOException {
        Path readme = Path.of("..", "README.md");
        String text = Files.readString(readme);
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("src", "test", "java"))) {
            for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = BLOCK.matcher(Files.readString(file));
                while (m.find()) {
                    names.add(m.group(1));
                    assertThat(text).as("README snippet '%s' from %s", m.group(1), file).contains(dedent(m.group(2)));
                }
            }
        }
        // The runnable copy of the quick start must say the same, whatever its indentation.
        String quickStartFile = Files.readString(Path.of("..", "docs", "examples", "QuickStart.java"));
        assertThat(stripLines(quickStartFile)).contains(stripLines(quickStart(Path.of("src", "test", "java"))));
        assertThat(names).contains("quickstart", "packed", "serve", "train-model", "train-loop", "streaming", "onnx",
                "onnx-reverse", "gru-rnn", "precision");
    }

    private static String quickStart(Path root) throws IOException {
        Path file = root.resolve(Path.of("org", "lstm4j", "examples", "ReadmeQuickStartTest.java"));
        Matcher m = BLOCK.matcher(Files.readString(file));
        while (m.find()) {
            if (m.group(1).equals("quickstart")) {
                return m.group(2);
            }
        }
        throw new AssertionError("no quickstart block in " + file);
    }

    private static String stripLines(String text) {
        StringBuilder sb = new StringBuilder();
        text.lines().forEach(l -> sb.append(l.strip()).append('\n'));
        return sb.toString();
    }

    private static String dedent(String block) {
        List<String> lines = block.lines().toList();
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        StringBuilder sb = new StringBuilder();
        for (String line : lines) {
            sb.append(line.length() >= indent ? line.substring(indent) : line.strip()).append('\n');
        }
        return sb.toString().stripTrailing();
    }
}
