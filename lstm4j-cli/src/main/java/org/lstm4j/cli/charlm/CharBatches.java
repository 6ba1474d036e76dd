package org.lstm4j.cli.charlm;

import java.util.SplittableRandom;

/**
 * Random training windows from a token stream, as char-rnn samples them: each batch row is a
 * window of {@code seqLen + 1} consecutive tokens; the first seqLen are the input, the last
 * seqLen (shifted by one) the targets.
 */
public final class CharBatches {
    private final int[] tokens;
    private final int batch;
    private final int seqLen;

    /** A batch: inputs and targets, both (N, L) row-major. */
    public record Batch(int[] inputs, int[] targets, int batch, int seqLen) {
    }

    public CharBatches(int[] tokens, int batch, int seqLen) {
        if (batch <= 0 || seqLen <= 0) {
            throw new IllegalArgumentException("batch and seqLen must be positive, got " + batch + " and " + seqLen);
        }
        if (tokens.length < seqLen + 1) {
            throw new IllegalArgumentException("text of " + tokens.length + " characters is too short for"
                    + " windows of seqLen + 1 = " + (seqLen + 1));
        }
        this.tokens = tokens;
        this.batch = batch;
        this.seqLen = seqLen;
    }

    /** The first {@code fraction} of {@code tokens} for training, the rest held out, split at one point. */
    public static int splitPoint(int length, double trainFraction) {
        return (int) Math.round(length * trainFraction);
    }

    /** A batch of windows starting at uniformly random positions. */
    public Batch sample(SplittableRandom random) {
        int[] inputs = new int[batch * seqLen];
        int[] targets = new int[batch * seqLen];
        for (int b = 0; b < batch; b++) {
            int start = random.nextInt(tokens.length - seqLen);
            System.arraycopy(tokens, start, inputs, b * seqLen, seqLen);
            System.arraycopy(tokens, start + 1, targets, b * seqLen, seqLen);
        }
        return new Batch(inputs, targets, batch, seqLen);
    }

    /** Consecutive non-overlapping windows from the start, for a deterministic validation loss. */
    public Batch sequential(int index) {
        int[] inputs = new int[batch * seqLen];
        int[] targets = new int[batch * seqLen];
        int windows = (tokens.length - 1) / seqLen;
        for (int b = 0; b < batch; b++) {
            int start = ((index * batch + b) % windows) * seqLen;
            System.arraycopy(tokens, start, inputs, b * seqLen, seqLen);
            System.arraycopy(tokens, start + 1, targets, b * seqLen, seqLen);
        }
        return new Batch(inputs, targets, batch, seqLen);
    }
}
