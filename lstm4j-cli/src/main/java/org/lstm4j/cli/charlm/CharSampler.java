package org.lstm4j.cli.charlm;

import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.lstm4j.tensor.Tensor;

/**
 * Writes text with a {@link CharModel}: the prime is fed once, character by character, carrying
 * the LSTM state; then each sampled character is fed back. Nothing is recomputed.
 */
public final class CharSampler {

    private CharSampler() {
    }

    /**
     * Samples {@code length} characters after {@code prime}, handing each to {@code sink} as it
     * is produced.
     *
     * @param temperature divides the logits: below 1 sharper and safer, above 1 more varied; near 0
     *     the most likely character every time (argmax); must be greater than 0
     * @return the generated characters (without the prime)
     */
    public static String generate(CharModel model, CharVocab vocab, String prime, int length, double temperature,
                                  long seed, Consumer<String> sink) {
        if (prime.isEmpty()) {
            throw new IllegalArgumentException("prime must have at least one character");
        }
        if (length < 0) {
            throw new IllegalArgumentException("length must be zero or more, got " + length);
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be greater than zero (near 0 means the most"
                    + " likely character each time), got " + temperature);
        }
        SplittableRandom random = new SplittableRandom(seed);
        CharModel.Step step = null;
        for (int token : vocab.encode(prime)) {
            step = model.step(token, step == null ? null : step.state());
        }
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            int token = sample(step.logits(), temperature, random);
            String c = vocab.decode(token);
            out.append(c);
            sink.accept(c);
            step = model.step(token, step.state());
        }
        return out.toString();
    }

    /**
     * A draw from softmax(logits / temperature), computed in double. Each logit's distance from the
     * largest is divided, never the logit itself, so a tiny temperature cannot overflow to
     * ∞ - ∞ = NaN: every term is exp(≤ 0), the largest logit's is exactly 1, and as the temperature
     * goes to 0 the others reach 0 — the draw becomes the argmax (shared among exact ties).
     */
    static int sample(Tensor logits, double temperature, SplittableRandom random) {
        float[] z = logits.data();
        float max = Float.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double[] p = new double[z.length];
        double sum = 0;
        for (int i = 0; i < z.length; i++) {
            p[i] = Math.exp(((double) z[i] - max) / temperature);
            sum += p[i];
        }
        double u = random.nextDouble() * sum;
        for (int i = 0; i < p.length; i++) {
            u -= p[i];
            if (u < 0) {
                return i;
            }
        }
        return p.length - 1;
    }
}
