package org.lstm4j.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.lstm4j.flink.Event;
import org.lstm4j.flink.ModelRef;
import org.lstm4j.flink.Scored;
import org.lstm4j.flink.job.EmbeddedRun;
import org.lstm4j.flink.model.ModelCache;
import org.lstm4j.flink.operators.LstmBundleOperator;
import org.lstm4j.flink.operators.LstmProcessFunction;
import org.lstm4j.flink.operators.SwapPolicy;
import org.lstm4j.flink.state.KeyState;
import org.lstm4j.flink.state.KeyStateSerializer;
import org.lstm4j.io.StateDicts;
import org.lstm4j.nn.LSTM;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Events per second of lstm4j's Flink operators on an embedded MiniCluster, for config (a)'s model
 * (I=128, H=256, 2 layers): per-event ({@link LstmProcessFunction}) vs bundled
 * ({@link LstmBundleOperator}, batches of 64), parallelism 1 vs 2, hashmap vs RocksDB state, with
 * a checkpoint every second; and the bytes one key's state takes. Not a test.
 *
 * <pre>
 *   bin/lstm4j-bench flink            # 1000 keys, 60,000 events per run
 *   bin/lstm4j-bench flink --quick    # 12,000 events per run
 * </pre>
 *
 * <p>Events come from one generating source (one reader keeps each key's events in seq order),
 * key i mod K with seq i div K; the rate is taken at the sink between the moments it has seen 20%
 * and 100% of the outputs, so start-up and JIT warm-up stay out.
 */
@Command(name = "lstm4j-bench flink",
        description = "events/s of the Flink LSTM operators (config (a)'s model) on an embedded MiniCluster",
        footer = {"", "Examples:", "  bin/lstm4j-bench flink", "  bin/lstm4j-bench flink --quick"})
public final class FlinkStreamBench implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    @Option(names = "--quick", description = "12,000 events per run instead of 60,000")
    boolean quick;

    @Option(names = "--events", paramLabel = "N", description = "events per run (at least 100; default 60,000)")
    Long events;

    @Option(names = "--keys", paramLabel = "K", defaultValue = "1000", description = "distinct keys (default ${DEFAULT-VALUE})")
    int keys;

    @Spec
    CommandSpec spec;

    record Options(long events, int keys) {
    }

    /** Outputs seen by the sink and when: JVM-wide, since the MiniCluster runs in this JVM. */
    private static final AtomicLong SEEN = new AtomicLong();
    private static final AtomicLong WARM_NANOS = new AtomicLong();
    private static final AtomicLong LAST_NANOS = new AtomicLong();
    private static volatile long warmAfter;

    public static void main(String[] args) {
        System.exit(new CommandLine(new FlinkStreamBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Options options = new Options(events != null ? events : quick ? 12_000 : 60_000, keys);
        if (options.events() < 100 || options.keys() < 1) {
            throw new ParameterException(spec.commandLine(), "expected --events >= 100 and --keys >= 1, got --events "
                    + options.events() + " --keys " + options.keys());
        }
        BenchConfig a = BenchConfig.byName("a");
        LSTM lstm = new LSTM(a.lstmConfig(), 1);
        lstm.eval();
        Path dir = Files.createTempDirectory("lstm4j-flink-bench");
        Path file = dir.resolve("model.safetensors");
        StateDicts.write(file, lstm.stateDict());
        ModelRef model = ModelRef.of(file.toUri().toString(),
                ModelCache.sha256(new org.apache.flink.core.fs.Path(file.toUri())), "");

        DataOutputSerializer bytes = new DataOutputSerializer(8192);
        KeyStateSerializer.INSTANCE.serialize(new KeyState(lstm.fingerprint(), 0, lstm.zeroState(1)), bytes);
        System.out.printf("lstm4j on Flink: config (a) %s, %d keys, %,d events per run, checkpoints every 1 s%n",
                a.shape(), options.keys(), options.events());
        System.out.printf("%s, %d cores, JDK %s, %s, load average at start %s%n", Measure.cpuModel(),
                Runtime.getRuntime().availableProcessors(), Runtime.version(), Instant.now(), loadAverage());
        System.out.printf("state per key: %,d bytes (KeyStateSerializer: seq, fingerprint, h and c of %d layers)%n%n",
                bytes.length(), a.layers());

        Map<String, Double> rates = new LinkedHashMap<>();
        System.out.printf("%-8s %-11s %-10s %12s%n", "backend", "parallelism", "operator", "events/s");
        for (String backend : new String[] {"hashmap", "rocksdb"}) {
            for (int parallelism : new int[] {1, 2}) {
                for (boolean bundled : new boolean[] {false, true}) {
                    double rate = run(model, options, backend, parallelism, bundled, dir);
                    String name = bundled ? "bundled" : "per-event";
                    rates.put(backend + "/" + parallelism + "/" + name, rate);
                    System.out.printf("%-8s %-11d %-10s %,12.0f%n", backend, parallelism, name, rate);
                }
            }
        }
        System.out.println();
        for (String backend : new String[] {"hashmap", "rocksdb"}) {
            for (int p : new int[] {1, 2}) {
                System.out.printf("%s p=%d: bundled / per-event = %.2fx%n", backend, p,
                        rates.get(backend + "/" + p + "/bundled") / rates.get(backend + "/" + p + "/per-event"));
            }
            for (String op : new String[] {"per-event", "bundled"}) {
                System.out.printf("%s %s: parallelism 2 / 1 = %.2fx%n", backend, op,
                        rates.get(backend + "/2/" + op) / rates.get(backend + "/1/" + op));
            }
        }
        System.out.println("load average at end " + loadAverage());
        return 0;
    }

    private static double run(ModelRef model, Options options, String backend, int parallelism, boolean bundled,
                              Path dir) throws Exception {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(StateBackendOptions.STATE_BACKEND, backend);
        StreamExecutionEnvironment env = new StreamExecutionEnvironment(conf);
        env.enableCheckpointing(1000, CheckpointingMode.EXACTLY_ONCE);
        env.setParallelism(parallelism);
        env.setMaxParallelism(128);

        float[][] pool = new float[1024][128];
        SplittableRandom random = new SplittableRandom(5);
        for (float[] x : pool) {
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
        }
        int keys = options.keys();
        DataStream<Event> events = env.fromSource(new DataGeneratorSource<>(
                        i -> new Event("k" + (i % keys), i / keys, pool[(int) (i % pool.length)]), options.events(),
                        Event.TYPE), WatermarkStrategy.noWatermarks(), "events").setParallelism(1);
        KeyedStream<Event, String> keyed = events.keyBy(Event::key, Types.STRING);
        DataStream<Scored> scored;
        if (bundled) {
            DataStream<ModelRef> noUpdates = env.fromSource(new DataGeneratorSource<>(i -> model, 0, ModelRef.TYPE),
                    WatermarkStrategy.noWatermarks(), "model updates").setParallelism(1);
            scored = keyed.connect(noUpdates.broadcast()).transform("lstm", Scored.TYPE, new LstmBundleOperator(model,
                    SwapPolicy.RESET, 64, Duration.ofMillis(100), Duration.ZERO, 0));
        } else {
            scored = keyed.process(new LstmProcessFunction(model, Duration.ZERO), Scored.TYPE);
        }
        scored.sinkTo(new Throughput());

        SEEN.set(0);
        WARM_NANOS.set(0);
        LAST_NANOS.set(0);
        warmAfter = options.events() / 5;
        try (MiniCluster cluster = EmbeddedRun.startCluster(parallelism, Files.createTempDirectory(dir, "cp"))) {
            JobResult result = cluster.requestJobResult(cluster.submitJob(env.getStreamGraph().getJobGraph()).get()
                    .getJobID()).get();
            if (!result.isSuccess()) {
                throw new IllegalStateException("bench job failed", result.getSerializedThrowable().orElse(null));
            }
        }
        if (SEEN.get() != options.events()) {
            throw new IllegalStateException("expected " + options.events() + " outputs, got " + SEEN.get());
        }
        return (options.events() - warmAfter) / ((LAST_NANOS.get() - WARM_NANOS.get()) / 1e9);
    }

    /** Counts outputs and stamps the 20% and the last one. */
    private static final class Throughput implements Sink<Scored> {
        private static final long serialVersionUID = 1L;

        @Override
        public SinkWriter<Scored> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(Scored element, Context context) {
                    long seen = SEEN.incrementAndGet();
                    long now = System.nanoTime();
                    if (seen == warmAfter) {
                        WARM_NANOS.set(now);
                    }
                    LAST_NANOS.accumulateAndGet(now, Math::max);
                }

                @Override
                public void flush(boolean endOfInput) {
                }

                @Override
                public void close() {
                }
            };
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
