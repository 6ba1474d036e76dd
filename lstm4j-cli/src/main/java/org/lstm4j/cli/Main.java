package org.lstm4j.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code bin/lstm4j}: the lstm4j command line.
 *
 * <pre>
 *   bin/lstm4j shapes --input-size 10 --hidden-size 20 --num-layers 2 --seq-len 5 --batch 3
 * </pre>
 *
 * <p>Errors are one line on stderr: exit status 2 for a usage error ({@link UsageErrors}), 1 for a
 * failure (bad input file, out of memory). Log lines appear only with {@code --verbose}.
 */
@Command(name = "lstm4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "PyTorch's torch.nn.LSTM in pure Java.",
        footer = {"", "Also: bin/lstm4j " + Main.STREAM_COMMAND + " runs a keyed LSTM job on Apache Flink; it lives in"
            + " lstm4j-flink's jar (bin/lstm4j " + Main.STREAM_COMMAND + " --help)."},
        subcommands = {DemoCommand.class, TrainCommand.class, GenerateCommand.class, InspectCommand.class,
            RunCommand.class, ExportCommand.class, ShapesCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

    /** The command bin/lstm4j hands to lstm4j-flink's jar, which is not on this jar's class path. */
    static final String STREAM_COMMAND = "stream";

    /** The exit status of a failure that is not a usage error. */
    static final int FAILURE = 1;

    @Spec
    CommandSpec spec;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "print log lines on stderr, such as which kernels (SIMD or scalar) lstm4j uses")
    boolean verbose;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit status (0 ok, 1 failure, 2 usage error). */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** As {@link #run(String...)}, printing to the given writers (for tests and embedding). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler(new UsageErrors());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // One line, no stack trace: bad input is the user's to fix, not ours to dump.
            commandLine.getErr().println("lstm4j: " + oneLine(e));
            return FAILURE;
        });
        cli.setExecutionStrategy(parseResult -> {
            LogLines logs = LogLines.route(verbose(parseResult), err);
            try {
                return new CommandLine.RunLast().execute(parseResult);
            } finally {
                logs.close();
            }
        });
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            err.println("lstm4j: " + outOfMemory(e, Runtime.getRuntime().maxMemory()));
            return FAILURE;
        }
    }

    /** Without a command: the overview of commands (as {@code --help}). */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** Whether --verbose was given at any level ({@code lstm4j -v run ...} or {@code lstm4j run -v ...}). */
    private static boolean verbose(ParseResult parseResult) {
        for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    private static String oneLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) {
            message = "no such file: " + message;
        } else if (e instanceof java.nio.file.AccessDeniedException) {
            message = "permission denied: " + message;
        }
        return message.replace('\n', ' ').replace('\t', ' ');
    }

    /**
     * The JVM does not say how much an allocation asked for, only that the heap (at most
     * {@code maxHeap} bytes) could not hold it: that limit is the size the command needed more than.
     */
    static String outOfMemory(OutOfMemoryError e, long maxHeap) {
        String detail = e.getMessage() == null || e.getMessage().equals("Java heap space") ? "" : " (" + e.getMessage() + ")";
        long suggestion = Math.max(1, 2 * ((maxHeap + (1L << 30) - 1) >> 30));
        return String.format(Locale.ROOT, "out of memory: this needs more than the %s the Java heap may use%s;"
                + " give it more, e.g. LSTM4J_JAVA_OPTS=-Xmx%dg", bytes(maxHeap), detail, suggestion);
    }

    private static String bytes(long n) {
        return n >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30))
                : String.format(Locale.ROOT, "%d MiB", n >> 20);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"lstm4j " + (v == null ? "(development build)" : v)};
        }
    }
}
