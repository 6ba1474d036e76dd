package org.lstm4j.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Base of the learning-rate schedulers, after {@code torch.optim.lr_scheduler.LRScheduler}:
 * call {@link #step()} once per epoch, after {@code optimizer.step()}. Like PyTorch's, the
 * schedules are chainable: each step rescales the optimizer's current learning rate.
 *
 * <pre>{@code
 * Optimizer opt = new SGD(model.parameters(), 0.1);
 * LRScheduler schedule = new StepLR(opt, 30, 0.1);
 * for (int epoch = 0; epoch < 100; epoch++) {
 *     train(opt);
 *     schedule.step();
 * }
 * }</pre>
 */
public abstract class LRScheduler {
    protected final Optimizer optimizer;
    private double baseLr;
    private int lastEpoch;

    /** Takes the optimizer's current learning rate as the base ({@code initial_lr}); epoch 0. */
    protected LRScheduler(Optimizer optimizer) {
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        this.baseLr = optimizer.lr();
    }

    /** Advances one epoch and sets the optimizer's learning rate for it. */
    public final void step() {
        lastEpoch++;
        optimizer.setLr(nextLr(optimizer.lr(), lastEpoch));
    }

    /**
     * The learning rate for {@code epoch} (≥ 1), given the one in force for epoch − 1 — PyTorch's
     * chainable {@code get_lr()}.
     */
    protected abstract double nextLr(double lr, int epoch);

    /** The learning rate of the initial epoch. */
    public final double baseLr() {
        return baseLr;
    }

    /** The number of {@link #step()} calls so far (PyTorch's {@code last_epoch}). */
    public final int lastEpoch() {
        return lastEpoch;
    }

    /** The learning rate the last step set (PyTorch's {@code get_last_lr()[0]}). */
    public final double lastLr() {
        return optimizer.lr();
    }

    /** {@code last_epoch} and {@code base_lr}; the current learning rate lives in the optimizer's state. */
    public Map<String, Double> stateDict() {
        Map<String, Double> state = new LinkedHashMap<>();
        state.put("last_epoch", (double) lastEpoch);
        state.put("base_lr", baseLr);
        return state;
    }

    public void loadStateDict(Map<String, Double> state) {
        Double epoch = state.get("last_epoch");
        Double base = state.get("base_lr");
        if (epoch == null || base == null || state.size() != 2) {
            throw new IllegalArgumentException("scheduler state must have exactly last_epoch and base_lr, got "
                    + state.keySet());
        }
        lastEpoch = epoch.intValue();
        baseLr = base;
    }
}
