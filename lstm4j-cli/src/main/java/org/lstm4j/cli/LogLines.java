package org.lstm4j.cli;

import java.io.PrintWriter;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Where log records (java.util.logging, which also carries {@link System.Logger}, as lstm4j-core
 * uses) go while a command runs: nowhere by default, so stderr holds only the command's own
 * errors; with {@code --verbose} one line each on stderr, such as which kernels lstm4j chose.
 * Closing restores the logging configuration found.
 */
final class LogLines implements AutoCloseable {

    /** Held here: java.util.logging keeps loggers weakly, and a collected one forgets its settings. */
    private static final Logger ROOT = Logger.getLogger("");

    private final Level previousLevel;
    private final Handler[] previousHandlers;

    private LogLines(boolean verbose, PrintWriter err) {
        previousLevel = ROOT.getLevel();
        previousHandlers = ROOT.getHandlers();
        for (Handler h : previousHandlers) {
            ROOT.removeHandler(h);
        }
        if (verbose) {
            ROOT.setLevel(Level.INFO);
            ROOT.addHandler(new OneLine(err));
        } else {
            ROOT.setLevel(Level.OFF);
        }
    }

    static LogLines route(boolean verbose, PrintWriter err) {
        return new LogLines(verbose, err);
    }

    @Override
    public void close() {
        for (Handler h : ROOT.getHandlers()) {
            ROOT.removeHandler(h);
        }
        for (Handler h : previousHandlers) {
            ROOT.addHandler(h);
        }
        ROOT.setLevel(previousLevel);
    }

    /** The message alone, one line: no timestamp or class line as java.util.logging's default has. */
    private static final class OneLine extends Handler {
        private final PrintWriter err;

        OneLine(PrintWriter err) {
            this.err = err;
            setFormatter(new Formatter() {
                @Override
                public String format(LogRecord record) {
                    return formatMessage(record);
                }
            });
        }

        @Override
        public void publish(LogRecord record) {
            if (isLoggable(record)) {
                err.println(getFormatter().format(record).replace('\n', ' '));
            }
        }

        @Override
        public void flush() {
            err.flush();
        }

        @Override
        public void close() {
            flush();
        }
    }
}
