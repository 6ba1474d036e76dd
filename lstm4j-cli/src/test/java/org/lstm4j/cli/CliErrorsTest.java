package org.lstm4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Usage errors are one line with the fix and a --help hint, exit status 2; failures exit 1. */
class CliErrorsTest {

    private static void assertUsageError(CliTestSupport r, String line) {
        assertThat(r.status()).as(r.err()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo(line + System.lineSeparator());
    }

    @Test
    void unknownOptionIsNamedEvenWhenRequiredOptionsAreMissingToo() {
        assertUsageError(CliTestSupport.run("run", "--bogus"),
                "lstm4j run: unknown option '--bogus' (try bin/lstm4j run --help)");
    }

    @Test
    void unknownOptionWithACloseMatchSuggestsIt() {
        CliTestSupport r = CliTestSupport.run("shapes", "--input-size", "10", "--hiden-size", "20");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).startsWith("lstm4j shapes: unknown option '--hiden-size'; did you mean --hidden-size?")
                .endsWith(" (try bin/lstm4j shapes --help)" + System.lineSeparator());
    }

    @Test
    void unknownCommandListsTheCommands() {
        assertUsageError(CliTestSupport.run("nosuchverb"), "lstm4j: 'nosuchverb' is not a command; the commands are"
                + " demo, train, generate, inspect, run, export, shapes (try bin/lstm4j --help)");
    }

    @Test
    void streamInThisJarSaysWhereItRuns() {
        assertUsageError(CliTestSupport.run("stream", "--events", "e.csv"), "lstm4j: 'stream' runs on Flink from"
                + " lstm4j-flink's jar; start it with bin/lstm4j stream (try bin/lstm4j --help)");
    }

    @Test
    void helpNamesTheStreamCommand() {
        CliTestSupport help = CliTestSupport.run("--help");
        assertThat(help.status()).isZero();
        assertThat(help.out()).contains("bin/lstm4j stream runs a keyed LSTM job on Apache Flink");
    }

    @Test
    void wrongTypeSaysWhatTheOptionExpects() {
        assertUsageError(CliTestSupport.run("shapes", "--input-size", "ten", "--hidden-size", "20"),
                "lstm4j shapes: --input-size expects a whole number, got 'ten' (try bin/lstm4j shapes --help)");
        assertUsageError(CliTestSupport.run("generate", "--model", "m", "--temperature", "warm"),
                "lstm4j generate: --temperature expects a number, got 'warm' (try bin/lstm4j generate --help)");
    }

    @Test
    void missingRequiredOptionsAreListedWithTheirValues() {
        assertUsageError(CliTestSupport.run("run", "--weights", "m.pt"),
                "lstm4j run: missing --input=X.npy and --out=DIR (try bin/lstm4j run --help)");
        assertUsageError(CliTestSupport.run("inspect"), "lstm4j inspect: missing FILE (try bin/lstm4j inspect --help)");
    }

    @Test
    void extraArgumentIsNamed() {
        assertUsageError(CliTestSupport.run("inspect", "a.pt", "b.pt"),
                "lstm4j inspect: unexpected argument 'b.pt' (try bin/lstm4j inspect --help)");
    }

    @Test
    void commandChecksOfOptionCombinationsAreUsageErrors() {
        assertUsageError(CliTestSupport.run("run", "--weights", "m.pt", "--input", "x.npy", "--out", "d", "--c0", "c.npy"),
                "lstm4j run: --h0 and --c0 must be given together (try bin/lstm4j run --help)");
        assertUsageError(CliTestSupport.run("shapes", "--input-size", "10", "--hidden-size", "20", "--seq-len", "0"),
                "lstm4j shapes: --seq-len must be greater than zero, got 0 (try bin/lstm4j shapes --help)");
    }

    @Test
    void temperatureZeroOrBelowIsAUsageErrorBeforeAnythingIsLoaded() {
        assertUsageError(CliTestSupport.run("generate", "--model", "/nonexistent", "--temperature", "0"),
                "lstm4j generate: --temperature must be greater than 0 (e.g. 0.01 for the most likely character each"
                        + " time), got 0.0 (try bin/lstm4j generate --help)");
        assertThat(CliTestSupport.run("generate", "--model", "/nonexistent", "--temperature", "-1").status()).isEqualTo(2);
    }

    @Test
    void anUnknownWeightPrecisionNamesTheAllowedOnes() {
        assertUsageError(CliTestSupport.run("run", "--weights", "m.pt", "--input", "x.npy", "--out", "d",
                "--weight-precision", "fp16"), "lstm4j run: invalid value for option '--weight-precision': expected a"
                + " weight precision fp32, bf16 or int8, got 'fp16' (try bin/lstm4j run --help)");
        assertUsageError(CliTestSupport.run("generate", "--model", "m", "--weight-precision", "int4"),
                "lstm4j generate: invalid value for option '--weight-precision': expected a weight precision fp32,"
                        + " bf16 or int8, got 'int4' (try bin/lstm4j generate --help)");
    }

    @Test
    void missingFileIsAFailureOnOneLine() {
        CliTestSupport r = CliTestSupport.run("run", "--weights", "/nonexistent.pt", "--input", "x.npy", "--out", "d");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("lstm4j: no such file: /nonexistent.pt" + System.lineSeparator());
    }

    @Test
    void noCommandPrintsTheOverview() {
        CliTestSupport r = CliTestSupport.run();
        assertThat(r.status()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).contains("Usage: lstm4j", "Commands:", "shapes", "-v, --verbose");
    }

    @Test
    void verboseIsAcceptedBeforeAndAfterTheCommand() {
        assertThat(CliTestSupport.run("-v", "shapes", "--input-size", "2", "--hidden-size", "3").status()).isZero();
        assertThat(CliTestSupport.run("shapes", "--verbose", "--input-size", "2", "--hidden-size", "3").status()).isZero();
    }
}
