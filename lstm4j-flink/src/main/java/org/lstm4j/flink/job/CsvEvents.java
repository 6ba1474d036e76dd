package org.lstm4j.flink.job;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.lstm4j.flink.Event;
import org.lstm4j.flink.ModelRef;
import org.lstm4j.flink.Rejected;
import org.lstm4j.tensor.Precision;

/**
 * The events file: a header {@code key,seq,x0,...,x{I-1}}, then one event per line in arrival order
 * (keys interleaved, seq counting from 0 per key). {@link Lines} reads data line i for source
 * index i, so Flink's checkpointed number-sequence source replays exactly the lines after a
 * checkpoint; {@link Parse} turns a line into an {@link Event} or a {@link Rejected}.
 *
 * <p>A line {@code #model,LOCATION,SHA256,PREFIX[,PRECISION]} swaps the model from that point on
 * (the events before it finish on the old model); PRECISION is fp32, bf16 or int8, by default the
 * job's {@code --weight-precision}; see {@link org.lstm4j.flink.ModelRef}.
 */
final class CsvEvents {
    private CsvEvents() {
    }

    /** Lines that reference a model instead of carrying an event. */
    static final String MODEL_LINE = "#model,";
    /** Where {@link Parse} sends model references. */
    static final OutputTag<ModelRef> MODELS = new OutputTag<>("models", ModelRef.TYPE);

    /** What the file's header says, and how many data lines (of which model lines) follow. */
    record Header(long dataLines, long modelLines, int features) {
        long events() {
            return dataLines - modelLines;
        }
    }

    /**
     * Reads the whole file once on the client.
     *
     * @throws IllegalArgumentException if the header is not {@code key,seq,x0,...}
     */
    static Header header(Path file) throws IOException {
        try (BufferedReader in = open(file)) {
            String header = in.readLine();
            if (header == null || !header.startsWith("key,seq,")) {
                throw new IllegalArgumentException(file + ": expected a header key,seq,x0,...,x{I-1}, got "
                        + (header == null ? "an empty file" : "\"" + abbreviate(header) + "\""));
            }
            String[] names = header.split(",", -1);
            for (int i = 2; i < names.length; i++) {
                if (!names[i].strip().equals("x" + (i - 2))) {
                    throw new IllegalArgumentException(file + ": expected header column " + (i + 1) + " to be x"
                            + (i - 2) + ", got \"" + abbreviate(names[i]) + "\"");
                }
            }
            long lines = 0;
            long models = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lines++;
                models += line.startsWith(MODEL_LINE) ? 1 : 0;
            }
            return new Header(lines, models, names.length - 2);
        }
    }

    private static BufferedReader open(Path file) throws IOException {
        return new BufferedReader(new InputStreamReader(file.getFileSystem().open(file), StandardCharsets.UTF_8));
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    /**
     * Source index i → data line i (file line i + 2). Reads forward from where it is; after a
     * restore, a split that resumes elsewhere reopens the file and skips to its line.
     */
    static final class Lines implements GeneratorFunction<Long, String> {
        private static final long serialVersionUID = 1L;

        private final String file;
        private transient BufferedReader reader;
        private transient long next;

        Lines(String file) {
            this.file = file;
        }

        @Override
        public void open(SourceReaderContext readerContext) {
            next = -1;
        }

        @Override
        public String map(Long index) throws IOException {
            if (reader == null || index != next) {
                close();
                reader = CsvEvents.open(new Path(file));
                reader.readLine(); // the header
                for (long i = 0; i < index; i++) {
                    reader.readLine();
                }
            }
            String line = reader.readLine();
            if (line == null) {
                throw new IOException(file + ": line " + (index + 2) + " is gone (was the file changed while the job ran?)");
            }
            next = index + 1;
            return line;
        }

        @Override
        public void close() throws IOException {
            if (reader != null) {
                reader.close();
                reader = null;
            }
        }
    }

    /** A line → an {@link Event}, or a {@link Rejected} on {@link Rejected#TAG} saying what is wrong with it. */
    static final class Parse extends ProcessFunction<String, Event> {
        private static final long serialVersionUID = 1L;

        private final Precision defaultPrecision;

        /** @param defaultPrecision the weight precision of a model line that names none */
        Parse(Precision defaultPrecision) {
            this.defaultPrecision = defaultPrecision;
        }

        @Override
        public void processElement(String line, Context ctx, Collector<Event> out) {
            String[] fields = line.split(",", -1);
            if (line.startsWith(MODEL_LINE)) {
                try {
                    if (fields.length != 4 && fields.length != 5) {
                        throw new IllegalArgumentException("expected #model,LOCATION,SHA256,PREFIX[,PRECISION]");
                    }
                    Precision precision = fields.length == 5 ? Precision.parse(fields[4].strip()) : defaultPrecision;
                    ctx.output(MODELS, ModelRef.of(fields[1].strip(), fields[2].strip(), fields[3].strip(), precision));
                } catch (IllegalArgumentException e) {
                    ctx.output(Rejected.TAG, new Rejected("", "", "model line \"" + abbreviate(line) + "\": "
                            + e.getMessage()));
                }
                return;
            }
            String key = fields[0].strip();
            String seqText = fields.length > 1 ? fields[1].strip() : "";
            if (fields.length < 3 || key.isEmpty()) {
                ctx.output(Rejected.TAG, new Rejected(key, seqText, "expected key,seq,x0,... with a key, got \""
                        + abbreviate(line) + "\""));
                return;
            }
            long seq;
            try {
                seq = Long.parseLong(seqText);
            } catch (NumberFormatException e) {
                seq = -1;
            }
            if (seq < 0) {
                ctx.output(Rejected.TAG, new Rejected(key, seqText, "seq must be an integer >= 0, got \""
                        + abbreviate(seqText) + "\""));
                return;
            }
            float[] features = new float[fields.length - 2];
            for (int i = 0; i < features.length; i++) {
                try {
                    features[i] = Float.parseFloat(fields[i + 2]);
                } catch (NumberFormatException e) {
                    ctx.output(Rejected.TAG, new Rejected(key, seqText, "x" + i + " is not a number: \""
                            + abbreviate(fields[i + 2]) + "\""));
                    return;
                }
            }
            out.collect(new Event(key, seq, features));
        }
    }
}
