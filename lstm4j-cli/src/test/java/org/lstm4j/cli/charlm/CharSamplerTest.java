package org.lstm4j.cli.charlm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lstm4j.tensor.Tensor;

class CharSamplerTest {

    /** Index of the largest logit. */
    private static int argmax(float[] z) {
        int best = 0;
        for (int i = 1; i < z.length; i++) {
            if (z[i] > z[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void temperatureNearZeroIsTheArgmax() {
        for (int seed = 0; seed < 50; seed++) {
            float[] z = Tensor.randn(seed, 65).data();
            for (int i = 0; i < z.length; i++) {
                z[i] *= 10; // logits as large as a trained model's
            }
            Tensor logits = Tensor.of(z, z.length);
            int expected = argmax(z);
            for (double temperature : new double[] {1e-3, 1e-30, 1e-300, Double.MIN_VALUE}) {
                SplittableRandom random = new SplittableRandom(seed);
                for (int draw = 0; draw < 20; draw++) {
                    assertThat(CharSampler.sample(logits, temperature, random)).as("seed %d, temperature %s", seed, temperature)
                            .isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void temperatureOneDrawsEveryTokenAtItsSoftmaxRate() {
        Tensor logits = Tensor.of(new float[] {0f, (float) Math.log(3)}, 2); // softmax = (1/4, 3/4)
        SplittableRandom random = new SplittableRandom(1);
        int ones = 0;
        int draws = 40_000;
        for (int i = 0; i < draws; i++) {
            ones += CharSampler.sample(logits, 1.0, random);
        }
        // 3/4 of 40,000 draws, binomial standard deviation ~87: 6 deviations either side.
        assertThat(ones).isBetween(30_000 - 520, 30_000 + 520);
    }

    @Test
    void temperatureZeroOrBelowIsRejected() {
        for (double temperature : new double[] {0, -0.5, Double.NaN}) {
            assertThatThrownBy(() -> CharSampler.generate(null, null, "R", 1, temperature, 0, c -> { }))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("temperature must be greater than zero")
                    .hasMessageEndingWith("got " + temperature);
        }
    }
}
