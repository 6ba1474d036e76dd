package org.lstm4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

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
