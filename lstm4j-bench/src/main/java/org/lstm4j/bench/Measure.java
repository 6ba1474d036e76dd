package org.lstm4j.bench;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Timing and machine facts shared by the side-by-side harness and the scaling sweep. */
final class Measure {

    private Measure() {
    }

    /** Wall time of one call, in nanoseconds. */
    static long time(Runnable call) {
        long t0 = System.nanoTime();
        call.run();
        return System.nanoTime() - t0;
    }

    /**
     * Pause before each block: libtorch's OpenMP workers keep spinning for a few milliseconds
     * after a call returns (libgomp's default spin-wait), and on two cores they take CPU from
     * whatever runs next (ONNX Runtime's pool spins too). Measured on config (b): an lstm4j call
     * right after a libtorch call took 8.4 ms, 2 ms later 6.7 ms, 5 ms or more later 3.3-4.0 ms,
     * same as with no libtorch at all.
     */
    private static final long SETTLE_MS = 20;
    /** Shortest block of timed calls. */
    private static final long BLOCK_NS = 25_000_000;

    /**
     * Times workloads in alternating blocks, same JVM, same data, and returns each one's median
     * milliseconds per call, in the order given. Round r runs one block of each, starting with
     * workload r mod n, so every workload goes first equally often. Each block starts after a
     * {@link #SETTLE_MS} pause, runs one untimed call (every side re-warms its caches after the
     * others ran) and then at least 2 timed calls lasting about {@link #BLOCK_NS}. Per-call
     * interleaving would charge libtorch's post-call spinning to whoever runs next, so each side
     * is measured as a server runs it: calls back to back.
     *
     * @param minRounds rounds (one block of each) at least, however long they take
     */
    static double[] alternatingBlocks(List<Runnable> workloads, double warmupSeconds, double measureSeconds,
                                      int minRounds) {
        int n = workloads.size();
        // Warm up all (JIT, libtorch's and ONNX Runtime's first-call setup), estimating each one's time per call.
        long[] perCallNs = new long[n];
        long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        do {
            for (int w = 0; w < n; w++) {
                perCallNs[w] = time(workloads.get(w));
            }
        } while (System.nanoTime() < warmupEnd);
        int[] perBlock = new int[n];
        double roundNs = 0;
        for (int w = 0; w < n; w++) {
            perBlock[w] = (int) Math.max(2, BLOCK_NS / Math.max(1, perCallNs[w]));
            roundNs += SETTLE_MS * 1e6 + (perBlock[w] + 1) * (double) perCallNs[w];
        }
        int rounds = (int) Math.max(minRounds, Math.min(1000, measureSeconds * 1e9 / roundNs));
        long[][] times = new long[n][];
        for (int w = 0; w < n; w++) {
            times[w] = new long[rounds * perBlock[w]];
        }
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < n; i++) {
                int w = (r + i) % n;
                block(workloads.get(w), times[w], r * perBlock[w], perBlock[w]);
            }
        }
        double[] medians = new double[n];
        for (int w = 0; w < n; w++) {
            medians[w] = medianMs(times[w]);
        }
        return medians;
    }

    /** One block: settle, one untimed call, then {@code calls} timed calls into {@code times[from..]}. */
    private static void block(Runnable call, long[] times, int from, int calls) {
        try {
            Thread.sleep(SETTLE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring", e);
        }
        call.run();
        for (int i = 0; i < calls; i++) {
            times[from + i] = time(call);
        }
    }

    /** Median of {@code nanos}, in milliseconds. */
    static double medianMs(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
        return median / 1e6;
    }

    /** Largest |a - b|: both libraries must have computed the same thing. */
    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalStateException("expected outputs of equal length, got " + a.length + " and " + b.length);
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    /**
     * {@code value} rounded to {@code digits} significant digits, for a JSON number that carries
     * what the measurement can tell; null if not finite (JSON has no NaN or infinity).
     */
    static BigDecimal significant(double value, int digits) {
        if (!Double.isFinite(value)) {
            return null;
        }
        BigDecimal rounded = new BigDecimal(value).round(new MathContext(digits, RoundingMode.HALF_EVEN));
        return rounded.scale() < 0 ? rounded.setScale(0) : rounded; // 12350, not 1.235E+4
    }

    /** Sets a system property unless the command line already did. */
    static void defaultProperty(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /**
     * libtorch as both harnesses run it, unless the command line says otherwise: offline (the
     * native library comes from the Maven jar), 2 intra-op threads, 1 inter-op thread.
     */
    static void libtorchDefaults() {
        defaultProperty("ai.djl.offline", "true");
        defaultProperty("ai.djl.pytorch.num_threads", "2");
        defaultProperty("ai.djl.pytorch.num_interop_threads", "1");
    }

    /** The CPU's model name from /proc/cpuinfo. */
    static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown CPU");
        } catch (IOException e) {
            return System.getProperty("os.arch");
        }
    }
}
