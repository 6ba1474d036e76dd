package org.lstm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;

/**
 * Bytes allocated by the calling thread and lstm4j's worker threads (the threaded passes run
 * parts there), from the JVM's per-thread allocation counters: the measure behind the tests that
 * a warm step or forward pass allocates nothing beyond what it returns.
 */
public final class AllocatedBytes {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private AllocatedBytes() {
    }

    /**
     * The fewest bytes allocated in one window of {@code callsPerWindow} calls, over windows
     * run until one allocates at most {@code enough} bytes or {@code maxWindows} have run. Until
     * C2 has compiled the vector kernels the Vector API allocates on its own (how long that takes
     * depends on the machine's load); a per-call allocation shows in every window.
     */
    public static long fewestPerWindow(Runnable call, int callsPerWindow, int maxWindows, long enough) {
        assertThat(THREADS.isThreadAllocatedMemorySupported()).as("per-thread allocation counters").isTrue();
        THREADS.setThreadAllocatedMemoryEnabled(true);
        call.run(); // starts the worker threads a first call may need
        long[] ids = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t == Thread.currentThread() || t.getName().equals("lstm4j-worker"))
                .mapToLong(Thread::getId).toArray();
        long fewest = Long.MAX_VALUE;
        for (int window = 0; window < maxWindows && fewest > enough; window++) {
            long before = sum(ids);
            for (int i = 0; i < callsPerWindow; i++) {
                call.run();
            }
            fewest = Math.min(fewest, sum(ids) - before);
        }
        return fewest;
    }

    private static long sum(long[] ids) {
        long sum = 0;
        for (long bytes : THREADS.getThreadAllocatedBytes(ids)) {
            sum += bytes;
        }
        return sum;
    }
}
