package org.lstm4j.cli.charlm;

import java.io.PrintWriter;
import java.time.Duration;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Reports training progress: a live bar (step, loss, chars/s, ETA) on a terminal, plain log lines
 * every {@code logEvery} steps otherwise (CI logs, files, pipes).
 */
public final class TrainingProgress implements AutoCloseable {
    private final ProgressBar bar;
    private final PrintWriter log;
    private final int totalSteps;
    private final int logEvery;
    private final long startNanos = System.nanoTime();

    private TrainingProgress(ProgressBar bar, PrintWriter log, int totalSteps, int logEvery) {
        this.bar = bar;
        this.log = log;
        this.totalSteps = totalSteps;
        this.logEvery = logEvery;
    }

    /**
     * @param totalSteps the planned number of steps, or -1 when training runs for a time budget
     * @param interactive true for a live bar (a terminal), false for log lines
     */
    public static TrainingProgress start(String task, int totalSteps, boolean interactive, PrintWriter log, int logEvery) {
        ProgressBar bar = null;
        if (interactive) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(totalSteps)
                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUpdateIntervalMillis(250)
                    .setMaxRenderedLength(120).continuousUpdate().build();
        }
        return new TrainingProgress(bar, log, totalSteps, Math.max(1, logEvery));
    }

    /** Records that {@code step} steps are done, with the latest loss and throughput. */
    public void update(int step, double loss, double charsPerSecond) {
        String extra = String.format("loss %.4f | %,.0f chars/s", loss, charsPerSecond);
        if (bar != null) {
            bar.stepTo(step);
            bar.setExtraMessage(extra);
        } else if (step % logEvery == 0 || step == totalSteps) {
            log.printf("step %d%s  %s  elapsed %s%s%n", step, totalSteps > 0 ? "/" + totalSteps : "", extra,
                    format(elapsed()), eta(step));
        }
    }

    /** A line of its own (validation results); the bar, on stderr, redraws below it. */
    public void message(String line) {
        log.println(line);
        log.flush();
    }

    private String eta(int step) {
        if (totalSteps <= 0 || step == 0) {
            return "";
        }
        Duration perStep = elapsed().dividedBy(step);
        return "  eta " + format(perStep.multipliedBy(totalSteps - step));
    }

    private Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    private static String format(Duration d) {
        long s = d.toSeconds();
        return s >= 60 ? (s / 60) + "m" + String.format("%02d", s % 60) + "s" : s + "s";
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
        log.flush();
    }
}
