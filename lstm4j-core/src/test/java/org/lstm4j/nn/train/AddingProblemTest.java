package org.lstm4j.nn.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lstm4j.autograd.Autograd;
import org.lstm4j.autograd.Variable;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.Linear;
import org.lstm4j.nn.Module;
import org.lstm4j.nn.loss.MSELoss;
import org.lstm4j.optim.Adam;
import org.lstm4j.optim.ClipGrad;
import org.lstm4j.tensor.Tensor;

/**
 * Learning works: the adding problem (Hochreiter &amp; Schmidhuber 1997, experiment 4) with
 * T = 50. Each step carries a value in U(0, 1) and a marker; exactly two steps are marked, one
 * in each half, and the target is the sum of the two marked values. Predicting the mean (1.0)
 * scores the variance of a sum of two U(0, 1), 2/12 ≈ 0.167; the test requires a held-out MSE
 * below 10% of that within a bounded number of seeded Adam steps.
 */
class AddingProblemTest {

    private static final int T = 50;
    private static final int HIDDEN = 16;
    private static final int BATCH = 32;
    /** Seeds 1, 2, 3 and 11 of the LSTM all got there within 1200 steps; this one in 900. */
    private static final int MAX_STEPS = 2500;
    private static final double BASELINE = 2.0 / 12.0;

    static final class Adder extends Module {
        final LSTM lstm = registerModule("lstm", LSTM.builder(2, HIDDEN).seed(11).build());
        final Linear head = registerModule("head", new Linear(HIDDEN, 1, true, 12));

        Variable forward(Variable x) {
            return head.forward(lstm.forward(x, null, null).hN().select(0, 0)); // (N, 1)
        }
    }

    /** x (T, N, 2) time-major, y (N, 1). */
    record Batch(Tensor x, Tensor y) {
        static Batch sample(SplittableRandom random, int n) {
            Tensor x = Tensor.zeros(T, n, 2);
            Tensor y = Tensor.zeros(n, 1);
            for (int b = 0; b < n; b++) {
                int first = random.nextInt(T / 2);
                int second = T / 2 + random.nextInt(T / 2);
                for (int t = 0; t < T; t++) {
                    x.set((float) random.nextDouble(), t, b, 0);
                }
                x.set(1f, first, b, 1);
                x.set(1f, second, b, 1);
                y.set(x.get(first, b, 0) + x.get(second, b, 0), b, 0);
            }
            return new Batch(x, y);
        }
    }

    @Test
    void lstmLearnsTheAddingProblemWithT50() {
        Adder model = new Adder();
        Adam optimizer = new Adam(model.parameters(), 1e-2);
        MSELoss criterion = new MSELoss();
        SplittableRandom data = new SplittableRandom(2024);
        Batch heldOut = Batch.sample(new SplittableRandom(7), 256);
        long start = System.nanoTime();
        double mse = Double.NaN;
        int step = 0;
        while (step < MAX_STEPS) {
            Batch batch = Batch.sample(data, BATCH);
            optimizer.zeroGrad();
            Variable loss = criterion.forward(model.forward(Variable.of(batch.x())), batch.y());
            loss.backward();
            ClipGrad.clipGradNorm(model.parameters(), 1.0);
            optimizer.step();
            step++;
            if (step % 50 == 0) {
                mse = Autograd.noGrad(() -> criterion.forward(model.forward(Variable.of(heldOut.x())), heldOut.y()))
                        .item();
                if (mse < 0.1 * BASELINE) {
                    break;
                }
            }
        }
        System.out.printf("adding problem T=%d: held-out MSE %.4f (baseline %.4f) after %d steps, %.1f s%n", T, mse,
                BASELINE, step, (System.nanoTime() - start) / 1e9);
        assertThat(mse).isLessThan(0.1 * BASELINE);
    }
}
