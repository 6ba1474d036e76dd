package org.lstm4j.bench;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.lstm4j.autograd.Variable;
import org.lstm4j.io.Onnx;
import org.lstm4j.kernels.Kernels;
import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.kernels.PanelMatrix;
import org.lstm4j.kernels.Parallel;
import org.lstm4j.nn.HiddenStateRNN;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.Parameter;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.tensor.Precision;
import org.lstm4j.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * lstm4j, libtorch and ONNX Runtime side by side in one JVM: same shapes, same weights (ONNX
 * Runtime runs the model {@link LSTM#toOnnx} exports), alternating blocks of calls
 * ({@link Measure#alternatingBlocks}), medians. Prints this machine's measured FMA peak, the
 * GEMM micro-kernel alone at the LSTM's shapes, and the table of issue 6's configs.
 */
@Command(name = "lstm4j-bench", sortOptions = false,
        description = {"Runs lstm4j, libtorch 2.7.1 (DJL, offline, 2 intra-op threads) and ONNX Runtime 1.22 (the"
                + " model lstm4j exports, 2 intra-op threads; inference LSTM configs only) on issue 6's configs (a)-(f)"
                + " and a GRU at (b)'s and (c)'s shapes (gb, gc), and (a) and (b) with lstm4j's weights in bf16 or int8"
                + " (a-bf16, b-bf16, a-int8, b-int8; libtorch and ONNX Runtime in float32) in one JVM and prints: config, lstm4j median ms, libtorch median ms, ratio (libtorch / lstm4j, > 1"
                + " means lstm4j is faster), ONNX Runtime median ms and its ratio (ORT / lstm4j), lstm4j GFLOP/s and"
                + " %% of this machine's FP32 FMA peak"
                + " (measured first: cores x one core's Vector API FMA loop, acc = fma(a, b, acc)). GFLOP/s counts the matrix products"
                + " (training: 3x the forward's). maxdiff is the largest absolute difference from libtorch: outputs"
                + " (a)-(e), gb, gc, parameter gradients (f); for the bf16 and int8 rows from lstm4j's float32 outputs.",
            "Also: bin/lstm4j-bench sweep [--quick] [--out DIR] (ScalingSweep), bin/lstm4j-bench jmh [JMH options]."},
        footer = {"", "Examples:", "  bin/lstm4j-bench --quick", "  bin/lstm4j-bench --json docs/bench.json",
            "  LSTM4J_BENCH_JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java bin/lstm4j-bench --quick",
            "  bin/lstm4j-bench jmh GemmBenchmark -prof gc"})
public final class SideBySide implements Callable<Integer> {

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    @Option(names = "--quick", description = "short warm-up and measurement (under 3 minutes)")
    boolean quick;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the table as JSON (a list of objects)")
    Path json;

    @Option(names = "--configs", split = ",", paramLabel = "LIST", converter = ConfigName.class,
            description = "only these configs, e.g. a,b or b,c,gb,gc or a-bf16,b-int8 (default: a-f, gb, gc, a-bf16,"
                    + " b-bf16, a-int8, b-int8)")
    List<BenchConfig> configs;

    @Option(names = "--no-gemm", description = "skip the GEMM micro-kernel table")
    boolean noGemm;

    @Spec
    CommandSpec spec;

    @Option(names = "--quiet-peers", description = "libtorch's and ONNX Runtime's threads stop spinning soon after"
            + " their own calls (GOMP_SPINCOUNT, which bin/lstm4j-bench sets to 10000 for this option unless set;"
            + " ONNX Runtime's session.force_spinning_stop=1), so they do not take lstm4j's cores while lstm4j runs;"
            + " slows some of their own calls")
    boolean quietPeers;

    /** What to run. */
    record Options(boolean quick, Optional<Path> json, List<BenchConfig> configs, boolean gemm, boolean quietPeers) {

        double warmupSeconds() {
            return quick ? 1.5 : 5;
        }

        double measureSeconds() {
            return quick ? 3 : 20;
        }

        int minRounds() {
            return quick ? 5 : 15;
        }
    }

    /** {@code --configs} names: a to f, gb, gc, a-bf16, b-bf16, a-int8, b-int8. */
    static final class ConfigName implements CommandLine.ITypeConverter<BenchConfig> {
        @Override
        public BenchConfig convert(String name) {
            return BenchConfig.byName(name.strip());
        }
    }

    /**
     * One row of the table. maxAbsDiff compares output, h_n and c_n (inference) or every
     * parameter gradient (training) between lstm4j and libtorch — for a bf16 or int8 row between
     * lstm4j and lstm4j's float32 module (what the reduced weights cost); maxAbsReference is the largest
     * |value| libtorch produced, the scale to read it against. ortMs and ortMaxAbsDiff are ONNX
     * Runtime's time and output difference from lstm4j, NaN for training (ONNX Runtime does not
     * train). othersCpu is the share of the machine other processes used during the timed
     * repetitions (see {@link CpuShare}).
     */
    record Row(BenchConfig config, double lstm4jMs, double libtorchMs, double ortMs, double maxAbsDiff,
               double maxAbsReference, double ortMaxAbsDiff, double othersCpu) {

        /** libtorch time / lstm4j time: above 1, lstm4j is faster. */
        double ratio() {
            return libtorchMs / lstm4jMs;
        }

        /** ONNX Runtime time / lstm4j time: above 1, lstm4j is faster; NaN for training. */
        double ortRatio() {
            return ortMs / lstm4jMs;
        }

        double gflops() {
            return config.flops() / (lstm4jMs * 1e6);
        }

        double libtorchGflops() {
            return config.flops() / (libtorchMs * 1e6);
        }
    }

    private static volatile Object sink;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SideBySide()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Options options = new Options(quick, Optional.ofNullable(json), configs == null ? BenchConfig.ALL : configs, !noGemm,
                quietPeers);
        String gompSpinCount = System.getenv(GOMP_SPINCOUNT_VARIABLE);
        if (quietPeers && gompSpinCount == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--quiet-peers expected "
                    + GOMP_SPINCOUNT_VARIABLE + " in the environment (libgomp reads it when libtorch loads;"
                    + " bin/lstm4j-bench sets it), got none");
        }
        Measure.libtorchDefaults();

        int cores = Runtime.getRuntime().availableProcessors();
        String date = ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        String jdk = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
        MatrixKernels kernels = Kernels.matrix();
        RunInfo run = new RunInfo(date, jdk, Measure.cpuModel(), kernels.name(),
                System.getenv().getOrDefault(ONEDNN_ISA_VARIABLE, "default"), !quietPeers);
        System.out.printf("date     %s%njdk      %s%ncpu      %s (%d cores)%nlstm4j   %s kernels, %d threads (-D%s)%n"
                + "libtorch oneDNN ISA %s (%s)%n"
                + "peers    %s%n"
                + "load     %s (1/5/15-min load average before; other processes skew every number below)%n",
                date, jdk, run.cpu(), cores, kernels.name(), Parallel.threads(), Parallel.THREADS_PROPERTY,
                run.onednnIsa(), ONEDNN_ISA_VARIABLE, quietPeers
                        ? "libtorch's and ONNX Runtime's threads stop spinning after their calls (--quiet-peers: "
                                + GOMP_SPINCOUNT_VARIABLE + "=" + gompSpinCount + ", session.force_spinning_stop=1)"
                        : "libtorch's and ONNX Runtime's threads spin after their calls, their defaults (--quiet-peers"
                                + " to stop it)",
                loadAverage());

        CpuShare peakCpu = new CpuShare();
        FmaPeak.Peak peak = FmaPeak.measurePeak(options.quick() ? 1 : 3);
        double peakOne = peak.oneCore();
        double peakAll = peak.machine();
        System.out.printf("peak     %s; others %.0f%%%n%n", peak.describe(), 100 * peakCpu.others());

        if (options.gemm()) {
            gemmTable(kernels, peakOne, options);
        }

        List<Row> rows = new ArrayList<>();
        boolean headerPrinted = false;
        for (BenchConfig config : options.configs()) {
            Row row = measure(config, options);
            if (!headerPrinted) {
                System.out.printf("libtorch 2.7.1 via DJL, %d intra-op threads; ONNX Runtime %s, %d intra-op threads,"
                        + " opset %d models exported by lstm4j%n", LibTorchRecurrent.intraOpThreads(),
                        OnnxRuntimeLstm.version(), OnnxRuntimeLstm.INTRA_OP_THREADS, Onnx.DEFAULT_OPSET);
                System.out.println(header());
                headerPrinted = true;
            }
            rows.add(row);
            System.out.println(format(row, peakAll));
        }
        System.out.printf("load     %s after%n", loadAverage());
        if (options.json().isPresent()) {
            Files.writeString(options.json().get(), json(rows, peakAll, run));
            System.out.println("\nwrote " + options.json().get());
        }
        return 0;
    }

    /**
     * What every row of a shape runs: the float32 module (seed 1234; libtorch and ONNX Runtime get
     * its weights) and x (L, N, I), h0 and, for an LSTM, c0 (layers·D, N, H), uniform in [-1, 1)
     * from seeds 1, 2, 3.
     */
    record Workload(RNNBase module, Tensor x, Tensor h0, Tensor c0) {
        static Workload of(BenchConfig config) {
            RNNBase module = RNNBase.create(config.moduleConfig(), 1234);
            if (config.training()) {
                module.train();
            } else {
                module.eval();
            }
            int stateRows = config.layers() * config.directions();
            Tensor x = Tensor.uniform(1, -1f, 1f, config.seqLen(), config.batch(), config.inputSize());
            Tensor h0 = Tensor.uniform(2, -1f, 1f, stateRows, config.batch(), config.hidden());
            Tensor c0 = module instanceof LSTM ? Tensor.uniform(3, -1f, 1f, stateRows, config.batch(), config.hidden())
                    : null;
            return new Workload(module, x, h0, c0);
        }

        /** The module lstm4j times: the float32 one, or its copy with the config's reduced-precision weights. */
        RNNBase timed(BenchConfig config) {
            return config.precision() == Precision.FP32 ? module : module.withWeightPrecision(config.precision());
        }

        /** An inference forward of {@code m} (this module or a copy) on these inputs: output, h_n (and c_n). */
        List<float[]> forward(RNNBase m) {
            if (m instanceof LSTM lstm) {
                LSTM.Output out = lstm.forward(x, h0, c0);
                return List.of(out.output().data(), out.hN().data(), out.cN().data());
            }
            HiddenStateRNN.Output out = ((HiddenStateRNN) m).forward(x, h0);
            return List.of(out.output().data(), out.hN().data());
        }
    }

    private static Row measure(BenchConfig config, Options options) throws Exception {
        Workload w = Workload.of(config);
        RNNBase module = w.module();
        RNNBase timed = w.timed(config);
        LSTM lstm = module instanceof LSTM l ? l : null;
        try (LibTorchRecurrent torch = new LibTorchRecurrent(config, module, w.x(), w.h0(), w.c0());
             OnnxRuntimeLstm ort = config.training() || lstm == null ? null : new OnnxRuntimeLstm(lstm, w.x(), w.h0(), w.c0(),
                     !options.quietPeers())) {
            Runnable libtorch = torch::run;
            Runnable ours = lstm4jWorkload(config, timed, w.x(), w.h0(), w.c0());
            List<float[]> mine = new ArrayList<>();
            float[][] reference;
            double ortMaxDiff = Double.NaN;
            if (config.training()) {
                // Parameter gradients of one step each, from zero.
                ours.run();
                reference = torch.trainingGradients();
                for (Parameter p : module.parameters()) {
                    mine.add(p.grad().data());
                }
            } else {
                reference = torch.forwardOutputs();
                mine = w.forward(timed);
                if (ort != null) {
                    float[][] fromOrt = ort.forwardOutputs();
                    ortMaxDiff = 0;
                    for (int i = 0; i < fromOrt.length; i++) {
                        ortMaxDiff = Math.max(ortMaxDiff, Measure.maxAbsDiff(mine.get(i), fromOrt[i]));
                    }
                }
            }
            // A reduced-precision row is compared with lstm4j's float32 outputs: what the weights cost.
            float[][] compared = config.precision() == Precision.FP32 ? reference
                    : w.forward(module).toArray(float[][]::new);
            double maxDiff = 0;
            double maxReference = 0;
            for (int i = 0; i < compared.length; i++) {
                maxDiff = Math.max(maxDiff, Measure.maxAbsDiff(mine.get(i), compared[i]));
                for (float v : reference[i]) {
                    maxReference = Math.max(maxReference, Math.abs(v));
                }
            }
            CpuShare cpu = new CpuShare();
            List<Runnable> workloads = ort == null ? List.of(ours, libtorch) : List.of(ours, libtorch, ort::run);
            double[] times = Measure.alternatingBlocks(workloads, options.warmupSeconds(), options.measureSeconds(),
                    options.minRounds());
            return new Row(config, times[0], times[1], ort == null ? Double.NaN : times[2], maxDiff, maxReference,
                    ortMaxDiff, cpu.others());
        }
    }

    /**
     * lstm4j's timed call for a config: inference forward, or a training step as libtorch's
     * (zero the gradients, forward on the autograd tape, backward of sum(output), i.e. with a
     * gradient of ones; parameter gradients only, as input and initial state need none). Training
     * configs are LSTMs.
     */
    private static Runnable lstm4jWorkload(BenchConfig config, RNNBase module, Tensor x, Tensor h0, Tensor c0) {
        if (!(module instanceof LSTM lstm)) {
            HiddenStateRNN rnn = (HiddenStateRNN) module;
            return () -> sink = rnn.forward(x, h0);
        }
        if (!config.training()) {
            return () -> sink = lstm.forward(x, h0, c0);
        }
        Variable input = Variable.of(x);
        Variable h = Variable.of(h0);
        Variable c = Variable.of(c0);
        Tensor ones = Tensor.full(1f, config.seqLen(), config.batch(), config.directions() * config.hidden());
        return () -> {
            lstm.zeroGrad();
            lstm.forward(input, h, c).output().backward(ones);
        };
    }

    /**
     * The GEMM kernel on weights in panels alone (one thread) at the LSTM's product shapes:
     * GFLOP/s and % of one core's FMA peak, next to the plain multTransB.
     */
    private static void gemmTable(MatrixKernels kernels, double peakOne, Options options) {
        record Shape(String what, int m, int n, int k) {
        }
        List<Shape> shapes = List.of(
                new Shape("(a,b) step GEMV   h·W_hhᵀ", 1, 1024, 256),
                new Shape("(c) step          h·W_hhᵀ", 32, 1024, 256),
                new Shape("(d) step          h·W_hhᵀ", 64, 2048, 512),
                new Shape("(c) input proj.   x·W_ihᵀ", 3200, 1024, 128),
                new Shape("(d) input proj.   x·W_ihᵀ", 6400, 2048, 512),
                new Shape("cache-resident square", 256, 1024, 256));
        CpuShare cpu = new CpuShare();
        System.out.printf("GEMM C(m,n) += A(m,k)·W(n,k)ᵀ, %s, 1 thread; %% of 1-core peak %.0f GFLOP/s%n",
                kernels.name(), peakOne);
        System.out.printf("%-34s %5s %5s %5s | %9s %7s | %9s %7s%n", "shape", "m", "n", "k", "panels", "%peak",
                "plain", "%peak");
        SplittableRandom random = new SplittableRandom(5);
        for (Shape s : shapes) {
            float[] a = new float[s.m * s.k];
            float[] w = new float[s.n * s.k];
            float[] c = new float[s.m * s.n];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) random.nextDouble(-1, 1);
            }
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) random.nextDouble(-1, 1);
            }
            PanelMatrix panels = kernels.panels(w, 0, s.n, s.k);
            double flops = 2.0 * s.m * s.n * s.k;
            double seconds = options.quick() ? 0.4 : 2;
            double panelNs = bestNs(() -> kernels.multTransBPanels(s.m, a, 0, s.k, panels, c, 0, s.n, true), seconds);
            double plainNs = bestNs(() -> kernels.multTransB(s.m, s.n, s.k, a, 0, s.k, w, 0, s.k, c, 0, s.n, true),
                    seconds);
            System.out.printf("%-34s %5d %5d %5d | %9.1f %6.1f%% | %9.1f %6.1f%%%n", s.what, s.m, s.n, s.k,
                    flops / panelNs, 100 * flops / panelNs / peakOne, flops / plainNs,
                    100 * flops / plainNs / peakOne);
        }
        System.out.printf("(others used %.0f%% of the machine meanwhile)%n%n", 100 * cpu.others());
    }

    /** Median ns per call of batches run for about {@code seconds} after a warm-up of the same length. */
    private static double bestNs(Runnable call, double seconds) {
        long warmEnd = System.nanoTime() + (long) (seconds * 0.5e9);
        while (System.nanoTime() < warmEnd) {
            call.run();
        }
        List<Double> perCall = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        int batch = 1;
        while (System.nanoTime() < end || perCall.size() < 5) {
            long t0 = System.nanoTime();
            for (int i = 0; i < batch; i++) {
                call.run();
            }
            long dt = System.nanoTime() - t0;
            perCall.add((double) dt / batch);
            if (dt < 1_000_000) {
                batch *= 2;
            }
        }
        perCall.sort(null);
        return perCall.get(perCall.size() / 2);
    }

    private static String header() {
        return String.format("%-8s %-30s %11s %11s %8s %7s %9s %8s %8s %7s %9s %7s", "cfg", "shape", "lstm4j ms",
                "libtorch ms", "ratio", "target", "ORT ms", "ORT rat.", "GFLOP/s", "%peak", "maxdiff", "others");
    }

    private static String format(Row row, double peak) {
        BenchConfig c = row.config();
        boolean ort = Double.isFinite(row.ortMs());
        return String.format(Locale.ROOT,
                "%-8s %-30s %11.3f %11.3f %7.2fx %6.1fx %9s %8s %8.1f %6.1f%% %9.1e %6.0f%%  (maxdiff of %.1e;"
                        + " libtorch %.1f GFLOP/s; ORT maxdiff %s)",
                "(" + c.name() + ")", c.shape(), row.lstm4jMs(), row.libtorchMs(), row.ratio(), c.target(),
                ort ? String.format(Locale.ROOT, "%.3f", row.ortMs()) : "-",
                ort ? String.format(Locale.ROOT, "%.2fx", row.ortRatio()) : "-", row.gflops(),
                100 * row.gflops() / peak, row.maxAbsDiff(), 100 * row.othersCpu(), row.maxAbsReference(),
                row.libtorchGflops(), ort ? String.format(Locale.ROOT, "%.1e", row.ortMaxAbsDiff())
                        : c.training() ? "- (no training)" : "- (LSTM rows only)");
    }

    /**
     * The table as a JSON list, one object per config; numbers rounded to the digits they carry
     * (a non-finite one, e.g. a ratio over a zero time, is null).
     */
    /**
     * libtorch's oneDNN reads this variable at start-up. Its AVX-512 LSTM primitive is wrong on
     * some AMD EPYC CPUs (README, Parity), so a run records whether libtorch was capped.
     */
    static final String ONEDNN_ISA_VARIABLE = "ONEDNN_MAX_CPU_ISA";
    /**
     * libgomp (libtorch's OpenMP) reads this at start-up: how long an idle thread spins before it
     * sleeps. OMP_WAIT_POLICY=PASSIVE (no spinning at all) was tried for --quiet-peers and made
     * libtorch's calls 2-7x slower (README, Speed).
     */
    static final String GOMP_SPINCOUNT_VARIABLE = "GOMP_SPINCOUNT";

    /**
     * What a run's numbers depend on besides the configs: when, which JVM, CPU, kernels, libtorch
     * ISA, and whether libtorch's and ONNX Runtime's idle threads spin on the cores lstm4j shares
     * with them (README, Speed: batch 1's slow mode).
     */
    record RunInfo(String date, String jdk, String cpu, String kernels, String onednnIsa, boolean peersSpin) {
    }

    static String json(List<Row> rows, double peak, RunInfo run) {
        List<Map<String, Object>> objects = new ArrayList<>();
        for (Row r : rows) {
            BenchConfig c = r.config();
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("config", c.name());
            o.put("shape", c.shape());
            o.put("lstm4j_ms", Measure.significant(r.lstm4jMs(), 6));
            o.put("libtorch_ms", Measure.significant(r.libtorchMs(), 6));
            o.put("ratio", Measure.significant(r.ratio(), 4));
            o.put("ort_ms", Measure.significant(r.ortMs(), 6));
            o.put("ort_ratio", Measure.significant(r.ortRatio(), 4));
            o.put("target_ratio", Measure.significant(c.target(), 2));
            o.put("gflops", Measure.significant(r.gflops(), 4));
            o.put("peak_gflops", Measure.significant(peak, 4));
            o.put("peak_pct", Measure.significant(100 * r.gflops() / peak, 3));
            o.put("libtorch_gflops", Measure.significant(r.libtorchGflops(), 4));
            o.put("max_abs_diff", Measure.significant(r.maxAbsDiff(), 3));
            o.put("max_abs_reference", Measure.significant(r.maxAbsReference(), 3));
            o.put("ort_max_abs_diff", Measure.significant(r.ortMaxAbsDiff(), 3));
            o.put("others_cpu_pct", Measure.significant(100 * r.othersCpu(), 3));
            o.put("kernels", run.kernels());
            o.put("jdk", run.jdk());
            o.put("cpu", run.cpu());
            o.put("onednn_max_cpu_isa", run.onednnIsa());
            o.put("peers_spin", run.peersSpin());
            o.put("date", run.date());
            objects.add(o);
        }
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create().toJson(objects) + "\n";
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            return "unknown";
        }
    }
}
