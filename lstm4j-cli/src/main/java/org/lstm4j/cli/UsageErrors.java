package org.lstm4j.cli;

import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns a usage error into one line on stderr — what is wrong, what to type instead, and where
 * the options are listed — and exit status 2. The full usage is only printed for {@code --help}.
 *
 * <pre>
 *   lstm4j run: unknown option '--bogus' (try bin/lstm4j run --help)
 *   lstm4j: 'nosuchverb' is not a command; the commands are demo, train, ... (try bin/lstm4j --help)
 * </pre>
 */
final class UsageErrors implements CommandLine.IParameterExceptionHandler {

    /** The exit status of a usage error (picocli's and the shells' convention). */
    static final int STATUS = 2;

    @Override
    public int handleParseException(ParameterException e, String[] args) {
        CommandLine cli = e.getCommandLine();
        cli.getErr().println(describe(e) + " (try bin/" + cli.getCommandSpec().qualifiedName() + " --help)");
        return STATUS;
    }

    /** The one line, without the help hint. */
    private static String describe(ParameterException e) {
        CommandLine cli = e.getCommandLine();
        String prefix = cli.getCommandSpec().qualifiedName() + ": ";
        // An unknown option also leaves required options unset; the unknown one is the mistake to report.
        UnmatchedArgumentException unmatched = e instanceof UnmatchedArgumentException u ? u
                : cli.getUnmatchedArguments().isEmpty() ? null : new UnmatchedArgumentException(cli, cli.getUnmatchedArguments());
        if (unmatched != null) {
            return prefix + unmatched(cli, unmatched);
        }
        if (e instanceof MissingParameterException missing) {
            return prefix + "missing " + join(missing.getMissing().stream().map(UsageErrors::usage).collect(Collectors.toList()));
        }
        if (e.getArgSpec() instanceof OptionSpec option && e.getValue() != null && expectsNumber(option)) {
            return prefix + option.longestName() + " expects " + numberKind(option) + ", got '" + e.getValue() + "'";
        }
        return prefix + lowerFirst(e.getMessage());
    }

    private static String unmatched(CommandLine cli, UnmatchedArgumentException e) {
        String arg = e.getUnmatched().get(0);
        if (arg.startsWith("-")) {
            List<String> suggestions = e.getSuggestions();
            return "unknown option '" + arg + "'" + (suggestions.isEmpty() ? "" : "; did you mean " + suggestions.get(0) + "?");
        }
        if (arg.equals(Main.STREAM_COMMAND) && cli.getParent() == null) {
            return "'" + arg + "' runs on Flink from lstm4j-flink's jar; start it with bin/lstm4j " + arg;
        }
        if (!cli.getSubcommands().isEmpty()) {
            List<String> commands = cli.getSubcommands().keySet().stream().filter(name -> !name.equals("help"))
                    .collect(Collectors.toList());
            return "'" + arg + "' is not a command; the commands are " + String.join(", ", commands);
        }
        return "unexpected argument '" + arg + "'";
    }

    /** {@code --weights=FILE} for an option, {@code FILE} for a positional parameter. */
    private static String usage(ArgSpec arg) {
        return arg instanceof OptionSpec option ? option.longestName() + "=" + option.paramLabel() : arg.paramLabel();
    }

    private static String join(List<String> items) {
        if (items.size() == 1) {
            return items.get(0);
        }
        return String.join(", ", items.subList(0, items.size() - 1)) + " and " + items.get(items.size() - 1);
    }

    private static boolean expectsNumber(OptionSpec option) {
        Class<?> type = option.type();
        return type == int.class || type == Integer.class || type == long.class || type == Long.class
                || type == double.class || type == Double.class || type == float.class || type == Float.class;
    }

    private static String numberKind(OptionSpec option) {
        Class<?> type = option.type();
        boolean whole = type == int.class || type == Integer.class || type == long.class || type == Long.class;
        return whole ? "a whole number" : "a number";
    }

    private static String lowerFirst(String message) {
        return message.isEmpty() ? message : Character.toLowerCase(message.charAt(0)) + message.substring(1);
    }
}
