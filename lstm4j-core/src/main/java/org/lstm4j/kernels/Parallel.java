package org.lstm4j.kernels;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Persistent daemon worker threads shared by every LSTM in the JVM, for splitting one call into
 * independent parts (batch rows, whole directions). The caller runs part 0 itself and waits for
 * the rest, so with one thread nothing is handed off.
 *
 * <pre>{@code
 * int parts = Parallel.parts(batch, minRowsPerPart);
 * Parallel.run(parts, part -> work(Parallel.from(batch, parts, part), Parallel.from(batch, parts, part + 1)));
 * }</pre>
 *
 * <p>{@code -Dlstm4j.threads=N} sets the thread count (default: available processors; 1 = no
 * workers). Callers split only work whose parts do not depend on each other, and every part is
 * computed exactly as it would be alone, so results do not depend on the thread count. Any
 * number of threads may call {@link #run} at once; their parts share the workers.
 */
public final class Parallel {

    /** System property: threads per call, the caller included. */
    public static final String THREADS_PROPERTY = "lstm4j.threads";

    private static final int THREADS = Math.max(1,
            Integer.getInteger(THREADS_PROPERTY, Runtime.getRuntime().availableProcessors()));
    private static final ExecutorService WORKERS = THREADS == 1 ? null
            : Executors.newFixedThreadPool(THREADS - 1, runnable -> {
                Thread thread = new Thread(runnable, "lstm4j-worker");
                thread.setDaemon(true);
                return thread;
            });

    private Parallel() {
    }

    /** Threads per call, the caller included. */
    public static int threads() {
        return THREADS;
    }

    /** How many parts to cut {@code units} into so each has at least {@code minUnitsPerPart}: 1..threads(). */
    public static int parts(int units, int minUnitsPerPart) {
        return Math.max(1, Math.min(THREADS, units / Math.max(1, minUnitsPerPart)));
    }

    /** First unit of part {@code part} when {@code units} are cut into {@code parts} near-equal parts. */
    public static int from(int units, int parts, int part) {
        return (int) ((long) units * part / parts);
    }

    /**
     * Runs {@code task.accept(part)} for every part in [0, parts): part 0 on the calling thread,
     * the others on the workers; returns when all are done, rethrowing the first failure.
     */
    public static void run(int parts, IntConsumer task) {
        if (parts <= 1 || WORKERS == null) {
            for (int part = 0; part < parts; part++) {
                task.accept(part);
            }
            return;
        }
        Future<?>[] others = new Future<?>[parts - 1];
        for (int part = 1; part < parts; part++) {
            int p = part;
            others[part - 1] = WORKERS.submit(() -> task.accept(p));
        }
        RuntimeException failure = null;
        try {
            task.accept(0);
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<?> other : others) {
            try {
                other.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) {
                    failure = new IllegalStateException("interrupted while waiting for lstm4j workers", e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * A reusable spinning barrier for the parts of one {@link #run} call that must meet after
     * every time step (a step takes microseconds, far less than parking and waking a thread).
     * A failing part calls {@link #breakBarrier} so the others stop waiting.
     */
    public static final class Barrier {
        private static final int SPINS_BEFORE_YIELD = 1 << 10;
        private final int parties;
        private final AtomicInteger arrived = new AtomicInteger();
        private volatile int generation;
        private volatile boolean broken;

        public Barrier(int parties) {
            this.parties = parties;
        }

        /** Waits until all parties have arrived. */
        public void await() {
            int current = generation;
            if (arrived.incrementAndGet() == parties) {
                // The others wait for the generation to move, so none re-enters before the reset.
                arrived.set(0);
                generation = current + 1;
                return;
            }
            int spins = 0;
            while (generation == current) {
                if (broken) {
                    throw new IllegalStateException("another part of this call failed");
                }
                if (++spins < SPINS_BEFORE_YIELD) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }

        /** Releases every waiting party with an exception; for a part that failed. */
        public void breakBarrier() {
            broken = true;
        }
    }
}
