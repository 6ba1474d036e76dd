package org.lstm4j.flink.job;

import java.io.IOException;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource.NumberSequenceSplit;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.BasePathBucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;
import org.lstm4j.flink.Event;
import org.lstm4j.flink.ModelRef;
import org.lstm4j.flink.Rejected;
import org.lstm4j.flink.Scored;
import org.lstm4j.flink.model.LoadedModel;
import org.lstm4j.flink.model.ModelCache;
import org.lstm4j.flink.operators.LstmBundleOperator;
import org.lstm4j.flink.operators.SwapPolicy;

/**
 * The streaming job: events CSV → parse → keyBy(key) → {@link LstmBundleOperator} (keyed LSTM
 * state, model updates on a broadcast input) → {@code FileSink} of {@code key,seq,y0,...} lines
 * under {@code out/output}, and every {@link Rejected} under {@code out/rejected}. Both sinks
 * commit their part files at checkpoints, so the committed files hold each (key, seq) exactly
 * once through failures and restarts.
 *
 * <p>On a cluster: {@code flink run -c org.lstm4j.flink.job.StreamJob
 * lstm4j-flink/target/lstm4j-flink-job.jar --weights s3://models/wind.pt --events
 * s3://in/events.csv --out s3://out/run1 --parallelism 8 --state-backend rocksdb}. The
 * command line ({@link StreamCommand}) runs the same job on an embedded MiniCluster.
 */
public final class StreamJob {
    /** Operator ids: a savepoint maps state to operators by these, so they never change. */
    static final String SOURCE_UID = "lstm4j-events";
    static final String LSTM_UID = "lstm4j-lstm";

    private StreamJob() {
    }

    /** {@code flink run} entry point: the options of {@code bin/lstm4j stream}, run on the cluster. */
    public static void main(String[] args) throws Exception {
        StreamOptions options = StreamCommand.parse(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        build(env, options);
        env.execute("lstm4j stream " + options.events());
    }

    /** Job settings: exactly-once checkpoints, the state backend, no Kryo, fixed-delay restarts. */
    static Configuration configuration(StreamOptions options) {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(StateBackendOptions.STATE_BACKEND, options.stateBackend());
        conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, options.stateBackend().equals("rocksdb"));
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        return conf;
    }

    /**
     * Adds the job to {@code env}: reads the model and the events header on the client first, so
     * a wrong file is a one-line error before anything starts.
     *
     * @throws IllegalArgumentException if the events' feature count is not the model's input_size
     */
    public static void build(StreamExecutionEnvironment env, StreamOptions options) throws IOException {
        configure(env, options);
        ModelRef model = model(options);
        CsvEvents.Header header = CsvEvents.header(new Path(options.events()));
        int inputSize = inputSize(model);
        if (header.features() != inputSize) {
            throw new IllegalArgumentException(options.events() + " has " + header.features()
                    + " features per event (x0..x" + (header.features() - 1) + ") but the model's input_size is "
                    + inputSize);
        }
        // One reader keeps the file's order, so each key's events arrive in seq order.
        DataStream<String> lines = env.fromSource(new DataGeneratorSource<>(new CsvEvents.Lines(options.events()),
                        header.dataLines(), pace(options), Types.STRING), WatermarkStrategy.noWatermarks(), "events")
                .setParallelism(1).uid(SOURCE_UID);
        fromLines(lines, model, options);
    }

    /** How fast the file is read: held back until the first checkpoint, at a set rate, or as fast as it goes. */
    @SuppressWarnings("unchecked") // Flink's factories return the raw RateLimiterStrategy
    private static RateLimiterStrategy<NumberSequenceSplit> pace(StreamOptions options) {
        return options.failAfterEvents() > 0 ? new CheckpointGate<>()
                : options.eventsPerSecond() > 0 ? RateLimiterStrategy.perSecond(options.eventsPerSecond())
                : RateLimiterStrategy.noOp();
    }

    /** Exactly-once checkpoints every {@code checkpointMs}, parallelism, max parallelism and {@link #configuration}. */
    public static void configure(StreamExecutionEnvironment env, StreamOptions options) {
        env.configure(configuration(options));
        env.enableCheckpointing(options.checkpointMs(), CheckpointingMode.EXACTLY_ONCE);
        env.setParallelism(options.parallelism());
        env.setMaxParallelism(StreamOptions.MAX_PARALLELISM);
    }

    /** The model the options name, with its file's SHA-256, loaded once here to check it. */
    public static ModelRef model(StreamOptions options) throws IOException {
        ModelRef model = ModelRef.of(options.weights(), ModelCache.sha256(new Path(options.weights())), options.prefix(),
                options.weightPrecision());
        inputSize(model);
        return model;
    }

    private static int inputSize(ModelRef model) throws IOException {
        LoadedModel loaded = ModelCache.acquire(model);
        ModelCache.release(loaded);
        return loaded.inputSize();
    }

    /**
     * Everything after the source: CSV lines ({@code key,seq,x0,...}, or {@code #model,...}) →
     * parse (at the lines' parallelism, so each key's order holds) → keyBy(key) → the LSTM
     * operator → the output and rejection sinks under {@code options.out()}. Any source of lines
     * fits, e.g. a Kafka topic partitioned by key.
     */
    public static void fromLines(DataStream<String> lines, ModelRef model, StreamOptions options) {
        SingleOutputStreamOperator<Event> events = lines.process(new CsvEvents.Parse(options.weightPrecision()), Event.TYPE)
                .setParallelism(lines.getParallelism()).uid("lstm4j-parse").name("parse");
        // Model swaps come with the events (#model lines), so they are ordered with the events around them.
        DataStream<ModelRef> modelUpdates = events.getSideOutput(CsvEvents.MODELS);

        SingleOutputStreamOperator<Scored> scored = events.keyBy(Event::key, Types.STRING)
                .connect(modelUpdates.broadcast())
                .transform("lstm", Scored.TYPE, new LstmBundleOperator(model, SwapPolicy.RESET, options.batchSize(),
                        options.bundleTimeout(), options.idleStateTtl(), options.failAfterEvents()))
                .uid(LSTM_UID);
        scored.map(Scored::toCsv, Types.STRING).uid("lstm4j-output-csv").name("output csv")
                .sinkTo(csvSink(options.out() + "/output")).uid("lstm4j-output-sink").name("output");
        events.getSideOutput(Rejected.TAG).union(scored.getSideOutput(Rejected.TAG))
                .map(Rejected::toCsv, Types.STRING).uid("lstm4j-rejected-csv").name("rejected csv")
                .sinkTo(csvSink(options.out() + "/rejected")).uid("lstm4j-rejected-sink").name("rejected");
    }

    /** Row-format part files, rolled and committed at each checkpoint. */
    private static FileSink<String> csvSink(String dir) {
        return FileSink.forRowFormat(new Path(dir), new SimpleStringEncoder<String>("UTF-8"))
                .withBucketAssigner(new BasePathBucketAssigner<>())
                .withRollingPolicy(OnCheckpointRollingPolicy.build())
                .withOutputFileConfig(OutputFileConfig.builder().withPartPrefix("part").withPartSuffix(".csv").build())
                .build();
    }
}
