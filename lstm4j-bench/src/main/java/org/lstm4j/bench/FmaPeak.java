package org.lstm4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * This machine's FP32 FMA peak, measured: a Vector API loop of 12 independent FMA chains (enough
 * to cover FMA latency × ports on current x86) on every requested thread at once. The GFLOP/s it
 * reports is the denominator of "% of peak".
 */
public final class FmaPeak {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int CHAINS = 12;

    private FmaPeak() {
    }

    /**
     * GFLOP/s over {@code threads} threads: the best of five runs of about {@code seconds} / 5
     * each, since a peak is the best the machine does, and a short dip (another process, a
     * frequency change) must not lower it.
     */
    public static double measure(int threads, double seconds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            runAll(pool, threads, 20_000); // compile the loop with C2 before timing
            long iterations = 100_000;
            double best = 0;
            int runs = 0;
            while (runs < 5) {
                long start = System.nanoTime();
                runAll(pool, threads, iterations);
                double elapsed = (System.nanoTime() - start) / 1e9;
                if (elapsed >= seconds / 5) {
                    best = Math.max(best, threads * iterations * CHAINS * F.length() * 2.0 / elapsed / 1e9);
                    runs++;
                } else {
                    iterations = (long) (iterations * Math.max(2.0, 1.2 * seconds / 5 / Math.max(elapsed, 1e-4)));
                }
            }
            return best;
        } finally {
            pool.shutdown();
        }
    }

    private static void runAll(ExecutorService pool, int threads, long iterations) throws Exception {
        List<Future<Float>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Callable<Float> chain = () -> chains(iterations);
            results.add(pool.submit(chain));
        }
        float sink = 0;
        for (Future<Float> f : results) {
            sink += f.get();
        }
        if (Float.isNaN(sink)) {
            throw new IllegalStateException("FMA chains diverged");
        }
    }

    /** acc = acc·x + y converges to y / (1 − x) = 1000: no overflow, no denormals. */
    private static float chains(long iterations) {
        FloatVector x = FloatVector.broadcast(F, 0.999999f);
        FloatVector y = FloatVector.broadcast(F, 1e-3f);
        FloatVector a0 = FloatVector.broadcast(F, 1f);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector a4 = a0;
        FloatVector a5 = a0;
        FloatVector a6 = a0;
        FloatVector a7 = a0;
        FloatVector a8 = a0;
        FloatVector a9 = a0;
        FloatVector a10 = a0;
        FloatVector a11 = a0;
        for (long i = 0; i < iterations; i++) {
            a0 = a0.fma(x, y);
            a1 = a1.fma(x, y);
            a2 = a2.fma(x, y);
            a3 = a3.fma(x, y);
            a4 = a4.fma(x, y);
            a5 = a5.fma(x, y);
            a6 = a6.fma(x, y);
            a7 = a7.fma(x, y);
            a8 = a8.fma(x, y);
            a9 = a9.fma(x, y);
            a10 = a10.fma(x, y);
            a11 = a11.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    public static void main(String[] args) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("FP32 FMA peak, %d-bit vectors: 1 thread %.1f GFLOP/s, %d threads %.1f GFLOP/s%n",
                F.vectorBitSize(), measure(1, 1.0), cores, measure(cores, 1.0));
    }
}
