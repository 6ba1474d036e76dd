package org.lstm4j.nn.loss;

/** How a loss combines its per-element values, PyTorch's {@code reduction} argument. */
public enum Reduction {
    /** One loss per element, same shape as the input's batch dimensions. */
    NONE,
    /** The mean over elements (for CrossEntropyLoss: over targets not ignored). The default. */
    MEAN,
    /** The sum over elements. */
    SUM
}
