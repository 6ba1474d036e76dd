package org.lstm4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bin/lstm4j}: the lstm4j command line.
 *
 * <pre>
 *   bin/lstm4j shapes --input-size 10 --hidden-size 20 --num-layers 2 --seq-len 5 --batch 3
 * </pre>
 */
@Command(name = "lstm4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "PyTorch's torch.nn.LSTM in pure Java.",
        subcommands = {DemoCommand.class, TrainCommand.class, GenerateCommand.class, InspectCommand.class,
            RunCommand.class, ShapesCommand.class, CommandLine.HelpCommand.class})
public final class Main {

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
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // One line, no stack trace: bad input is the user's to fix, not ours to dump.
            commandLine.getErr().println("lstm4j: " + oneLine(e));
            return 1;
        });
        return cli.execute(args);
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

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"lstm4j " + (v == null ? "(development build)" : v)};
        }
    }
}
