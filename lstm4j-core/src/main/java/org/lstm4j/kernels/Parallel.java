package org.lstm4j.kernels;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * Persistent daemon worker threads shared by every LSTM in the JVM, for splitting one call into
 * independent parts (batch rows, hidden units, whole directions). The caller runs part 0 itself
 * and waits for the rest, so with one thread nothing is handed off.
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
 *
 * <p><b>Hand-off in about a microsecond.</b> A streaming step of a small LSTM takes tens of
 * microseconds, about what waking a parked thread costs. So a worker that finishes a part keeps
 * polling for the next one for {@link #WORKER_SPIN_NS} before it parks, and a caller waits for
 * its parts by spinning. The price is at most that long of one core after the last call (libgomp,
 * libtorch's thread pool, spins for milliseconds).
 */
public final class Parallel {

    /** System property: threads per call, the caller included. */
    public static final String THREADS_PROPERTY = "lstm4j.threads";

    /** How long an idle worker keeps polling for work before it parks. */
    private static final long WORKER_SPIN_NS = 200_000;
    /** Spins of a waiting thread before it starts yielding the core between checks. */
    private static final int SPINS_BEFORE_YIELD = 1 << 10;

    private static final int THREADS = Math.max(1,
            Integer.getInteger(THREADS_PROPERTY, Runtime.getRuntime().availableProcessors()));
    /** Parts waiting for a worker. */
    private static final ConcurrentLinkedQueue<Runnable> QUEUE = new ConcurrentLinkedQueue<>();
    /**
     * Held while parts that wait for each other run; guards the state of that one call below,
     * which is reused so that a streaming step allocates nothing.
     */
    private static final ReentrantLock TOGETHER = new ReentrantLock();
    private static final Barrier TOGETHER_BARRIER = new Barrier(1);
    /** Parts of the running call no worker has claimed yet; part k is claimed when this drops from k. */
    private static final AtomicInteger TOGETHER_UNCLAIMED = new AtomicInteger();
    private static final AtomicInteger TOGETHER_PENDING = new AtomicInteger();
    private static final Throwable[] TOGETHER_FAILURES = new Throwable[THREADS];
    private static final Runnable[] TOGETHER_PARTS = new Runnable[THREADS];
    private static TogetherTask togetherTask;
    private static int togetherParts;

    static {
        for (int part = 1; part < THREADS; part++) {
            int p = part;
            TOGETHER_PARTS[part] = () -> runTogetherPart(p);
        }
    }

    private static final Worker[] WORKERS = startWorkers(THREADS - 1);

    private Parallel() {
    }

    private static Worker[] startWorkers(int count) {
        Worker[] workers = new Worker[count];
        for (int i = 0; i < count; i++) {
            workers[i] = new Worker();
            workers[i].start();
        }
        return workers;
    }

    /** Runs queued parts; polls for {@link #WORKER_SPIN_NS} when the queue empties, then parks. */
    private static final class Worker extends Thread {
        /** Set before the worker's last look for work, so a submitter that sees it unparks the worker. */
        volatile boolean parked;

        Worker() {
            super("lstm4j-worker");
            setDaemon(true);
        }

        @Override
        public void run() {
            while (true) {
                Runnable task = nextTask();
                if (task == null) {
                    long spinUntil = System.nanoTime() + WORKER_SPIN_NS;
                    int spins = 0;
                    while ((task = nextTask()) == null && System.nanoTime() < spinUntil) {
                        backOff(++spins);
                    }
                }
                if (task == null) {
                    parked = true;
                    task = nextTask();
                    if (task == null) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    if (task == null) {
                        continue;
                    }
                }
                task.run();
            }
        }
    }

    /** An unclaimed part of the running {@link #runTogether} call, else a queued part, else null. */
    private static Runnable nextTask() {
        int unclaimed = TOGETHER_UNCLAIMED.get();
        if (unclaimed > 0 && TOGETHER_UNCLAIMED.compareAndSet(unclaimed, unclaimed - 1)) {
            return TOGETHER_PARTS[unclaimed];
        }
        return QUEUE.poll();
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
        if (parts <= 1 || WORKERS.length == 0) {
            for (int part = 0; part < parts; part++) {
                task.accept(part);
            }
            return;
        }
        AtomicInteger pending = new AtomicInteger(parts - 1);
        Throwable[] failures = new Throwable[parts];
        for (int part = 1; part < parts; part++) {
            int p = part;
            QUEUE.offer(() -> {
                try {
                    task.accept(p);
                } catch (Throwable t) {
                    failures[p] = t;
                } finally {
                    pending.decrementAndGet(); // publishes failures[p] to the caller
                }
            });
        }
        wakeParkedWorkers();
        try {
            task.accept(0);
        } catch (Throwable t) {
            failures[0] = t;
        }
        awaitPending(pending);
        rethrowFirst(failures);
    }

    private static void wakeParkedWorkers() {
        for (Worker worker : WORKERS) {
            if (worker.parked) {
                LockSupport.unpark(worker);
            }
        }
    }

    /**
     * One wait of a polling loop, its {@code spins}-th: a spin hint at first, then yielding the
     * core, so that a poller never holds a core it shares with the thread it waits for for a
     * whole time slice (README, Speed: batch 1 shares 2 cores three ways).
     */
    private static void backOff(int spins) {
        if (spins < SPINS_BEFORE_YIELD) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    /** Spins until {@code pending} reaches 0, running queued parts meanwhile rather than just waiting. */
    private static void awaitPending(AtomicInteger pending) {
        int spins = 0;
        while (pending.get() > 0) {
            Runnable queued = nextTask();
            if (queued != null) {
                queued.run();
            } else {
                backOff(++spins);
            }
        }
    }

    /** Throws the first failure (unchecked as is, checked wrapped) and clears them all. */
    private static void rethrowFirst(Throwable[] failures) {
        Throwable first = null;
        for (int i = 0; i < failures.length; i++) {
            if (first == null) {
                first = failures[i];
            }
            failures[i] = null;
        }
        if (first instanceof RuntimeException e) {
            throw e;
        }
        if (first instanceof Error e) {
            throw e;
        }
        if (first != null) {
            throw new IllegalStateException(first);
        }
    }

    /** A part of {@link #runTogether}: part {@code part} of {@code parts}, meeting the others at {@code barrier}. */
    @FunctionalInterface
    public interface TogetherTask {
        void run(int part, int parts, Barrier barrier);
    }


    /**
     * Runs parts that must all run at the same time because they meet at a {@link Barrier}, e.g.
     * once per time step. Up to {@code parts} parts (at most {@link #threads()}), one such call at
     * a time in the JVM: a call that finds another one running gets one part (the caller alone),
     * because parts of two barrier calls waiting on each other's queued parts could deadlock.
     * {@code task} therefore must work for any part count, which it is told. Allocates nothing.
     */
    public static void runTogether(int parts, TogetherTask task) {
        if (parts <= 1 || WORKERS.length == 0 || !TOGETHER.tryLock()) {
            task.run(0, 1, Barrier.ALONE);
            return;
        }
        try {
            togetherTask = task;
            togetherParts = Math.min(parts, THREADS);
            TOGETHER_BARRIER.reset(togetherParts);
            TOGETHER_PENDING.set(togetherParts - 1);
            TOGETHER_UNCLAIMED.set(togetherParts - 1); // publishes the fields above to the workers
            wakeParkedWorkers();
            runTogetherPart(0);
            awaitPending(TOGETHER_PENDING);
            togetherTask = null;
            rethrowFirst(TOGETHER_FAILURES);
        } finally {
            TOGETHER.unlock();
        }
    }

    /** Part {@code part} of the running {@link #runTogether} call; a failure releases the others' barrier waits. */
    private static void runTogetherPart(int part) {
        try {
            togetherTask.run(part, togetherParts, TOGETHER_BARRIER);
        } catch (Throwable t) {
            TOGETHER_FAILURES[part] = t;
            TOGETHER_BARRIER.broken = true;
        } finally {
            if (part > 0) {
                TOGETHER_PENDING.decrementAndGet(); // publishes the failure to the caller
            }
        }
    }

    /**
     * A reusable spinning barrier for the parts of one {@link #runTogether} call that meet after
     * every time step (a step takes microseconds, far less than parking and waking a thread).
     * When a part fails, the others stop waiting with an exception.
     */
    public static final class Barrier {
        /** The barrier of a call that runs as one part: never waits. */
        static final Barrier ALONE = new Barrier(1);

        private int parties;
        private final AtomicInteger arrived = new AtomicInteger();
        private volatile int generation;
        private volatile boolean broken;

        private Barrier(int parties) {
            this.parties = parties;
        }

        /** For the next call: no one may be waiting. */
        private void reset(int parties) {
            this.parties = parties;
            arrived.set(0);
            broken = false;
        }

        /** Waits until all parties have arrived. */
        public void await() {
            if (parties == 1) {
                return;
            }
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
                backOff(++spins);
            }
        }
    }
}
