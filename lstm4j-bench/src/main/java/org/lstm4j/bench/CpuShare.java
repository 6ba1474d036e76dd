package org.lstm4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much of the machine other processes used while a measurement ran, from Linux's
 * /proc/stat (all CPUs) and /proc/self/stat (this JVM, libtorch's threads included). On a shared
 * 2-core box a busy neighbour wrecks libtorch's OpenMP barriers first, so every table row says
 * how clean its run was. NaN where /proc is unavailable.
 */
final class CpuShare {

    private final long[] start = sample();

    /** Share (0..1) of all CPU time since construction used by other processes. */
    double others() {
        long[] end = sample();
        if (start == null || end == null || end[0] == start[0]) {
            return Double.NaN;
        }
        double total = end[0] - start[0];
        double busy = end[1] - start[1];
        double self = end[2] - start[2];
        return Math.max(0, (busy - self) / total);
    }

    /** {total ticks, busy ticks, this process's ticks}, or null without /proc. */
    private static long[] sample() {
        try {
            String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < cpu.length; i++) {
                total += Long.parseLong(cpu[i]);
            }
            long idle = Long.parseLong(cpu[4]) + Long.parseLong(cpu[5]);
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long self = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return new long[] {total, total - idle, self};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
