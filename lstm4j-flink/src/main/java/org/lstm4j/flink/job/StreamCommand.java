package org.lstm4j.flink.job;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.lstm4j.tensor.Precision;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bin/lstm4j stream}: the streaming job on an embedded Flink MiniCluster, with Flink's
 * checkpoints making each key's LSTM state exactly-once. Flink's own log goes to
 * {@code DIR/flink.log} (to the console with {@code -v}).
 */
@Command(name = "lstm4j stream", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run an LSTM (or a GRU or RNN) over an interleaved event stream on an embedded Apache Flink cluster:"
                + " one recurrent state per key in Flink's keyed state, exactly once through failures.",
            "Writes DIR/output/part-*.csv (key,seq,y0,... : the last layer's h_t) and DIR/rejected/part-*.csv"
                + " (key,seq,\"reason\"), committed at checkpoints; prints progress and a summary on stderr."},
        footer = {"", "EVENTS.csv: header key,seq,x0,...,x{I-1}; rows in arrival order, keys interleaved, seq from 0 per key.",
            "", "Examples:",
            "  bin/lstm4j stream --weights model.pt --prefix lstm. --events events.csv --out runs/stream",
            "  bin/lstm4j stream --weights model.pt --events events.csv --out runs/s2 --parallelism 2 \\",
            "      --state-backend rocksdb --checkpoint-ms 200 --fail-after-events 300",
            "  bin/lstm4j stream --weights model.pt --events events.csv --out runs/s3 --weight-precision bf16"})
public final class StreamCommand implements Callable<Integer> {
    /** lstm4j-core logs through System.Logger, java.util.logging here; held, as that keeps loggers weakly. */
    private static final Logger LSTM4J_LOG = Logger.getLogger("org.lstm4j");

    @Spec
    CommandSpec spec;

    @Option(names = "--weights", required = true, paramLabel = "FILE", description = "model file (safetensors, .pt/.pth, .npz)")
    String weights;

    @Option(names = "--prefix", paramLabel = "P", defaultValue = "", description = "the module's key prefix (default: the one recurrent module in the file)")
    String prefix;

    @Option(names = "--events", required = true, paramLabel = "EVENTS.csv", description = "the event stream")
    String events;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output directory (created)")
    String out;

    @Option(names = "--parallelism", paramLabel = "N", defaultValue = "1", description = "LSTM subtasks (default: ${DEFAULT-VALUE})")
    int parallelism;

    @Option(names = "--checkpoint-ms", paramLabel = "MS", defaultValue = "1000", description = "checkpoint interval; output is committed at checkpoints (default: ${DEFAULT-VALUE})")
    long checkpointMs;

    @Option(names = "--state-backend", paramLabel = "hashmap|rocksdb", defaultValue = "hashmap", description = "where keyed state lives (default: ${DEFAULT-VALUE})")
    String stateBackend;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "64", description = "events stepped together as one batch (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--bundle-timeout-ms", paramLabel = "MS", defaultValue = "100", description = "longest an event waits for its batch (default: ${DEFAULT-VALUE})")
    long bundleTimeoutMs;

    @Option(names = "--idle-state-ttl-ms", paramLabel = "MS", defaultValue = "0",
            description = "drop a key's state after MS of processing time without events (it starts again from zeros and forgets its last seq); 0: keep every key (default)")
    long idleStateTtlMs;

    @Option(names = "--events-per-second", paramLabel = "R", defaultValue = "0", description = "read at most R events a second, to watch a run; 0: no limit (default)")
    double eventsPerSecond;

    @Option(names = "--fail-after-events", paramLabel = "N", defaultValue = "0",
            description = "inject one failure: subtask 0 throws after stepping N events past the first completed checkpoint (the input waits for that checkpoint)")
    long failAfterEvents;

    @Option(names = "--weight-precision", paramLabel = "fp32|bf16|int8", defaultValue = "fp32",
            converter = PrecisionConverter.class,
            description = "how the recurrent weights are stored for inference: fp32 (default), bf16 or int8 (as"
                    + " bin/lstm4j run); the precision is part of the model, so a key's state from another"
                    + " precision is never continued")
    Precision weightPrecision;

    @Option(names = {"-v", "--verbose"}, description = "Flink's log on the console instead of DIR/flink.log")
    boolean verbose;

    /** picocli's conversion through {@link Precision#parse}, whose message lists the allowed values. */
    static final class PrecisionConverter implements CommandLine.ITypeConverter<Precision> {
        @Override
        public Precision convert(String value) {
            try {
                return Precision.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** Parses {@code args} into options (for {@link StreamJob#main}); bad arguments throw picocli's exceptions. */
    static StreamOptions parse(String... args) {
        StreamCommand command = new StreamCommand();
        new CommandLine(command).parseArgs(args);
        return command.options(false);
    }

    /** The options, with local paths made absolute {@code file://} URIs when {@code local}. */
    private StreamOptions options(boolean local) {
        return new StreamOptions(local ? uri(weights) : weights, prefix, local ? uri(events) : events,
                local ? uri(out) : out, parallelism, checkpointMs, stateBackend, batchSize,
                Duration.ofMillis(bundleTimeoutMs), Duration.ofMillis(idleStateTtlMs), eventsPerSecond, failAfterEvents,
                weightPrecision);
    }

    private static String uri(String path) {
        return path.contains("://") ? path : Path.of(path).toAbsolutePath().normalize().toUri().toString();
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        for (String file : new String[] {weights, events}) {
            if (!file.contains("://") && !Files.isRegularFile(Path.of(file))) {
                throw new IOException("no such file: " + file);
            }
        }
        StreamOptions options = options(true);
        Path dir = Path.of(out);
        for (String sub : new String[] {"output", "rejected"}) {
            if (!CommittedOutput.lines(dir.resolve(sub)).isEmpty()) {
                throw new IllegalArgumentException(dir.resolve(sub) + " already holds output; choose an empty --out");
            }
        }
        Files.createDirectories(dir);
        // lstm4j's own log lines (which kernels) only with -v, as with the other verbs.
        LSTM4J_LOG.setLevel(verbose ? Level.INFO : Level.OFF);
        // Before any Flink class asks for a logger.
        System.setProperty("lstm4j.stream.log", dir.resolve("flink.log").toAbsolutePath().toString());
        System.setProperty("log4j2.configurationFile", StreamCommand.class.getResource(verbose
                ? "/lstm4j-stream-log4j2-verbose.properties" : "/lstm4j-stream-log4j2.properties").toString());
        err.println("lstm4j stream: " + events + " on an embedded Flink cluster, parallelism " + parallelism + ", "
                + stateBackend + " state, checkpoints every " + checkpointMs + " ms"
                + (verbose ? "" : "; Flink's log: " + dir.resolve("flink.log")));
        EmbeddedRun.Summary summary = EmbeddedRun.run(options, err);
        err.println(summary.line());
        return 0;
    }

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the command and returns the exit status (0 ok, 1 failure, 2 usage error). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new StreamCommand());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((e, arguments) -> {
            // One line and status 2, as bin/lstm4j's other verbs.
            String message = e.getMessage();
            e.getCommandLine().getErr().println("lstm4j stream: " + Character.toLowerCase(message.charAt(0))
                    + message.substring(1) + " (try bin/lstm4j stream --help)");
            return 2;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // One line, no stack trace.
            commandLine.getErr().println("lstm4j: " + EmbeddedRun.rootMessage(e).replace('\n', ' '));
            return 1;
        });
        return cli.execute(args);
    }
}
