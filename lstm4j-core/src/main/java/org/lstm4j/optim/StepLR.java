package org.lstm4j.optim;

/**
 * PyTorch's {@code torch.optim.lr_scheduler.StepLR}: multiplies the learning rate by
 * {@code gamma} every {@code stepSize} epochs.
 *
 * <pre>{@code
 * StepLR schedule = new StepLR(optimizer, 30, 0.1);   // lr 0.05 for epochs 0-29, 0.005 for 30-59, ...
 * }</pre>
 */
public final class StepLR extends LRScheduler {
    private final int stepSize;
    private final double gamma;

    /** {@code StepLR(optimizer, step_size, gamma=0.1)}. */
    public StepLR(Optimizer optimizer, int stepSize) {
        this(optimizer, stepSize, 0.1);
    }

    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer);
        if (stepSize <= 0) {
            throw new IllegalArgumentException("step_size must be a positive integer, got " + stepSize);
        }
        this.stepSize = stepSize;
        this.gamma = gamma;
    }

    @Override
    protected double nextLr(double lr, int epoch) {
        return epoch % stepSize == 0 ? lr * gamma : lr;
    }
}
