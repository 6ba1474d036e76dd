package org.lstm4j.optim;

/**
 * PyTorch's {@code torch.optim.lr_scheduler.CosineAnnealingLR}: anneals the learning rate from
 * its base to {@code etaMin} along half a cosine over {@code tMax} epochs (and back up over the
 * next tMax, as PyTorch does), in PyTorch's recursive form so the numbers match step for step.
 *
 * <pre>{@code
 * CosineAnnealingLR schedule = new CosineAnnealingLR(optimizer, 100, 0.0);
 * }</pre>
 */
public final class CosineAnnealingLR extends LRScheduler {
    private final int tMax;
    private final double etaMin;

    /** {@code CosineAnnealingLR(optimizer, T_max, eta_min=0)}. */
    public CosineAnnealingLR(Optimizer optimizer, int tMax) {
        this(optimizer, tMax, 0.0);
    }

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        super(optimizer);
        if (tMax <= 0) {
            throw new IllegalArgumentException("T_max must be a positive integer, got " + tMax);
        }
        this.tMax = tMax;
        this.etaMin = etaMin;
    }

    @Override
    protected double nextLr(double lr, int epoch) {
        if (Math.floorMod(epoch - 1 - tMax, 2 * tMax) == 0) {
            return lr + (baseLr() - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2;
        }
        return (1 + Math.cos(Math.PI * epoch / tMax)) / (1 + Math.cos(Math.PI * (epoch - 1) / tMax))
                * (lr - etaMin) + etaMin;
    }
}
