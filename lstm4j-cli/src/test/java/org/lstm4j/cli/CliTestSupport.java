package org.lstm4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs {@link Main} in-process and captures what it prints. */
record CliTestSupport(int status, String out, String err) {

    static CliTestSupport run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliTestSupport(status, out.toString(), err.toString());
    }
}
