package org.lstm4j.bench;

import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * This machine's FP32 FMA peak, measured in the form a GEMM micro-kernel computes: 12
 * independent accumulators, {@code acc = a.fma(b, acc)} (enough chains to cover FMA latency ×
 * ports on current x86). The GFLOP/s it reports is the denominator of "% of peak".
 *
 * <p>Why this form: HotSpot's FMA instruction writes its addend register, so in the form
 * {@code a = a·x + y} it must first copy y into a fresh register for every FMA; a 4-wide front
 * end (AMD Zen 2/3) then cannot issue two FMAs per cycle, and that form measured 26 GFLOP/s per
 * core where the accumulate form and C with AVX2 intrinsics reach 37, overstating every "% of
 * peak" about 1.4×. ({@link #measureCrossCheck} times that form too, for comparison.)
 *
 * <p>How: every thread runs the same chunk of FMAs in rounds that start together at a barrier;
 * a round's rate is all threads' FMAs over the slowest thread's time, and the peak is the best
 * round. Rounds are short (about 2 ms), so on a shared machine some of them run with every
 * thread on a core of its own, and a peak is the best the machine does.
 */
public final class FmaPeak {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int CHAINS = 12;
    /** Loop iterations per round: 12 FMAs each, about 2 ms at 2 FMAs per cycle and 3 GHz. */
    private static final long ROUND_ITERATIONS = 500_000;

    /** The loop measured: the accumulate form, or the a·x + y form kept for comparison. */
    private enum Form { ACCUMULATE, AXPY }

    private FmaPeak() {
    }

    /** GFLOP/s over {@code threads} threads at once, accumulate form: the best round of about {@code seconds}. */
    public static double measure(int threads, double seconds) throws InterruptedException {
        return best(Form.ACCUMULATE, threads, seconds);
    }

    /** The same in the a = a·x + y form the first harness used, to show how much the form matters here. */
    public static double measureCrossCheck(int threads, double seconds) throws InterruptedException {
        return best(Form.AXPY, threads, seconds);
    }

    /**
     * The clock in GHz implied by one dependent FMA chain, if an FMA takes {@code latencyCycles}
     * (4 on Intel since Skylake and AMD Zen 4, 5 on Zen 2/3): with two FMA units per core, a
     * core's peak is 2 · 2 · lanes GFLOP per GHz, a check on {@link #measure} that does not
     * depend on how many chains hide the latency.
     */
    public static double clockGhz(double seconds, int latencyCycles) throws InterruptedException {
        double[] best = {0};
        Thread t = new Thread(() -> {
            latencyChain(20_000);
            long end = System.nanoTime() + (long) (seconds * 1e9);
            while (System.nanoTime() < end) {
                long start = System.nanoTime();
                sink += latencyChain(ROUND_ITERATIONS / 4);
                double ns = System.nanoTime() - start;
                best[0] = Math.max(best[0], ROUND_ITERATIONS / 4 * 4.0 * latencyCycles / ns);
            }
        });
        t.start();
        t.join();
        return best[0];
    }

    private static volatile float sink;

    private static double best(Form form, int threads, double seconds) throws InterruptedException {
        long warmRounds = 10;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long[] roundStart = new long[1];
        long[] rounds = {0};
        double[] bestRate = {0};
        boolean[] done = {false};
        CyclicBarrier start = new CyclicBarrier(threads, () -> roundStart[0] = System.nanoTime());
        CyclicBarrier finish = new CyclicBarrier(threads, () -> {
            long ns = System.nanoTime() - roundStart[0];
            rounds[0]++;
            if (rounds[0] > warmRounds) { // compiled by now: only the rounds after C2 count
                bestRate[0] = Math.max(bestRate[0], threads * ROUND_ITERATIONS * CHAINS * F.length() * 2.0 / ns);
            }
            // Decided once per round, here, so every worker leaves after the same round: each
            // reading the clock itself, one could leave while another waits at start forever.
            done[0] = rounds[0] > warmRounds && System.nanoTime() > end;
        });
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            workers[t] = new Thread(() -> {
                try {
                    while (!done[0]) {
                        start.await();
                        sink += form == Form.ACCUMULATE ? accumulate(ROUND_ITERATIONS) : axpy(ROUND_ITERATIONS);
                        finish.await();
                    }
                } catch (InterruptedException | BrokenBarrierException e) {
                    Thread.currentThread().interrupt();
                }
            });
            workers[t].start();
        }
        for (Thread w : workers) {
            w.join();
        }
        return bestRate[0];
    }

    /** acc = a·b + acc, 12 chains: from 1 upwards by 1e-14 a step, no overflow, no denormals. */
    private static float accumulate(long iterations) {
        FloatVector a = FloatVector.broadcast(F, 1e-7f);
        FloatVector b = FloatVector.broadcast(F, 1e-7f);
        FloatVector c0 = FloatVector.broadcast(F, 1f);
        FloatVector c1 = c0;
        FloatVector c2 = c0;
        FloatVector c3 = c0;
        FloatVector c4 = c0;
        FloatVector c5 = c0;
        FloatVector c6 = c0;
        FloatVector c7 = c0;
        FloatVector c8 = c0;
        FloatVector c9 = c0;
        FloatVector c10 = c0;
        FloatVector c11 = c0;
        for (long i = 0; i < iterations; i++) {
            c0 = a.fma(b, c0);
            c1 = a.fma(b, c1);
            c2 = a.fma(b, c2);
            c3 = a.fma(b, c3);
            c4 = a.fma(b, c4);
            c5 = a.fma(b, c5);
            c6 = a.fma(b, c6);
            c7 = a.fma(b, c7);
            c8 = a.fma(b, c8);
            c9 = a.fma(b, c9);
            c10 = a.fma(b, c10);
            c11 = a.fma(b, c11);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }

    /** acc = acc·x + y, 12 chains: converges to y / (1 − x) = 1000. */
    private static float axpy(long iterations) {
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
                .reduceLanes(VectorOperators.ADD);
    }

    /** One dependent chain, four FMAs per iteration. */
    private static float latencyChain(long iterations) {
        FloatVector a = FloatVector.broadcast(F, 1e-7f);
        FloatVector c = FloatVector.broadcast(F, 1f);
        for (long i = 0; i < iterations; i++) {
            c = a.fma(a, c);
            c = a.fma(a, c);
            c = a.fma(a, c);
            c = a.fma(a, c);
        }
        return c.reduceLanes(VectorOperators.ADD);
    }

    /**
     * The peak and its cross-checks, GFLOP/s.
     *
     * @param oneCore   one thread, accumulate form
     * @param allCores  every core at once, accumulate form, measured
     * @param cores     how many
     * @param axpyOne   one thread, a = a·x + y form
     * @param clockGhz  from one dependent FMA chain, assuming a 4-cycle FMA
     */
    record Peak(double oneCore, double allCores, int cores, double axpyOne, double clockGhz) {

        /**
         * The denominator of "% of peak": cores × one core's peak. The measured all-core rate is
         * the check that the cores are independent (it equals this on a quiet machine; sharing
         * only lowers it).
         */
        double machine() {
            return cores * oneCore;
        }

        /** Two FMA units × lanes × 2 FLOP at the clock the FMA chain implies. */
        double fromClock() {
            return clockGhz * 2 * F.length() * 2;
        }

        String describe() {
            return String.format(java.util.Locale.ROOT, "%.0f GFLOP/s FP32 FMA = %d cores x %.0f (%d-bit, acc = fma(a, b, acc)"
                            + " x%d chains; all %d cores at once measured %.0f); cross-checks on 1 core: a = a*x + y"
                            + " form %.0f, clock %.2f GHz from one FMA chain (if 4 cycles) x 2 FMA units x %d lanes x 2"
                            + " = %.0f", machine(), cores, oneCore, F.vectorBitSize(), CHAINS, cores, allCores, axpyOne,
                    clockGhz, F.length(), fromClock());
        }
    }

    /** Everything {@link Peak} holds, about {@code seconds} per measurement. */
    static Peak measurePeak(double seconds) throws InterruptedException {
        int cores = Runtime.getRuntime().availableProcessors();
        return new Peak(measure(1, seconds), measure(cores, seconds), cores, measureCrossCheck(1, seconds),
                clockGhz(seconds, 4));
    }

    public static void main(String[] args) throws InterruptedException {
        System.out.println("peak     " + measurePeak(2).describe());
    }
}
