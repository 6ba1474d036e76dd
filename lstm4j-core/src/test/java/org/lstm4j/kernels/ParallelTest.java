package org.lstm4j.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The worker threads: every part runs once, failures reach the caller (also from parts waiting
 * at a barrier), and barrier calls from several threads at once neither deadlock nor mix.
 * Runs with the 2 threads per call that lstm4j-core/pom.xml pins, so parts really run on a worker
 * thread, also on a 1-CPU runner.
 */
@Timeout(60)
class ParallelTest {

    /** Pinned by lstm4j-core/pom.xml (-Dlstm4j.threads=2), so the work is split even on a 1-CPU runner. */
    @BeforeAll
    static void workIsSplitAcrossThreads() {
        assertThat(Parallel.threads()).as("threads per call (-D%s)", Parallel.THREADS_PROPERTY).isGreaterThanOrEqualTo(2);
    }

    @Test
    void everyPartRunsExactlyOnce() {
        int parts = Parallel.threads() + 3;
        AtomicIntegerArray runs = new AtomicIntegerArray(parts);
        for (int call = 0; call < 1000; call++) {
            Parallel.run(parts, runs::incrementAndGet);
        }
        for (int part = 0; part < parts; part++) {
            assertThat(runs.get(part)).as("part %d", part).isEqualTo(1000);
        }
    }

    @Test
    void aFailingPartIsRethrownToTheCaller() {
        int parts = Math.max(2, Parallel.threads());
        assertThatThrownBy(() -> Parallel.run(parts, part -> {
            if (part == parts - 1) {
                throw new IllegalArgumentException("part " + part + " failed");
            }
        })).isInstanceOf(IllegalArgumentException.class).hasMessage("part " + (parts - 1) + " failed");
        AtomicLong sum = new AtomicLong();
        Parallel.run(parts, sum::addAndGet); // still works afterwards
        assertThat(sum.get()).isEqualTo((long) parts * (parts - 1) / 2);
    }

    /** After each barrier every part has finished the step before it: no part runs ahead. */
    @Test
    void noPartPassesTheBarrierBeforeTheOthersReachIt() {
        int steps = 10_000;
        int[] done = new int[2]; // steps finished per part, published by the barrier
        AtomicLong aheads = new AtomicLong();
        int[] partsSeen = new int[1];
        Parallel.runTogether(2, (part, parts, barrier) -> {
            partsSeen[0] = parts;
            for (int step = 1; step <= steps; step++) {
                done[part] = step;
                barrier.await();
                for (int other = 0; other < parts; other++) {
                    if (done[other] < step) {
                        aheads.incrementAndGet();
                    }
                }
                barrier.await(); // nobody writes done[] for the next step while another part still reads it
            }
        });
        assertThat(partsSeen[0]).isEqualTo(Math.min(2, Parallel.threads()));
        assertThat(aheads.get()).isZero();
        assertThat(done[0]).isEqualTo(steps);
    }

    @Test
    void aFailingPartReleasesThePartsWaitingAtTheBarrier() {
        assertThatThrownBy(() -> Parallel.runTogether(2, (part, parts, barrier) -> {
            if (part == parts - 1) {
                throw new IllegalStateException("last part failed");
            }
            for (int step = 0; step < 1000; step++) {
                barrier.await();
            }
        })).isInstanceOf(IllegalStateException.class);
        // The next call starts from a clean barrier.
        int[] steps = new int[2];
        Parallel.runTogether(2, (part, parts, barrier) -> {
            for (int step = 0; step < 100; step++) {
                barrier.await();
                steps[part]++;
            }
        });
        assertThat(steps[0]).isEqualTo(100);
    }

    @Test
    void barrierCallsFromFourThreadsAtOnceAllComplete() throws Exception {
        int callers = 4;
        ConcurrentHashMap<Integer, Integer> partCounts = new ConcurrentHashMap<>();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            Future<?>[] results = new Future<?>[callers];
            for (int caller = 0; caller < callers; caller++) {
                results[caller] = pool.submit(() -> {
                    start.await();
                    for (int call = 0; call < 200; call++) {
                        int[] parts = new int[1];
                        Parallel.runTogether(2, (part, p, barrier) -> {
                            parts[0] = p;
                            for (int step = 0; step < 50; step++) {
                                barrier.await();
                            }
                        });
                        partCounts.merge(parts[0], 1, Integer::sum);
                    }
                    return null;
                });
            }
            start.countDown();
            for (Future<?> result : results) {
                result.get(Duration.ofSeconds(50).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(partCounts.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(callers * 200);
        assertThat(partCounts.keySet()).allMatch(p -> p >= 1 && p <= Math.min(2, Parallel.threads()));
    }
}
