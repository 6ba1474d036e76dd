package org.lstm4j.flink.operators;

/** What a key's state becomes when its next event meets a model other than the one that produced it. */
public enum SwapPolicy {
    /** Start the key again from zeros under the new model (the safe default: another model's h and c mean nothing to it). */
    RESET,
    /** Keep h and c when their shapes fit the new model (e.g. a fine-tuned copy), else reset. */
    KEEP_IF_SHAPES_MATCH
}
